"""The greeting, the catch-up replay after a reconnect, and telemetry.queued."""

import asyncio
import json
import threading

from comfyui_telemetry.pseudonym import pseudonym
from conftest import (PROMPT, finish_prompt, hello_of, queue_item, receive, receive_all,
                      run_node, start_prompt, types_of)


async def test_hello_on_an_idle_server(comfy):
    tele = await comfy.ws("/telemetry")
    hello = await hello_of(tele)
    assert hello == {
        "protocol": 1,
        "extension_version": "0.1.0",
        "comfyui_version": None,
        "queue": {"running": [], "pending": []},
        "executing": {"prompt_id": None, "node": None},
        "replay": {"count": 0},
        "features": [],
    }
    assert await receive_all(tele) == []


async def test_hello_reports_queue_with_node_counts_and_what_is_executing(comfy):
    srv = comfy.server
    srv.prompt_queue.put(queue_item(7, "run-1", client_id="ui"))
    srv.prompt_queue.put(queue_item(9, "pend-2", client_id=None, prompt={"5": {"class_type": "X"}}))
    srv.prompt_queue.put(queue_item(8, "pend-1", extra={"create_time": 1}) + ({"api_key": "s"},))
    item, _ = srv.prompt_queue.get(timeout=0)
    assert item[1] == "run-1"
    await start_prompt(srv, "run-1", "ui")
    await run_node(srv, "run-1", "ui", "2")

    hello = await hello_of(await comfy.ws("/telemetry"))
    assert hello["queue"]["running"] == [{
        "prompt_id": "run-1", "number": 7, "client_id": pseudonym("ui"), "node_count": 3,
        "nodes": {"1": "EmptyImage", "2": "SlowProgress", "3": "SaveImage"},
    }]
    assert [p["prompt_id"] for p in hello["queue"]["pending"]] == ["pend-1", "pend-2"]
    assert hello["queue"]["pending"][1] == {
        "prompt_id": "pend-2", "number": 9, "client_id": None, "node_count": 1,
        "nodes": {"5": "X"},
    }
    assert hello["executing"] == {"prompt_id": "run-1", "node": "2"}


async def test_comfyui_version_comes_from_comfyui_version_module(comfy, monkeypatch):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "comfyui_version",
                        types.SimpleNamespace(__version__="0.3.64"))
    hello = await hello_of(await comfy.ws("/telemetry"))
    assert hello["comfyui_version"] == "0.3.64"


async def test_reconnect_mid_run_replays_the_running_and_last_prompt(comfy):
    srv = comfy.server
    ui = await comfy.ws("/ws", clientId="ui")
    await receive(ui)
    # An earlier prompt, finished; and one before it, which must not be replayed.
    for old in ("old-0", "old-1"):
        await start_prompt(srv, old, "ui")
        await run_node(srv, old, "ui", "2", steps=1)
        await finish_prompt(srv, old, "ui")
    srv.prompt_queue.put(queue_item(3, "now"))
    srv.prompt_queue.get(timeout=0)

    first = await comfy.ws("/telemetry")
    await hello_of(first)
    await start_prompt(srv, "now", "ui")
    await run_node(srv, "now", "ui", "1", steps=1)
    await srv.send_json("status", {"status": {"exec_info": {"queue_remaining": 1}}})
    await run_node(srv, "now", "ui", "2", steps=2)
    seen_before = await receive_all(first)
    await first.close()  # the dashboard drops mid-run ...
    await run_node(srv, "now", "ui", "2", steps=0)
    await srv.send_json("progress", {"value": 3, "max": 3, "prompt_id": "now", "node": "2"}, "ui")
    await srv.send_bytes(1, b"\x00\x00\x00\x01jpeg", "ui")  # previews are not replayed

    again = await comfy.ws("/telemetry")  # ... and comes back
    hello = await hello_of(again)
    assert hello["executing"] == {"prompt_id": "now", "node": "2"}
    replay = [json.loads(await receive(again)) for _ in range(hello["replay"]["count"])]
    ids = [m["data"]["prompt_id"] for m in replay]
    assert set(ids) == {"old-1", "now"}, ids
    assert ids.index("now") > max(i for i, p in enumerate(ids) if p == "old-1")
    assert replay[-1] == {"type": "progress",
                          "data": {"value": 3, "max": 3, "prompt_id": "now", "node": "2"}}
    # Everything about "now" the first socket saw, except status, is in the replay.
    now_before = [f for f in seen_before if '"prompt_id": "now"' in f]
    assert len(now_before) == 7
    assert [json.dumps(m) for m in replay if m["data"]["prompt_id"] == "now"][:len(now_before)] \
        == now_before
    # Then live messages continue, with no duplicates.
    await finish_prompt(srv, "now", "ui")
    assert types_of(await receive_all(again)) == ["execution_success", "executing"]


async def test_replay_is_bounded_by_the_ring(make_comfy):
    comfy = await make_comfy(ring_size=5)
    for i in range(20):
        await comfy.server.send_json("progress", {"value": i, "max": 20, "prompt_id": "p",
                                                  "node": "1"}, None)
    tele = await comfy.ws("/telemetry")
    hello = await hello_of(tele)
    assert hello["replay"]["count"] == 5
    values = [json.loads(await receive(tele))["data"]["value"] for _ in range(5)]
    assert values == [15, 16, 17, 18, 19]


