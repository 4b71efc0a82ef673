"""The extension exposes nothing to other sites and nothing secret to its own viewers, inside a real
ComfyUI 0.3.64: its own origin policy on /telemetry and /api/telemetry (ComfyUI's lets `null` and
any Origin behind a non-loopback Host through, and `--enable-cors-header` turns it off), no other
client's socket id, no credential, no connect-time per-socket frame, live or in the catch-up."""

import asyncio
import json
import uuid

import aiohttp
import pytest

import workflows as wf
from harness import ComfyServer

PATHS = ["/telemetry", "/api/telemetry"]
LAN_HOST = "192.168.1.20:8188"  # sent as a header to the loopback server; never connected to


async def upgrade_status(server, path, headers):
    """The HTTP status of a WebSocket upgrade with these headers (101 when it opened)."""
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(server.url.replace("http", "ws", 1) + path, headers=headers)
        except aiohttp.WSServerHandshakeError as e:
            return e.status
        first = await ws.receive(timeout=10)
        await ws.close()
        assert first.type == aiohttp.WSMsgType.TEXT and json.loads(first.data)["type"] == "telemetry.hello"
        return 101


def cases(server):
    own = f"127.0.0.1:{server.port}"
    return {
        "cross-site": ({"Origin": "https://evil.example"}, 403),
        "null": ({"Origin": "null"}, 403),
        "cross-site behind a LAN Host": ({"Host": LAN_HOST, "Origin": "https://evil.example"}, 403),
        "other port on the same host": ({"Origin": "http://127.0.0.1:1"}, 403),
        "same-origin": ({"Origin": f"http://{own}"}, 101),
        "same-origin behind a LAN Host": ({"Host": LAN_HOST, "Origin": f"http://{LAN_HOST}"}, 101),
        "no Origin": ({}, 101),
    }


@pytest.mark.parametrize("path", PATHS)
async def test_origin_policy_in_default_mode(comfy_ext, path):
    got = {name: await upgrade_status(comfy_ext, path, h) for name, (h, _) in cases(comfy_ext).items()}
    assert got == {name: want for name, (_, want) in cases(comfy_ext).items()}


@pytest.fixture(scope="module")
def comfy_cors():
    """ComfyUI with `--enable-cors-header` (its origin check off) and one allow-listed origin."""
    server = ComfyServer(
        extension=True,
        extra_args=["--enable-cors-header", "*"],
        env={"COMFY_TELEMETRY_ALLOWED_ORIGINS": "http://localhost:8080"},
    ).start()
    yield server
    server.close()


@pytest.mark.parametrize("path", PATHS)
async def test_origin_policy_with_enable_cors_header_and_an_allow_list(comfy_cors, path):
    expected = {name: want for name, (_, want) in cases(comfy_cors).items()}
    expected["allow-listed"] = 101
    allowed = ({"Origin": "http://localhost:8080"}, 101)
    got = {name: await upgrade_status(comfy_cors, path, h) for name, (h, _) in {**cases(comfy_cors), "allow-listed": allowed}.items()}
    assert got == expected
    # ComfyUI's own routes are still as open as the flag makes them (we change only ours).
    status, _ = comfy_cors.request("GET", "/system_stats", headers={"Origin": "https://evil.example"})
    assert status == 200


def _text_of(frames):
    return "\n".join(json.dumps(f) if isinstance(f, dict) else f.hex() for f in frames)


async def test_no_other_clients_sid_and_no_connect_time_frame_reaches_a_subscriber(comfy_ext, connect, client_id):
    tel = await connect(comfy_ext, "/telemetry")
    await tel.wait_type("telemetry.hello")
    # A browser tab: ComfyUI gives it a fresh sid in its connect-time `status`, and answers its
    # feature_flags.
    tab = await connect(comfy_ext, "/ws")
    status = await tab.wait_type("status")
    sid = status["data"]["sid"]
    await tab.ws.send_str(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
    await tab.wait_type("feature_flags")
    # Something the subscriber must see, after those frames.
    pid, _ = await _run(comfy_ext, wf.success(steps=2, step_seconds=0.01), client_id)
    await tel.wait_type("execution_success", pid)
    await asyncio.sleep(0.3)
    assert sid not in _text_of(tel.frames)
    assert not tel.texts("feature_flags")
    assert not [f for f in tel.texts("status") if "sid" in (f.get("data") or {})]
    # Queue status broadcasts still arrive.
    assert tel.texts("status")
    late = await connect(comfy_ext, "/telemetry")
    await late.wait_type("telemetry.hello")
    await asyncio.sleep(0.3)
    assert sid not in _text_of(late.frames)


async def _run(server, prompt, client_id=None, extra_data=None):
    status, body = await asyncio.to_thread(server.queue_prompt, prompt, client_id, extra_data)
    assert status == 200, body
    pid = body["prompt_id"]
    entry = await asyncio.to_thread(server.wait_history, pid)
    return pid, entry


async def test_credentials_never_reach_a_subscriber_live_or_in_the_catch_up(comfy_ext, connect, client_id):
    token, key = "tok-" + uuid.uuid4().hex, "key-" + uuid.uuid4().hex
    tel = await connect(comfy_ext, "/telemetry")
    await tel.wait_type("telemetry.hello")
    own = await connect(comfy_ext, f"/ws?clientId={client_id}")
    await own.wait_type("status")
    extra = {"auth_token_comfy_org": token, "api_key_comfy_org": key}
    pid, entry = await _run(comfy_ext, wf.credential_error(), client_id, extra)
    assert entry["status"]["status_str"] == "error"
    err = await tel.wait_type("execution_error", pid)
    assert err["data"]["node_type"] == "TelemetryCredentialFail"
    # ComfyUI's own client still gets its error exactly as ComfyUI made it (with its inputs).
    own_err = await own.wait_type("execution_error", pid)
    assert token in json.dumps(own_err)
    late = await connect(comfy_ext, "/telemetry")
    hello = await late.wait_type("telemetry.hello")
    assert hello["data"]["replay"]["count"] > 0
    replayed = await late.wait_type("execution_error", pid)
    assert replayed["data"]["node_type"] == "TelemetryCredentialFail"
    await asyncio.sleep(0.3)
    for sock in (tel, late):
        text = _text_of(sock.frames)
        assert token not in text and key not in text
        assert "auth_token_comfy_org" not in text and "api_key_comfy_org" not in text
