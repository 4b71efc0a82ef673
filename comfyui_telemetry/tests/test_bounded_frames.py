"""Frames bounded for real: the transport's buffer counts against a reader's budget; a message
larger than the budget reaches readers truncated (its run and output file names kept, marked)
instead of breaking the bound or vanishing; one big frame never evicts a run's start or end from
the catch-up."""

import asyncio
import json

from comfyui_telemetry import framequeue as fq
from comfyui_telemetry.catchup import CatchUp
from conftest import hello_of, receive_all

IMAGES = [{"filename": f"out_{i:05d}_.png", "subfolder": "", "type": "output"} for i in range(3)]


async def test_a_message_over_the_budget_is_truncated_for_readers_and_the_catch_up(make_comfy):
    budget = 1_000_000
    comfy = await make_comfy(queue_bytes=budget, ring_bytes=400_000, gpu_interval=0)
    srv = comfy.server
    reader = await comfy.ws("/telemetry")
    await hello_of(reader)
    stuck = await comfy.ws("/telemetry")  # never read again
    await hello_of(stuck)
    await srv.send_json("execution_start", {"prompt_id": "big", "timestamp": 1})
    await srv.send_json("executing", {"node": "2", "display_node": "2", "prompt_id": "big"})
    text = "y" * 3_000_000
    for _ in range(4):  # 12 MB of one node's output, as four sends
        await srv.send_json("executed", {"node": "2", "display_node": "2", "prompt_id": "big",
                                         "output": {"text": [text], "images": IMAGES}})
    await srv.send_json("execution_success", {"prompt_id": "big", "timestamp": 2})
    frames = [json.loads(f) for f in await receive_all(reader)]
    types = [f["type"] for f in frames]
    assert types == ["execution_start", "executing"] + ["executed"] * 4 + ["execution_success"]
    for f in frames[2:6]:
        assert f["data"] == {"node": "2", "display_node": "2", "prompt_id": "big",
                             "output": {"images": IMAGES}, "telemetry_truncated": True,
                             "telemetry_original_bytes": f["data"]["telemetry_original_bytes"]}
        assert f["data"]["telemetry_original_bytes"] > 3_000_000
    for sub in comfy.hub.subscribers:
        assert sub.queue.peak_bytes <= budget
    # A reader arriving later gets the run's start and end around the truncated outputs.
    late = await comfy.ws("/telemetry")
    hello = await hello_of(late)
    replay = [json.loads(f) for f in await receive_all(late)]
    assert hello["replay"]["count"] == len(replay)
    kinds = [f["type"] for f in replay]
    assert kinds[0] == "execution_start" and kinds[-1] == "execution_success"
    assert all(f["data"].get("telemetry_truncated") for f in replay if f["type"] == "executed")
    assert comfy.hub.catchup.queue.bytes <= 400_000


def test_the_transport_buffer_counts_against_the_budget():
    q = fq.FrameQueue(max_bytes=10_000)
    q.external = 9_000  # already in the transport
    q.push(b"p" * 500, fq.PREVIEW)
    q.push(b"q" * 500, fq.PREVIEW)
    assert q.bytes + q.external <= 10_000 and q.dropped_total == 1
    assert q.peak_bytes <= 10_000


def test_one_frame_bigger_than_the_budget_is_dropped_not_queued():
    q = fq.FrameQueue(max_bytes=10_000)
    assert q.push("small", fq.PROGRESS)
    assert q.push(b"x" * 20_000, fq.PREVIEW)
    assert q.peak_bytes <= 10_000
    assert q.pop() == ("small", 0) and q.pop() == (None, 1) and q.pop() is None


def test_big_frames_never_evict_a_runs_start_and_end_from_the_catch_up():
    c = CatchUp(max_frames=512, max_bytes=100_000)
    c.note_prompt("p")
    c.add("p", "execution_start", '{"type": "execution_start"}', fq.RUN)
    c.add("p", "execution_cached", '{"type": "execution_cached"}', fq.RUN)
    for i in range(50):  # each as big as the buffer lets one frame be
        c.add("p", "executed", "x" * (c.frame_cap - fq.OVERHEAD), fq.LIFECYCLE)
    c.add("p", "execution_success", '{"type": "execution_success"}', fq.RUN)
    frames = c.frames()
    assert frames[:2] == ['{"type": "execution_start"}', '{"type": "execution_cached"}']
    assert frames[-1] == '{"type": "execution_success"}'


async def test_a_reader_that_stopped_keeps_transport_and_queue_within_its_budget(make_comfy):
    from test_slots import StuckTransport, _subscriber_on

    budget = 200_000  # smaller than one transport write batch
    comfy = await make_comfy(queue_bytes=budget, write_timeout=60, gpu_interval=0)
    _, sub = await _subscriber_on(comfy, StuckTransport(rate=0))
    for i in range(30):  # 900 kB of previews at once ...
        await comfy.server.send_bytes(1, b"\x00\x00\x00\x01" + b"p" * 30_000, None)
    await asyncio.sleep(0.1)  # ... written to the transport as far as it may take them
    for i in range(30):  # then the run's messages
        await comfy.server.send_json("executing", {"node": str(i), "prompt_id": "p"})
    await asyncio.sleep(0.1)
    assert sub.transport.held <= budget // 2 + 30_100  # half the budget, plus one frame
    assert not sub.closed  # its lifecycle messages still fit in the other half
    assert sub.queue.peak_bytes <= budget
    assert sub.queue.bytes + sub.transport.held <= budget
