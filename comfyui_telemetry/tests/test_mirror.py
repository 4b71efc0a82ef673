"""Every message ComfyUI sends, to anyone or no one, reaches every /telemetry subscriber."""

import asyncio
import json
import struct

import pytest

from conftest import parsed, receive, receive_all, types_of, hello_of

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 3
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 50


async def _burst(srv):
    """Messages for two connected clients, one gone client, and broadcasts."""
    await srv.send_json("execution_start", {"prompt_id": "p1", "timestamp": 1}, "alice")
    await srv.send_json("progress", {"value": 1, "max": 2, "prompt_id": "p1", "node": "2"}, "alice")
    await srv.send_json("executed", {"node": "3", "output": {"text": ["hi"]}, "prompt_id": "p2"}, "bob")
    await srv.send_json("execution_start", {"prompt_id": "p3", "timestamp": 2}, "nobody-here")
    await srv.send_json("crystools.monitor", {"cpu_utilization": 5.0}, None)
    await srv.send_bytes(1, struct.pack(">I", 1) + JPEG, "alice")
    meta = json.dumps({"node_id": "2", "prompt_id": "p2", "image_type": "image/png"}).encode()
    await srv.send_bytes(4, struct.pack(">I", len(meta)) + meta + PNG, "bob")
    await srv.send_bytes(3, struct.pack(">I", 1) + b"4" + b"width: 64", None)
    await srv.send_bytes(1, struct.pack(">I", 2) + PNG, "nobody-here")


EXPECTED_TEXT = [
    {"type": "execution_start", "data": {"prompt_id": "p1", "timestamp": 1}},
    {"type": "progress", "data": {"value": 1, "max": 2, "prompt_id": "p1", "node": "2"}},
    {"type": "executed", "data": {"node": "3", "output": {"text": ["hi"]}, "prompt_id": "p2"}},
    {"type": "execution_start", "data": {"prompt_id": "p3", "timestamp": 2}},
    {"type": "crystools.monitor", "data": {"cpu_utilization": 5.0}},
]


def _expected_binary():
    meta = json.dumps({"node_id": "2", "prompt_id": "p2", "image_type": "image/png"}).encode()
    return [
        struct.pack(">II", 1, 1) + JPEG,
        struct.pack(">II", 4, len(meta)) + meta + PNG,
        struct.pack(">II", 3, 1) + b"4" + b"width: 64",
        struct.pack(">II", 1, 2) + PNG,
    ]


@pytest.mark.parametrize("path", ["/telemetry", "/api/telemetry"])
async def test_every_subscriber_gets_every_message_byte_identical(comfy, path):
    alice = await comfy.ws("/ws", clientId="alice")
    bob = await comfy.ws("/api/ws", clientId="bob")
    await receive(alice), await receive(bob)  # their `status` with sid
    t1 = await comfy.ws(path)
    t2 = await comfy.ws("/telemetry", clientId="ignored")
    await hello_of(t1), await hello_of(t2)

    await _burst(comfy.server)

    for t in (t1, t2):
        frames = await receive_all(t)
        text = [json.loads(f) for f in frames if isinstance(f, str)]
        binary = [f for f in frames if isinstance(f, bytes)]
        assert text == EXPECTED_TEXT
        assert binary == _expected_binary()
        # Same order as ComfyUI sent them.
        assert types_of(frames)[:5] == [m["type"] for m in EXPECTED_TEXT]


async def test_text_frames_are_the_bytes_comfyui_puts_on_the_wire(comfy):
    plain = await comfy.ws("/ws", clientId="alice")
    await receive(plain)
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    data = {"prompt_id": "p", "nodes": {"1": {"value": 1.0, "state": "running"}}, "x": "é"}
    await comfy.server.send_json("progress_state", data, "alice")
    assert await receive(tele) == await receive(plain)


