"""A slow dashboard loses messages (and is told how many); ComfyUI and fast ones never wait."""

import asyncio
import json
import time

from conftest import hello_of, receive, receive_all


async def test_slow_subscriber_drops_then_gets_dropped_notice(make_comfy):
    comfy = await make_comfy(queue_size=3, gpu_interval=0)
    fast = await comfy.ws("/telemetry")
    await hello_of(fast)
    before = set(comfy.hub.subscribers)
    slow = await comfy.ws("/telemetry")
    await hello_of(slow)
    (slow_sub,) = comfy.hub.subscribers - before
    # The slow dashboard's writes block until released (a socket nobody reads, made
    # deterministic).
    gate = asyncio.Event()
    entered = asyncio.Event()
    real_send = slow_sub.ws.send_str

    async def gated_send(frame):
        entered.set()
        await gate.wait()
        await real_send(frame)

    slow_sub.ws.send_str = gated_send
    n = 50
    for i in range(n):
        await comfy.server.send_json("progress", {"value": i, "max": n, "prompt_id": "p",
                                                  "node": "1"}, "someone")
        await asyncio.sleep(0.001)  # ComfyUI's publish loop yields between messages
    assert entered.is_set()
    assert slow_sub.dropped_total > 0
    gate.set()

    full = [json.loads(f) for f in await receive_all(fast)]
    lossy = [json.loads(f) for f in await receive_all(slow)]
    assert [m["data"]["value"] for m in full] == list(range(n))
    delivered = [m["data"]["value"] for m in lossy if m["type"] == "progress"]
    # What arrived is a prefix (1 in flight + 3 queued), then one notice with the right count.
    assert delivered == [0, 1, 2, 3]
    assert lossy[-1] == {"type": "telemetry.dropped", "data": {"count": n - 4, "total": n - 4}}
    assert len(lossy) == 5

    # With room again, new messages flow.
    await comfy.server.send_json("progress", {"value": 100, "prompt_id": "p"}, None)
    assert json.loads(await receive(slow))["data"]["value"] == 100
    assert json.loads(await receive(fast))["data"]["value"] == 100


async def test_dropped_notice_precedes_the_next_message_when_room_returns(make_comfy):
    comfy = await make_comfy(queue_size=2, gpu_interval=0)
    tele = await comfy.ws("/telemetry")
    await hello_of(tele)
    sub = next(iter(comfy.hub.subscribers))
    # No writer progress at all: push directly, like a burst between two loop iterations.
    for i in range(5):
        sub.push(f'{{"type": "x", "data": {{"i": {i}}}}}')
    assert (len(sub), sub.dropped_pending) == (2, 3)
    frames = [json.loads(f) for f in await receive_all(tele)]
    assert [f["type"] for f in frames] == ["x", "x", "telemetry.dropped"]
    assert frames[2]["data"] == {"count": 3, "total": 3}
    for i in range(4):
        sub.push(f'{{"type": "y", "data": {{"i": {i}}}}}')
    sub._queue.popleft()  # as if the writer had just taken y0: room for one again
    sub.push('{"type": "z", "data": {}}')
    frames = [json.loads(f) for f in await receive_all(tele)]
    assert [f["type"] for f in frames] == ["y", "telemetry.dropped", "z"]
    assert frames[1]["data"] == {"count": 2, "total": 5}


async def test_a_subscriber_that_never_reads_does_not_slow_send_json(make_comfy):
    comfy = await make_comfy(queue_size=8, gpu_interval=0)
    stuck = await comfy.ws("/telemetry")  # never read from again
    await hello_of(stuck)
    payload = {"prompt_id": "p", "blob": "x" * 200_000}
    started = time.perf_counter()
    for _ in range(200):  # 40 MB offered to a socket nobody reads
        await comfy.server.send_json("progress_state", payload, None)
    elapsed = time.perf_counter() - started
    sub = next(iter(comfy.hub.subscribers))
    assert sub.dropped_total > 0
    assert len(sub) <= 8 + 1
    assert elapsed < 2.0, elapsed
