"""A dashboard that stops reading costs ComfyUI at most the configured bytes, inside a real ComfyUI
0.3.64: previews flow, the stuck subscriber's queue never holds more than its byte budget, it is
caught up with `telemetry.dropped` and every lifecycle message, and ComfyUI's own client gets all
of its frames meanwhile."""

import asyncio
import base64
import json
import os
import socket
import struct

import pytest

import workflows as wf
from harness import ComfyServer

BUDGET = 64 * 1024
STEPS = 1500


@pytest.fixture(scope="module")
def comfy_small_budget():
    server = ComfyServer(
        extension=True,
        env={
            "COMFY_TELEMETRY_QUEUE_BYTES": str(BUDGET),
            "COMFY_TELEMETRY_HEARTBEAT": "300",  # this test's pause must not look like a dead peer
            "COMFY_TELEMETRY_GPU_INTERVAL": "0.2",
        },
    ).start()
    yield server
    server.close()


class StuckSocket:
    """A WebSocket client on a raw socket with a tiny receive buffer that reads nothing until told
    (no stream reader pulling data in behind the test's back): the kernel holds a few kB for it,
    the rest waits in (or is dropped by) the extension."""

    def __init__(self, sock, leftover):
        self.sock, self.buf = sock, bytearray(leftover)
        self.loop = asyncio.get_running_loop()

    @classmethod
    async def open(cls, server, path):
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", server.port))
        key = base64.b64encode(os.urandom(16)).decode()
        await loop.sock_sendall(sock, (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), 10)
            assert chunk, "closed during the handshake"
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(sock, rest)

    async def _exactly(self, n, timeout):
        while len(self.buf) < n:
            chunk = await asyncio.wait_for(self.loop.sock_recv(self.sock, 1 << 16), timeout)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    async def frame(self, timeout=30.0):
        """(opcode, payload) of the next server frame (unmasked, never fragmented by aiohttp)."""
        b0, b1 = await self._exactly(2, timeout)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack(">H", await self._exactly(2, timeout))
        elif n == 127:
            (n,) = struct.unpack(">Q", await self._exactly(8, timeout))
        return b0 & 0x0F, await self._exactly(n, timeout)

    def close(self):
        self.sock.close()


async def test_a_stuck_subscriber_costs_at_most_its_budget_and_is_caught_up(comfy_small_budget, connect, client_id):
    server = comfy_small_budget
    own = await connect(server, f"/ws?clientId={client_id}")
    await own.wait_type("status")
    stuck = await StuckSocket.open(server, "/telemetry")
    status, body = await asyncio.to_thread(
        server.queue_prompt, wf.long_running(steps=STEPS, step_seconds=0.002, preview=True), client_id
    )
    assert status == 200, body
    pid = body["prompt_id"]
    await asyncio.to_thread(server.wait_history, pid, 120)
    await own.wait_for(
        lambda f: isinstance(f, dict) and f.get("type") == "executing" and f["data"].get("node") is None
        and f["data"].get("prompt_id") == pid,
        timeout=60,
    )

    # ComfyUI's own client got every frame of its run: each step's progress and each preview.
    progress = [f["data"]["value"] for f in own.texts("progress", pid)]
    assert progress == list(range(1, STEPS + 1))
    previews = [f for f in own.frames if isinstance(f, bytes)]
    assert len(previews) == STEPS

    # The stuck subscriber never held more than its budget, and had to lose frames.
    code, stats = await asyncio.to_thread(server.request, "GET", "/telemetry/stats")
    assert code == 200, stats
    (sub,) = stats["subscribers"]
    assert sub["limit_bytes"] == BUDGET
    assert 0 < sub["peak_bytes"] <= BUDGET
    assert sub["dropped_total"] > 0

    # Reading again, it is told what it missed and gets every lifecycle message of the run.
    types, dropped, previews_seen = [], 0, 0
    while "execution_success" not in types:
        opcode, payload = await stuck.frame()
        if opcode == 2:
            previews_seen += 1
        elif opcode == 1:
            msg = json.loads(payload)
            types.append(msg["type"])
            if msg["type"] == "telemetry.dropped":
                dropped += msg["data"]["count"]
    stuck.close()
    assert types[0] == "telemetry.hello"
    assert dropped > 0
    for lifecycle in ("execution_start", "execution_cached", "executed", "execution_success"):
        assert lifecycle in types, lifecycle
    assert types.index("execution_start") < types.index("execution_success")
    # What was lost is mostly previews and progress: far fewer than were sent reached it.
    assert previews_seen < STEPS
