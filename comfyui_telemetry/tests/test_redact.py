"""What subscribers must not see: other sockets' connect-time frames (their sid, their
feature_flags reply) and credentials, neither live nor in the catch-up; ComfyUI's own clients
still get everything exactly as before. Also: no telemetry.queued for a refused put, and a
PromptServer built as PromptServer(loop, asset_manager)."""

import asyncio
import json

from comfyui_telemetry.extension import install
from conftest import PromptServer, hello_of, queue_item, receive, receive_all, types_of

TOKEN = "tok-0123456789abcdef"
KEY = "key-fedcba9876543210"


async def test_connect_time_frames_of_other_sockets_are_not_mirrored(comfy):
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    tab = await comfy.ws("/ws")  # ComfyUI makes up its sid and sends it in `status`
    sid = json.loads(await receive(tab))["data"]["sid"]
    await tab.send_str(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
    assert json.loads(await receive(tab))["type"] == "feature_flags"
    comfy.server.queue_updated()  # a broadcast status: mirrored
    frames = await receive_all(tele)
    assert types_of(frames) == ["status"]
    assert sid not in "".join(frames)


async def _credential_error(srv, sid, prompt_id="cred"):
    await srv.send_json("execution_start", {"prompt_id": prompt_id, "timestamp": 1}, sid)
    await srv.send_json("execution_error", {
        "prompt_id": prompt_id, "node_id": "2", "node_type": "ApiNode",
        "exception_message": f"401 for token {TOKEN}",
        "traceback": [f'  File "x.py", line 1, in run\n    call(key="{KEY}")\n'],
        "current_inputs": {"image": ["<tensor>"], "auth_token_comfy_org": [TOKEN],
                           "api_key_comfy_org": [KEY]},
        "current_outputs": [], "timestamp": 2}, sid)


async def test_credentials_are_stripped_live_and_in_the_catch_up_but_not_for_comfyuis_client(comfy):
    srv = comfy.server
    own = await comfy.ws("/ws", clientId="ui")
    await receive(own)
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    srv.prompt_queue.put(queue_item(1, "cred", extra={"auth_token_comfy_org": TOKEN,
                                                      "api_key_comfy_org": KEY}))
    await _credential_error(srv, "ui")
    live = await receive_all(tele)
    late = await comfy.ws("/telemetry")
    hello = await hello_of(late)
    replay = [await receive(late) for _ in range(hello["replay"]["count"])]
    for frames in (live, replay):
        err = [json.loads(f) for f in frames if '"execution_error"' in f]
        assert len(err) == 1, frames
        data = err[0]["data"]
        assert data["current_inputs"] == {"image": ["<tensor>"]}
        assert data["exception_message"] == "401 for token [redacted]"
        assert "[redacted]" in data["traceback"][0]
        text = "".join(frames)
        assert TOKEN not in text and KEY not in text and "comfy_org" not in text
    own_frames = await receive_all(own)
    assert any(TOKEN in f and KEY in f for f in own_frames if isinstance(f, str))


async def test_credentials_in_newer_comfyuis_sensitive_element_are_learned_too(comfy):
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    comfy.server.prompt_queue.put(queue_item(1, "cred") + ({"api_key_comfy_org": KEY},))
    await comfy.server.send_json("progress_text_like", {"prompt_id": "cred", "text": f"using {KEY}"})
    frames = [json.loads(f) for f in await receive_all(tele)]
    (msg,) = [f for f in frames if f["type"] == "progress_text_like"]
    assert msg["data"]["text"] == "using [redacted]"


async def test_messages_without_secrets_are_comfyuis_exact_text(comfy):
    plain = await comfy.ws("/ws", clientId="alice")
    await receive(plain)
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    comfy.server.prompt_queue.put(queue_item(1, "p", extra={"auth_token_comfy_org": TOKEN}))
    await receive_all(tele), await receive_all(plain)
    data = {"prompt_id": "p", "output": {"text": ["é", "tok"]}, "node": "3"}
    await comfy.server.send_json("executed", data, "alice")
    assert await receive(tele) == await receive(plain)


class RefusingQueue:
    """Newer ComfyUI: put returns False for a refused duplicate prompt id."""

    def __init__(self, inner):
        self.inner = inner
        self.seen = set()

    def put(self, item):
        if item[1] in self.seen:
            return False
        self.seen.add(item[1])
        self.inner.put(item)
        return True

    def __getattr__(self, name):
        return getattr(self.inner, name)


class NewerPromptServer(PromptServer):
    """Current ComfyUI master builds it as PromptServer(loop, asset_manager)."""

    def __init__(self, loop, asset_manager):
        super().__init__(loop)
        self.asset_manager = asset_manager
        self.prompt_queue = RefusingQueue(self.prompt_queue)


async def test_newer_prompt_server_and_no_queued_for_a_refused_put(aiohttp_client, no_gpu):
    loop = asyncio.get_running_loop()
    server = NewerPromptServer(loop, asset_manager=object())
    install(server, sampler=no_gpu, gpu_interval=0)
    server.add_routes()
    publisher = loop.create_task(server.publish_loop())
    client = await aiohttp_client(server.app)
    try:
        tele = await client.ws_connect("/telemetry")
        await hello_of(tele)
        assert server.prompt_queue.put(queue_item(1, "dup")) is True
        assert server.prompt_queue.put(queue_item(2, "dup")) is False
        await asyncio.sleep(0.1)
        frames = [json.loads(f) for f in await receive_all(tele)]
        queued = [f["data"]["prompt_id"] for f in frames if f["type"] == "telemetry.queued"]
        assert queued == ["dup"]
        await server.send_json("progress", {"value": 1, "max": 1, "prompt_id": "dup", "node": "1"})
        assert json.loads(await receive(tele))["type"] == "progress"
    finally:
        publisher.cancel()
