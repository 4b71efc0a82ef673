"""Slots that cannot be hoarded: a socket whose reader took nothing for the write timeout is
closed whatever its pings say; scripts can never take the slots kept for browsers (the
dashboard); a remote address has a settable share; 50 local readers still work."""

import asyncio
import os
import socket

import pytest
from aiohttp.test_utils import make_mocked_request

from comfyui_telemetry import endpoint
from comfyui_telemetry.hub import Hub
from conftest import hello_of, receive

UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


class StuckTransport:
    """A transport whose reader takes `rate` bytes per check (0: none at all, whatever pings
    arrive on the other direction)."""

    def __init__(self, rate):
        self.held, self.rate, self.aborted = 0, rate, False

    def write(self, data):
        self.held += len(data)

    def get_write_buffer_size(self):
        self.held = max(0, self.held - self.rate)
        return self.held

    def is_closing(self):
        return self.aborted

    def abort(self):
        self.aborted = True


async def _subscriber_on(comfy, transport):
    before = set(comfy.hub.subscribers)
    ws = await comfy.ws("/telemetry")
    await hello_of(ws)
    (sub,) = comfy.hub.subscribers - before
    sub.transport, sub._abort = transport, transport.abort
    return ws, sub


async def test_a_reader_that_takes_nothing_is_closed_one_that_takes_little_is_not(make_comfy):
    comfy = await make_comfy(queue_bytes=4_000_000, write_timeout=0.5, gpu_interval=0)
    stuck_ws, stuck = await _subscriber_on(comfy, StuckTransport(rate=0))
    slow_ws, slow = await _subscriber_on(comfy, StuckTransport(rate=1))
    for _ in range(20):  # 2 MB of previews
        await comfy.server.send_bytes(1, b"\x00\x00\x00\x01" + os.urandom(100_000), None)
        await stuck_ws.ping(), await slow_ws.ping()  # a reader's pings change nothing
        await asyncio.sleep(0.05)
    for _ in range(40):
        if stuck.closed:
            break
        await asyncio.sleep(0.05)
    assert stuck.closed and stuck.transport.aborted and stuck not in comfy.hub.subscribers
    assert not slow.closed and slow in comfy.hub.subscribers  # slow, but its drain advances


async def _pinging_non_reader(port, stop):
    """A raw client that opens /telemetry, never reads a byte, and pings every 50 ms."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    await loop.sock_sendall(sock, (
        f"GET /telemetry HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(loop.sock_sendall(sock, b"\x89\x80" + os.urandom(4)), 0.5)
            except (OSError, asyncio.TimeoutError):
                return
            await asyncio.sleep(0.05)
    finally:
        sock.close()


async def test_a_pinging_non_reader_on_a_real_socket_is_closed(make_comfy):
    comfy = await make_comfy(queue_bytes=1_000_000, write_timeout=0.5, gpu_interval=0)
    stop = asyncio.Event()
    pinger = asyncio.ensure_future(_pinging_non_reader(comfy.client.port, stop))
    try:
        for _ in range(100):
            if comfy.hub.subscribers:
                break
            await asyncio.sleep(0.02)
        (sub,) = comfy.hub.subscribers
        for _ in range(40):  # 8 MB of previews over 2 s
            await comfy.server.send_bytes(1, b"\x00\x00\x00\x01" + os.urandom(200_000), None)
            await asyncio.sleep(0.05)
        for _ in range(60):
            if sub.closed:
                break
            await asyncio.sleep(0.05)
        assert sub.closed and not comfy.hub.subscribers
    finally:
        stop.set()
        await pinger


async def _upgrade(comfy, origin=None):
    headers = dict(UPGRADE)
    if origin:
        headers["Origin"] = origin
    resp = await comfy.client.get("/telemetry", headers=headers)
    body = await resp.json() if resp.status == 503 else None
    return resp, body


async def test_scripts_cannot_take_the_slots_kept_for_browsers(make_comfy):
    comfy = await make_comfy(max_subscribers=4, reserved=2, gpu_interval=0)
    own = f"http://127.0.0.1:{comfy.client.port}"
    scripts = [await comfy.ws("/telemetry") for _ in range(2)]
    resp, body = await _upgrade(comfy)
    assert resp.status == 503
    assert body["error"] == "telemetry-busy" and body["reason"] == "reserved"
    assert body["setting"] == "COMFY_TELEMETRY_RESERVED"
    dashboards = []
    for _ in range(2):
        ws = await comfy.client.ws_connect("/telemetry", headers={"Origin": own})
        await hello_of(ws)
        dashboards.append(ws)
    resp, body = await _upgrade(comfy, own)
    assert resp.status == 503 and body["reason"] == "full"
    for ws in scripts + dashboards:
        await ws.close()


def test_a_remote_peer_has_a_settable_share_and_loopback_none():
    hub = Hub(max_subscribers=64, max_per_peer=2)

    class Sub:
        def __init__(self, peer):
            self.peer, self.browser = peer, False

    hub.subscribers = {Sub("192.168.1.9"), Sub("192.168.1.9"), Sub("192.168.1.10")}
    assert hub.refusal(peer="192.168.1.9") == "peer-limit"
    assert hub.refusal(peer="192.168.1.10") is None
    assert hub.refusal(peer=None) is None
    hub.max_per_peer = 0  # off
    assert hub.refusal(peer="192.168.1.9") is None


@pytest.mark.parametrize("remote,peer", [("127.0.0.1", None), ("::1", None),
                                         ("192.168.1.9", "192.168.1.9"), (None, None)])
def test_which_peers_are_remote(remote, peer):
    req = make_mocked_request("GET", "/telemetry")
    req._transport_peername = (remote, 1) if remote else None
    assert endpoint.remote_peer(req) == peer


async def test_fifty_local_readers_all_connect_with_the_defaults(make_comfy):
    comfy = await make_comfy(gpu_interval=0)
    socks = []
    for _ in range(50):
        ws = await comfy.ws("/telemetry")
        await hello_of(ws)
        socks.append(ws)
    await comfy.server.send_json("status", {"status": {"exec_info": {"queue_remaining": 0}}})
    for ws in socks:
        assert await receive(ws) is not None
    for ws in socks:
        await ws.close()
