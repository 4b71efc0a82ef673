"""Issue 21, inside a real ComfyUI 0.3.64: DNS rebinding refused on every route, no raw client id
and no credential in any frame (progress text, output keys, errors, after 1 000 other prompts
with keys), a pinging non-reader closed, a 12 MB frame within every budget with the run's start
and end kept in the catch-up, `%00` a 404, cross-site fetches and framing refused unless the
origin is allowed while an allowed second host still connects."""

import asyncio
import hashlib
import hmac
import json
import os
import stat
import struct
import urllib.request
import uuid

import aiohttp
import pytest

import workflows as wf
from harness import ComfyServer
from test_extension_bounds import StuckSocket

FLEET = "http://fleet.example:9000"
LAN = "192.168.1.20"
WRITE_TIMEOUT = 3


@pytest.fixture(scope="module")
def comfy():
    server = ComfyServer(extension=True, env={
        "COMFY_TELEMETRY_ALLOWED_ORIGINS": FLEET,
        "COMFY_TELEMETRY_WRITE_TIMEOUT": str(WRITE_TIMEOUT),
        "COMFY_TELEMETRY_GPU_INTERVAL": "0.5",
    }).start()
    yield server
    server.close()


def raw_get(server, path, headers):
    """(status, headers, body) of a GET sent as is (the path is not re-encoded)."""
    req = urllib.request.Request(server.url + path, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


async def ws_status(server, path, headers):
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(server.url.replace("http", "ws", 1) + path, headers=headers)
        except aiohttp.WSServerHandshakeError as e:
            return e.status
        await ws.close()
        return 101


HTTP_ROUTES = ["/telemetry/stats", "/api/telemetry/stats", "/telemetry/metrics",
               "/api/telemetry/metrics", "/telemetry/ui/", "/telemetry/ui/runs"]
WS_ROUTES = ["/telemetry", "/api/telemetry"]


async def test_a_rebinding_host_is_refused_on_every_route_with_and_without_origin(comfy):
    host = f"rebind.example:{comfy.port}"
    for headers in ({"Host": host}, {"Host": host, "Origin": f"http://{host}"}):
        for path in HTTP_ROUTES:
            status, _, body = await asyncio.to_thread(raw_get, comfy, path, headers)
            assert status == 403, (path, headers)
            body = json.loads(body)
            assert body["error"] == "telemetry-refused" and body["reason"] == "host-not-allowed"
            assert body["setting"] == "COMFY_TELEMETRY_ALLOWED_HOSTS"
        for path in WS_ROUTES:
            assert await ws_status(comfy, path, headers) == 403, (path, headers)
    assert "COMFY_TELEMETRY_ALLOWED_HOSTS" in comfy.log_tail(400)
    # The same routes under the address itself still answer.
    for path in HTTP_ROUTES:
        status, _, _ = await asyncio.to_thread(raw_get, comfy, path, {})
        assert status == 200, path


def _everything(frames):
    return "\n".join(json.dumps(f) if isinstance(f, dict) else f.decode("utf-8", "replace") for f in frames)


def _pseudonym(server, client_id):
    path = server.base / "telemetry" / "secret.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = path.read_bytes()
    return "c-" + hmac.new(key, client_id.encode(), hashlib.sha256).hexdigest()[:16]


async def test_no_raw_client_id_in_any_frame_hello_or_catch_up(comfy, connect):
    cid = uuid.uuid4().hex  # what ComfyUI's page uses: its socket id
    tab = await connect(comfy, f"/ws?clientId={cid}")
    await tab.wait_type("status")
    tel = await connect(comfy, "/telemetry")
    await tel.wait_type("telemetry.hello")
    blocker = await asyncio.to_thread(comfy.queue_prompt, wf.long_running(steps=30, step_seconds=0.05), cid)
    pending = await asyncio.to_thread(comfy.queue_prompt, wf.success(steps=2, step_seconds=0.01), cid)
    mid = await connect(comfy, "/telemetry")  # while one runs and one waits
    hello = await mid.wait_type("telemetry.hello")
    pid = pending[1]["prompt_id"]
    await asyncio.to_thread(comfy.wait_history, pid, 60)
    await tel.wait_type("execution_success", pid)
    late = await connect(comfy, "/telemetry")
    await late.wait_type("telemetry.hello")
    await late.wait_type("execution_success", pid)
    await asyncio.sleep(0.3)
    name = _pseudonym(comfy, cid)
    queue = hello["data"]["queue"]
    assert [p["client_id"] for p in queue["running"] + queue["pending"]] == [name, name]
    assert {f["data"]["client_id"] for f in tel.texts("telemetry.queued")} == {name}
    for sock in (tel, mid, late):
        assert cid not in _everything(sock.frames)
    assert blocker[0] == 200
    # ComfyUI's own page still gets its own id.
    assert any(f.get("data", {}).get("sid") == cid for f in tab.texts("status"))


async def test_a_credential_never_leaves_after_1000_other_prompts(comfy, connect, client_id):
    token, key = "tok-" + uuid.uuid4().hex, "key-" + uuid.uuid4().hex
    tel = await connect(comfy, "/telemetry")
    await tel.wait_type("telemetry.hello")
    blocker = (await asyncio.to_thread(comfy.queue_prompt, wf.long_running(steps=2000, step_seconds=0.05),
                                       client_id))[1]["prompt_id"]
    extra = {"auth_token_comfy_org": token, "api_key_comfy_org": key}
    status, body = await asyncio.to_thread(comfy.queue_prompt, wf.credential_echo_error(), client_id, extra)
    assert status == 200, body
    victim = body["prompt_id"]

    def flood():
        ids = []
        for i in range(1000):
            made_up = {"auth_token_comfy_org": f"made-up-{i}-{uuid.uuid4().hex}",
                       "api_key_comfy_org": f"made-up-key-{i}-{uuid.uuid4().hex}"}
            s, b = comfy.queue_prompt(wf.success(steps=1, step_seconds=0.0), client_id, made_up)
            assert s == 200, b
            ids.append(b["prompt_id"])
        s, _ = comfy.request("POST", "/queue", {"delete": ids})
        assert s == 200
        comfy.request("POST", "/interrupt", {})

    await asyncio.to_thread(flood)
    entry = await asyncio.to_thread(comfy.wait_history, victim, 120)
    assert entry["status"]["status_str"] == "error"
    await tel.wait_type("execution_error", victim)
    late = await connect(comfy, "/telemetry")
    await late.wait_type("telemetry.hello")
    await late.wait_type("execution_error", victim)
    await asyncio.sleep(0.3)
    # Every way the node leaked them arrived, redacted: progress text, an output key, the error.
    texts = [f for f in tel.frames if isinstance(f, bytes) and f[:4] == struct.pack(">I", 3)]
    assert any(b"calling the API with [redacted] and [redacted]" in f for f in texts), texts
    (echo,) = [f for f in tel.texts("executed", victim) if "echo" in f["data"]["output"]]
    assert echo["data"]["output"]["echo"] == [{"[redacted]": "key"}] or \
        set(echo["data"]["output"]["echo"][0]) == {"[redacted]"}
    for sock in (tel, late):
        text = _everything(sock.frames)
        assert token not in text and key not in text
        assert "auth_token_comfy_org" not in text and "api_key_comfy_org" not in text
    assert blocker


async def test_a_pinging_non_reader_is_closed(comfy, connect, client_id):
    stuck = await StuckSocket.open(comfy, "/telemetry")
    reader = await connect(comfy, "/telemetry")
    await reader.wait_type("telemetry.hello")
    stop = asyncio.Event()

    async def ping():
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                await asyncio.wait_for(loop.sock_sendall(stuck.sock, b"\x89\x80" + os.urandom(4)), 1)
            except (OSError, asyncio.TimeoutError):
                return
            await asyncio.sleep(0.5)

    pinger = asyncio.ensure_future(ping())
    try:
        # One 3 MB output: more than the kernel holds for a socket nobody reads, well within its
        # budget, so only the write timeout can free the slot.
        status, body = await asyncio.to_thread(comfy.queue_prompt, wf.big_text(3_000_000), client_id)
        assert status == 200, body
        await asyncio.to_thread(comfy.wait_history, body["prompt_id"], 120)
        deadline = asyncio.get_running_loop().time() + WRITE_TIMEOUT + 20
        while True:
            _, stats = await asyncio.to_thread(comfy.request, "GET", "/telemetry/stats")
            if len(stats["subscribers"]) == 1:
                break
            assert asyncio.get_running_loop().time() < deadline, stats
            await asyncio.sleep(0.5)
        assert len(stats["subscribers"]) == 1, stats  # only the reader is left
        assert "COMFY_TELEMETRY_WRITE_TIMEOUT" in comfy.log_tail(400)
    finally:
        stop.set()
        await pinger
        stuck.close()


async def test_a_12_mb_frame_keeps_every_subscriber_within_budget_and_the_run_in_the_catch_up(comfy, connect, client_id):
    reader = await connect(comfy, "/telemetry")
    await reader.wait_type("telemetry.hello")
    stuck = [await StuckSocket.open(comfy, "/telemetry") for _ in range(3)]
    try:
        status, body = await asyncio.to_thread(comfy.queue_prompt, wf.big_text(12_000_000), client_id)
        assert status == 200, body
        pid = body["prompt_id"]
        await asyncio.to_thread(comfy.wait_history, pid, 180)
        executed = await reader.wait_type("executed", pid, timeout=60)
        assert executed["data"]["telemetry_truncated"] is True
        assert executed["data"]["telemetry_original_bytes"] > 12_000_000
        _, stats = await asyncio.to_thread(comfy.request, "GET", "/telemetry/stats")
        for sub in stats["subscribers"]:
            assert sub["peak_bytes"] <= sub["limit_bytes"], sub
        late = await connect(comfy, "/telemetry")
        await late.wait_type("telemetry.hello")
        await late.wait_type("execution_success", pid)
        replayed = [f["type"] for f in late.texts(prompt_id=pid)]
        assert "execution_start" in replayed and replayed.index("execution_start") < replayed.index("execution_success")
    finally:
        for s in stuck:
            s.close()


async def test_undecodable_ui_paths_are_404(comfy):
    for path in ("/telemetry/ui/%00", "/telemetry/ui/a%00.js", "/telemetry/ui/%ff"):
        status, _, body = await asyncio.to_thread(raw_get, comfy, path, {})
        assert status == 404, (path, status, body[:200])


async def test_cross_site_fetch_and_framing_are_refused_unless_allowed(comfy):
    iframe = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}
    status, headers, body = await asyncio.to_thread(raw_get, comfy, "/telemetry/ui/", iframe)
    assert status == 403 and json.loads(body)["reason"] == "cross-site"
    status, headers, _ = await asyncio.to_thread(raw_get, comfy, "/telemetry/ui/", {})
    assert status == 200
    assert headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    for path in ("/telemetry/stats", "/telemetry/metrics"):
        status, _, body = await asyncio.to_thread(raw_get, comfy, path, {"Sec-Fetch-Site": "cross-site",
                                                                          "Sec-Fetch-Mode": "no-cors"})
        assert status == 403 and json.loads(body)["reason"] == "cross-site", path
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}
    status, headers, body = await asyncio.to_thread(raw_get, comfy, "/telemetry/stats", evil)
    assert status == 403 and json.loads(body)["reason"] == "origin-not-allowed"
    assert headers["Access-Control-Allow-Origin"] == "https://evil.example"
    assert await ws_status(comfy, "/telemetry", evil) == 403
    # A fleet page on an allowed origin, reaching this server by its LAN address, still works.
    fleet = {"Origin": FLEET, "Host": f"{LAN}:{comfy.port}", "Sec-Fetch-Site": "cross-site",
             "Sec-Fetch-Mode": "cors"}
    status, _, _ = await asyncio.to_thread(raw_get, comfy, "/telemetry/stats", fleet)
    assert status == 200
    assert await ws_status(comfy, "/telemetry", fleet) == 101