async def test_normal_ws_clients_get_exactly_what_they_got_before(comfy):
    alice = await comfy.ws("/ws", clientId="alice")
    bob = await comfy.ws("/ws", clientId="bob")
    tele = await comfy.ws("/telemetry")
    assert json.loads(await receive(alice))["data"]["sid"] == "alice"
    assert json.loads(await receive(bob))["data"]["sid"] == "bob"
    await hello_of(tele)

    await _burst(comfy.server)

    got_alice = parsed(await receive_all(alice))
    got_bob = parsed(await receive_all(bob))
    meta = json.dumps({"node_id": "2", "prompt_id": "p2", "image_type": "image/png"}).encode()
    broadcast_text = b"\x00\x00\x00\x03\x00\x00\x00\x014width: 64"
    assert got_alice == [
        EXPECTED_TEXT[0], EXPECTED_TEXT[1], EXPECTED_TEXT[4],
        struct.pack(">II", 1, 1) + JPEG, broadcast_text,
    ]
    assert got_bob == [
        EXPECTED_TEXT[2], EXPECTED_TEXT[4],
        struct.pack(">II", 4, len(meta)) + meta + PNG, broadcast_text,
    ]


async def test_send_sync_and_send_paths_are_mirrored(comfy):
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    comfy.server.send_sync("progress", {"value": 1, "max": 1, "prompt_id": "p", "node": "1"}, "x")
    comfy.server.send_sync(3, b"\x00\x00\x00\x011hello", None)  # send_progress_text's path
    comfy.server.queue_updated()
    frames = await receive_all(tele)
    assert types_of(frames) == ["progress", "<binary>", "status"]
    assert frames[1] == b"\x00\x00\x00\x03\x00\x00\x00\x011hello"


async def test_a_subscriber_whose_socket_raises_never_breaks_send_json(comfy):
    plain = await comfy.ws("/ws", clientId="alice")
    await receive(plain)
    bad = await comfy.ws("/telemetry")
    good = await comfy.ws("/telemetry")
    await hello_of(bad), await hello_of(good)
    subs = list(comfy.hub.subscribers)
    assert len(subs) == 2

    class Exploding:
        async def send_str(self, _):
            raise RuntimeError("socket exploded")

        send_bytes = send_str

        async def close(self):
            raise RuntimeError("and cannot close")

    # Whichever subscriber is which, break one.
    victim = subs[0]
    victim.ws = Exploding()
    victim.transport = None  # through ws.send_*, which now explodes
    for i in range(5):
        await comfy.server.send_json("progress", {"value": i, "max": 5, "prompt_id": "p",
                                                  "node": "1"}, "alice")
        await comfy.server.send_bytes(1, b"\x00\x00\x00\x01abc", "alice")
    await asyncio.sleep(0.1)
    assert victim not in comfy.hub.subscribers
    assert len(comfy.hub.subscribers) == 1
    survivor = await receive_all(good) or await receive_all(bad)
    assert len(survivor) == 10
    assert len(await receive_all(plain)) == 10


async def test_mirroring_failure_never_reaches_comfyui(comfy, monkeypatch):
    plain = await comfy.ws("/ws", clientId="alice")
    await receive(plain)

    def broken(*_):
        raise RuntimeError("hub bug")

    monkeypatch.setattr(comfy.hub, "mirror_json", broken)
    monkeypatch.setattr(comfy.hub, "mirror_bytes", broken)
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    await comfy.server.send_json("progress", {"value": 1, "prompt_id": "p"}, "alice")
    await comfy.server.send_bytes(1, b"abc", "alice")
    assert len(await receive_all(plain)) == 2


async def test_comfyui_own_errors_are_unchanged(comfy):
    # send_bytes with a non-int event raises in ComfyUI's encode_bytes; it still does.
    with pytest.raises(RuntimeError, match="must be integers"):
        await comfy.server.send_bytes("oops", b"x", None)
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    with pytest.raises(RuntimeError, match="must be integers"):
        await comfy.server.send_bytes("oops", b"x", None)


async def test_feature_flags_are_answered_and_other_frames_ignored(comfy):
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    await tele.send_str(json.dumps({"type": "feature_flags",
                                    "data": {"supports_preview_metadata": True}}))
    reply = json.loads(await receive(tele))
    assert reply == {"type": "feature_flags", "data": {"supports_preview_metadata": True,
                                                       "max_upload_size": 104857600}}
    await tele.send_str(json.dumps({"type": "feature_flags", "data": {}}))
    await tele.send_str("not json")
    await tele.send_bytes(b"\x00")
    assert await receive_all(tele) == []
    assert not tele.closed
