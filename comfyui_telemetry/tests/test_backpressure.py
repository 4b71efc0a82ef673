"""A slow dashboard loses messages (and is told how many and where); its queue is bounded in
bytes, previews go first, lifecycle messages never; ComfyUI and fast dashboards never wait."""

import asyncio
import json
import struct
import time

import aiohttp

from comfyui_telemetry import framequeue as fq
from conftest import hello_of, receive, receive_all


def _gate(sub):
    """Makes a subscriber's socket writes block until the returned event is set."""
    gate, entered = asyncio.Event(), asyncio.Event()
    sub.transport = None  # through ws.send_*, which this replaces
    real_send_str, real_send_bytes = sub.ws.send_str, sub.ws.send_bytes

    async def gated_str(frame):
        entered.set()
        await gate.wait()
        await real_send_str(frame)

    async def gated_bytes(frame):
        entered.set()
        await gate.wait()
        await real_send_bytes(frame)

    sub.ws.send_str, sub.ws.send_bytes = gated_str, gated_bytes
    return gate, entered


async def _two_subscribers(comfy):
    fast = await comfy.ws("/telemetry")
    await hello_of(fast)
    before = set(comfy.hub.subscribers)
    slow = await comfy.ws("/telemetry")
    await hello_of(slow)
    (slow_sub,) = comfy.hub.subscribers - before
    return fast, slow, slow_sub


async def test_slow_subscriber_loses_the_oldest_progress_and_is_told_where(make_comfy):
    comfy = await make_comfy(queue_size=3, gpu_interval=0)
    fast, slow, slow_sub = await _two_subscribers(comfy)
    gate, entered = _gate(slow_sub)
    n = 50
    for i in range(n):
        await comfy.server.send_json("progress", {"value": i, "max": n, "prompt_id": "p",
                                                  "node": "1"}, "someone")
        await asyncio.sleep(0.001)  # ComfyUI's publish loop yields between messages
    assert entered.is_set()
    assert slow_sub.dropped_total == n - 4
    gate.set()

    full = [json.loads(f) for f in await receive_all(fast)]
    lossy = [json.loads(f) for f in await receive_all(slow)]
    assert [m["data"]["value"] for m in full] == list(range(n))
    # The frame in flight, then the notice where the gap is, then the newest three.
    assert lossy[0]["data"]["value"] == 0
    assert lossy[1] == {"type": "telemetry.dropped", "data": {"count": n - 4, "total": n - 4}}
    assert [m["data"]["value"] for m in lossy[2:]] == [n - 3, n - 2, n - 1]

    # With room again, new messages flow; a later loss reports the running total.
    await comfy.server.send_json("progress", {"value": 100, "prompt_id": "p"}, None)
    assert json.loads(await receive(slow))["data"]["value"] == 100
    assert json.loads(await receive(fast))["data"]["value"] == 100


def _preview(i, size=1000):
    return struct.pack(">II", 1, 1) + bytes([i % 256]) * size


async def test_previews_go_first_then_progress_and_lifecycle_never(make_comfy):
    comfy = await make_comfy(queue_bytes=4000, gpu_interval=0)
    fast, slow, slow_sub = await _two_subscribers(comfy)
    gate, _ = _gate(slow_sub)
    srv = comfy.server
    await srv.send_json("execution_start", {"prompt_id": "p", "timestamp": 1}, "c")
    await asyncio.sleep(0.01)  # the writer takes it and blocks: the rest queues
    for step in range(1, 6):
        await srv.send_bytes(1, _preview(step)[4:], "c")
        await srv.send_json("progress", {"value": step, "max": 5, "prompt_id": "p", "node": "2"}, "c")
    await srv.send_json("executed", {"node": "3", "output": {}, "prompt_id": "p"}, "c")
    await srv.send_json("execution_success", {"prompt_id": "p", "timestamp": 2}, "c")
    assert slow_sub.queue.peak_bytes <= 4000
    gate.set()
    got = await receive_all(slow)
    texts = [json.loads(f) for f in got if isinstance(f, str)]
    kinds = [t["type"] for t in texts]
    # Lifecycle all there, in order; the five progress frames all kept (previews made room).
    assert [k for k in kinds if k != "telemetry.dropped"] == \
        ["execution_start"] + ["progress"] * 5 + ["executed", "execution_success"]
    previews = [f for f in got if isinstance(f, bytes)]
    assert 0 < len(previews) < 5
    # The previews kept are the newest ones.
    assert previews == [_preview(s) for s in range(6 - len(previews), 6)]
    assert sum(t["data"]["count"] for t in texts if t["type"] == "telemetry.dropped") == 5 - len(previews)
    assert len(await receive_all(fast)) == 13