async def test_queued_is_announced_on_put(comfy):
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    comfy.server.prompt_queue.put(queue_item(4, "q-1", client_id="ui") + ({"secret": 1}, "more"))
    frames = await receive_all(tele)
    assert types_of(frames) == ["telemetry.queued", "status"]
    queued = json.loads(frames[0])["data"]
    at = queued.pop("queued_at")
    assert isinstance(at, int) and at > 1_700_000_000_000
    assert queued == {"prompt_id": "q-1", "number": 4, "client_id": pseudonym("ui"), "node_count": 3,
                      "nodes": {"1": "EmptyImage", "2": "SlowProgress", "3": "SaveImage"}}


async def test_queued_via_post_prompt_and_from_another_thread(comfy):
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    resp = await comfy.client.post("/api/prompt", json={"prompt": PROMPT, "client_id": "c"})
    pid = (await resp.json())["prompt_id"]
    t = threading.Thread(target=comfy.server.prompt_queue.put,
                         args=(queue_item(99, "from-thread", client_id=None),))
    t.start()
    t.join()
    await asyncio.sleep(0.05)
    queued = [json.loads(f)["data"] for f in await receive_all(tele)
              if json.loads(f)["type"] == "telemetry.queued"]
    assert [(q["prompt_id"], q["client_id"]) for q in queued] == [(pid, pseudonym("c")), ("from-thread", None)]
    # ComfyUI's own put still did its job.
    assert comfy.server.prompt_queue.get_tasks_remaining() == 2


async def test_catch_up_is_bounded_in_bytes_progress_first_lifecycle_kept(make_comfy):
    comfy = await make_comfy(ring_bytes=20_000)
    srv = comfy.server
    await start_prompt(srv, "big", "ui")
    for i in range(100):
        await srv.send_json("progress", {"value": i, "max": 100, "prompt_id": "big", "node": "2",
                                         "pad": "x" * 500}, "ui")
    await finish_prompt(srv, "big", "ui")
    assert comfy.hub.catchup.queue.bytes <= 20_000
    tele = await comfy.ws("/telemetry")
    hello = await hello_of(tele)
    replay = [json.loads(await receive(tele)) for _ in range(hello["replay"]["count"])]
    kinds = [m["type"] for m in replay]
    assert kinds[:2] == ["execution_start", "execution_cached"]
    assert kinds[-2:] == ["execution_success", "executing"]
    steps = [m["data"]["value"] for m in replay if m["type"] == "progress"]
    assert 0 < len(steps) < 100 and steps == list(range(100 - len(steps), 100))  # the newest


async def test_catch_up_keeps_the_latest_progress_state_only(comfy):
    srv = comfy.server
    await start_prompt(srv, "p", "ui")
    for i in range(50):
        await srv.send_json("progress_state", {"prompt_id": "p", "nodes": {"2": {"value": i}}}, "ui")
    tele = await comfy.ws("/telemetry")
    hello = await hello_of(tele)
    replay = [json.loads(await receive(tele)) for _ in range(hello["replay"]["count"])]
    states = [m for m in replay if m["type"] == "progress_state"]
    assert [s["data"]["nodes"]["2"]["value"] for s in states] == [49]


async def test_a_flood_of_non_run_broadcasts_leaves_the_runs_catch_up_intact(make_comfy):
    comfy = await make_comfy(ring_size=64)
    srv = comfy.server
    await start_prompt(srv, "run", "ui")
    await run_node(srv, "run", "ui", "2", steps=3)
    for i in range(2000):  # newer ComfyUI's asset scanner, monitors, log streaming
        await srv.send_json("assets.seed.progress", {"prompt_id": "run", "done": i}, None)
        await srv.send_json("crystools.monitor", {"prompt_id": "run", "cpu": i}, None)
        await srv.send_json("logs", {"prompt_id": "run", "entries": [str(i)]}, None)
    await finish_prompt(srv, "run", "ui")
    tele = await comfy.ws("/telemetry")
    hello = await hello_of(tele)
    replay = [json.loads(await receive(tele)) for _ in range(hello["replay"]["count"])]
    assert types_of([json.dumps(m) for m in replay]) == [
        "execution_start", "execution_cached", "executing", "progress", "progress", "progress",
        "execution_success", "executing"]


async def test_hello_never_deep_copies_the_queue(comfy, monkeypatch):
    srv = comfy.server
    big = {str(i): {"class_type": "Node%d" % (i % 7), "inputs": {}} for i in range(400)}
    for n in range(300):
        srv.prompt_queue.put(queue_item(n, f"q{n}", prompt=big))
    srv.prompt_queue.get(timeout=0)

    def forbidden(*_a, **_k):
        raise AssertionError("deep copy of the queue on the event loop")

    monkeypatch.setattr(srv.prompt_queue, "get_current_queue", forbidden)
    import copy
    monkeypatch.setattr(copy, "deepcopy", forbidden)
    hello = await hello_of(await comfy.ws("/telemetry"))
    assert [p["prompt_id"] for p in hello["queue"]["running"]] == ["q0"]
    assert [p["number"] for p in hello["queue"]["pending"]] == list(range(1, 300))
    assert hello["queue"]["pending"][0]["node_count"] == 400
    assert hello["queue"]["pending"][0]["nodes"]["8"] == "Node1"


async def test_hello_summarises_prompts_queued_before_the_extension(comfy):
    srv = comfy.server
    # Put straight into the heap, as if queued before the extension was loaded.
    import heapq
    heapq.heappush(srv.prompt_queue.queue, queue_item(5, "early", client_id="c"))
    hello = await hello_of(await comfy.ws("/telemetry"))
    assert hello["queue"]["pending"] == [{
        "prompt_id": "early", "number": 5, "client_id": pseudonym("c"), "node_count": 3,
        "nodes": {"1": "EmptyImage", "2": "SlowProgress", "3": "SaveImage"}}]
