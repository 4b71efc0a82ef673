"""The extension loaded into a real ComfyUI: every client's events mirrored, hello and catch-up,
a subscriber that connects mid-run, and ComfyUI's own clients unchanged."""

import asyncio

import workflows as wf

LIFECYCLE = ("execution_start", "execution_success", "execution_error", "execution_interrupted")


async def run(server, prompt, client_id=None, extra_data=None):
    status, body = await asyncio.to_thread(server.queue_prompt, prompt, client_id, extra_data)
    assert status == 200, body
    pid = body["prompt_id"]
    entry = await asyncio.to_thread(server.wait_history, pid)
    return pid, entry


async def test_every_clients_prompts_are_mirrored(comfy_ext, connect, client_id):
    tel = await connect(comfy_ext, "/telemetry")
    await tel.wait_type("telemetry.hello")
    other = await connect(comfy_ext, f"/ws?clientId={client_id}")
    await other.wait_type("status")
    ok, _ = await run(comfy_ext, wf.success(), client_id)
    bad, entry = await run(comfy_ext, wf.error(), "someone-else-" + client_id)
    silent, _ = await run(comfy_ext, wf.success(steps=3))  # no client_id: ComfyUI sends execution_* to nobody

    await tel.wait_type("execution_success", ok)
    err = await tel.wait_type("execution_error", bad)
    assert err["data"]["node_type"] == "TelemetryFail"
    assert err["data"]["exception_message"].startswith("<b>boom</b>")
    assert entry["status"]["status_str"] == "error"
    # The prompt without client_id: ComfyUI sends only progress/progress_state (to everyone), and the
    # extension mirrors those; its queued announcement names it.
    await tel.wait_type("progress_state", silent)
    queued = {f["data"]["prompt_id"] for f in tel.texts("telemetry.queued")}
    assert {ok, bad, silent} <= queued
    # The stock socket saw only its own prompt's lifecycle.
    assert {f["data"]["prompt_id"] for f in other.texts() if f["type"] in LIFECYCLE} == {ok}


async def test_hello_then_catch_up_of_the_last_prompt(comfy_ext, connect, client_id):
    pid, _ = await run(comfy_ext, wf.success(steps=2, step_seconds=0.05), client_id)
    tel = await connect(comfy_ext, "/telemetry")
    hello = await tel.wait_type("telemetry.hello")
    assert hello["data"]["comfyui_version"] == "0.3.64"
    assert hello["data"]["queue"] == {"running": [], "pending": []}
    assert hello["data"]["replay"]["count"] > 0
    # The catch-up replays the last prompt's messages after the hello.
    await tel.wait_for(lambda f: isinstance(f, dict) and f.get("type") == "executed" and f["data"]["prompt_id"] == pid)
    assert tel.frames.index(hello) == 0


async def test_subscriber_connecting_mid_run_sees_the_running_prompt(comfy_ext, connect, client_id):
    status, body = await asyncio.to_thread(comfy_ext.queue_prompt, wf.long_running(steps=30, step_seconds=0.1), client_id)
    assert status == 200
    pid = body["prompt_id"]
    watcher = await connect(comfy_ext, "/telemetry")
    await watcher.wait_for(lambda f: isinstance(f, dict) and f.get("type") == "progress" and f["data"]["prompt_id"] == pid)
    await watcher.close()

    late = await connect(comfy_ext, "/telemetry")
    hello = await late.wait_type("telemetry.hello")
    assert hello["data"]["executing"]["prompt_id"] == pid
    assert [p["prompt_id"] for p in hello["data"]["queue"]["running"]] == [pid]
    # It then follows the run live to its end.
    await late.wait_type("execution_success", pid, timeout=60)
    steps = [f["data"]["value"] for f in late.texts("progress", pid)]
    assert steps and steps[-1] == 30


def _normalise(frames, sid, pid):
    """Frames with the values that differ between two servers (ids, times) replaced."""
    out = []
    for f in frames:
        if isinstance(f, bytes):
            out.append(("binary", len(f)))
            continue
        text = (
            __import__("json")
            .dumps(f, sort_keys=True)
            .replace(pid, "PID")
            .replace(sid, "SID")
        )
        d = __import__("json").loads(text)
        if isinstance(d.get("data"), dict):
            d["data"].pop("timestamp", None)
        out.append(d)
    return out


async def test_comfyuis_own_client_sees_what_it_saw_without_the_extension(comfy_ext, comfy_stock, connect, client_id):
    seen = []
    seed = wf.fresh_seed() + 500_000  # uncached on both servers
    for server in (comfy_stock, comfy_ext):
        sock = await connect(server, f"/ws?clientId={client_id}")
        await sock.wait_type("status")
        prompt = wf.success(seed=seed, steps=3, step_seconds=0.05, preview=True)
        prompt["1"]["inputs"]["color"] = seed % 0xFFFFFF
        prompt["3"]["inputs"]["filename_prefix"] = f"same_{seed}"  # same file counter on both
        status, body = await asyncio.to_thread(server.queue_prompt, prompt, client_id)
        assert status == 200
        pid = body["prompt_id"]
        await sock.wait_for(lambda f, p=pid: isinstance(f, dict) and f.get("type") == "executing"
                            and f["data"].get("node") is None and f["data"].get("prompt_id") == p)
        await asyncio.sleep(0.3)  # the trailing status frame
        seen.append(_normalise(sock.frames, client_id, pid))
        await sock.close()
    stock, with_ext = seen
    assert with_ext == stock