async def test_a_subscriber_that_cannot_take_its_lifecycle_messages_is_disconnected(make_comfy):
    comfy = await make_comfy(queue_bytes=2000, gpu_interval=0)
    fast, slow, slow_sub = await _two_subscribers(comfy)
    _gate(slow_sub)
    for i in range(40):
        await comfy.server.send_json("executing", {"node": str(i), "prompt_id": "p"}, "c")
        await asyncio.sleep(0.001)  # the fast one keeps up
    assert slow_sub.closed and slow_sub not in comfy.hub.subscribers
    assert len(slow_sub.queue) == 0  # its memory is released at once
    msg = await slow.receive(timeout=7)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    # The fast one got everything.
    assert len(await receive_all(fast)) == 40


async def test_a_subscriber_that_never_reads_costs_at_most_its_budget(make_comfy):
    budget = 1_000_000
    comfy = await make_comfy(queue_bytes=budget, gpu_interval=0)
    stuck = await comfy.ws("/telemetry")  # never read from again
    await hello_of(stuck)
    payload = {"prompt_id": "p", "blob": "x" * 200_000}
    started = time.perf_counter()
    for _ in range(200):  # 40 MB offered to a socket nobody reads
        await comfy.server.send_json("progress_state", payload, None)
        await comfy.server.send_bytes(1, b"\x00\x00\x00\x01" + b"j" * 100_000, None)
    elapsed = time.perf_counter() - started
    sub = next(iter(comfy.hub.subscribers))
    assert sub.dropped_total > 300
    assert sub.queue.peak_bytes <= budget
    assert len(sub.queue._entries) <= 2 * len(sub.queue) + 66  # markers are merged
    assert elapsed < 5.0, elapsed
    resp = await comfy.client.get("/telemetry/stats")
    stats = await resp.json()
    (s,) = stats["subscribers"]
    assert s["limit_bytes"] == budget and 0 < s["peak_bytes"] <= budget
    assert s["dropped_total"] == sub.dropped_total


def test_markers_merge_and_pop_reports_each_gap_once():
    q = fq.FrameQueue(max_bytes=10 * (fq.OVERHEAD + 1), evict_order=(fq.PREVIEW, fq.PROGRESS))
    q.push("L", fq.LIFECYCLE)
    for _ in range(200):
        q.push(b"p", fq.PREVIEW)
    q.push("E", fq.LIFECYCLE)
    assert q.dropped_total == 192
    assert len(q._entries) <= len(q) + 66  # markers are merged
    out = []
    while (item := q.pop()) is not None:
        out.append(item)
    assert out[0] == ("L", 0)
    assert out[1] == (None, 192)
    assert out[2:] == [(b"p", 0)] * 8 + [("E", 0)]
    assert q.bytes == 0 and len(q) == 0


async def test_subscriber_cap_refuses_with_503(make_comfy):
    comfy = await make_comfy(max_subscribers=2, reserved=0, gpu_interval=0)
    a, b = await comfy.ws("/telemetry"), await comfy.ws("/telemetry")
    await hello_of(a), await hello_of(b)
    resp = await comfy.client.get("/telemetry", headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert resp.status == 503
    await a.close()
    await asyncio.sleep(0.05)
    c = await comfy.ws("/telemetry")
    await hello_of(c)


async def test_heartbeat_closes_a_peer_that_never_answers_pings(make_comfy):
    comfy = await make_comfy(heartbeat=0.2, gpu_interval=0)
    silent = await comfy.client.ws_connect("/telemetry", autoping=False)  # never reads: no pong
    alive = await comfy.ws("/telemetry")
    frames = []

    async def read():
        async for msg in alive:
            frames.append(msg)

    reader = asyncio.ensure_future(read())
    await asyncio.sleep(1.0)
    assert len(comfy.hub.subscribers) == 1
    assert not alive.closed
    reader.cancel()
    await silent.close()
