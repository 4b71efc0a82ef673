"""Webhooks against a receiver on 127.0.0.1: one delivery per finished run and one when the
queue drains, a retry after a 500, a receiver that never answers costing ComfyUI nothing,
the formats, and the counters."""

import asyncio
import json
import time

import pytest

from comfyui_telemetry.runlog import webhooks as W
from receiver import Receiver
from test_runlog_api import NOW, SAVED, Status, logged, ok_status, run_prompt  # noqa: F401
from conftest import queue_item


@pytest.fixture
def receiver():
    made = []

    def make(**kw):
        r = Receiver(**kw)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def write_settings(folder, url, **entry):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / W.FILE).write_text(json.dumps({"webhooks": [dict(url=url, **entry)]}))


async def test_one_delivery_per_finished_run_and_one_for_the_drained_queue(logged, receiver, tmp_path):
    rx = receiver()
    write_settings(tmp_path / "log", rx.url)
    comfy = await logged()
    q = comfy.server.prompt_queue
    for i in range(3):
        q.put(queue_item(i, f"w{i}"))
    for i in range(3):
        _, item_id = q.get(timeout=1)
        status = ok_status(f"w{i}") if i != 1 else Status("error", False, [
            ("execution_error", {"prompt_id": "w1", "node_id": "2", "node_type": "SlowProgress",
                                 "exception_type": "ValueError", "exception_message": "bad",
                                 "timestamp": NOW})])
        q.task_done(item_id, {"outputs": {"3": SAVED} if i != 1 else {}}, status=status)
    assert await asyncio.to_thread(rx.wait, 4)
    await asyncio.sleep(0.3)
    bodies = rx.bodies()
    assert [b["event"] for b in bodies] == ["run.succeeded", "run.failed", "run.succeeded",
                                            "queue.drained"]
    assert [b.get("prompt_id") for b in bodies[:3]] == ["w0", "w1", "w2"]
    assert bodies[0]["outputs"] == ["out_00001_.png"] and bodies[0]["duration_ms"] == 3000
    assert bodies[1]["error"]["exception_message"] == "bad"
    assert all(p == "/hook/secret-path" for p, _, _ in rx.posts)
    assert comfy.ext.runlog.counters()["webhook_delivered_total"] == 4


async def test_a_500_is_retried_once(logged, receiver, tmp_path, monkeypatch):
    monkeypatch.setenv("COMFY_TELEMETRY_WEBHOOK_BACKOFF", "0.2")
    rx = receiver(statuses=[500])
    monkeypatch.setenv("COMFY_TELEMETRY_WEBHOOK_URL", rx.url)
    monkeypatch.setenv("COMFY_TELEMETRY_WEBHOOK_EVENTS", "succeeded,failed")
    comfy = await logged()
    await run_prompt(comfy, "retry-me")
    assert await asyncio.to_thread(rx.wait, 2)
    await asyncio.sleep(0.5)
    assert [b["prompt_id"] for b in rx.bodies()] == ["retry-me", "retry-me"]
    c = comfy.ext.runlog.counters()
    assert (c["webhook_retries_total"], c["webhook_delivered_total"], c["webhook_failed_total"]) == (1, 1, 0)


async def test_a_receiver_that_never_answers_does_not_slow_comfyui(logged, receiver, monkeypatch):
    rx = receiver(hang=True)
    monkeypatch.setenv("COMFY_TELEMETRY_WEBHOOK_URL", rx.url)
    monkeypatch.setenv("COMFY_TELEMETRY_WEBHOOK_TIMEOUT", "30")
    comfy = await logged()
    started = time.monotonic()
    for i in range(5):
        await run_prompt(comfy, f"h{i}")
    took = time.monotonic() - started
    listing = None
    for _ in range(100):
        listing = await (await comfy.client.get("/telemetry/runs/count?status=succeeded")).json()
        if listing["count"] == 5:
            break
        await asyncio.sleep(0.05)
    assert listing["count"] == 5  # logged while the first delivery still hangs
    assert comfy.ext.runlog.counters()["webhook_delivered_total"] == 0
    assert took < 30  # not one delivery timeout was waited for


def test_formats():
    doc = {"prompt_id": "p", "status": "failed", "workflow": "Portraits", "duration_ms": 2500,
           "run": {"number": 3, "outputs": [], "error": {"exception_type": "OOM",
                                                          "exception_message": "out of memory"}}}
    payload = W.summary(doc)
    body, headers = W.request_of(W.Hook("http://x", "ntfy"), payload)
    assert body.decode() == "ComfyUI run failed in 2.5 s: Portraits\nOOM: out of memory"
    assert headers["Priority"] == "high" and headers["Content-Type"].startswith("text/plain")
    body, _ = W.request_of(W.Hook("http://x", "discord"), payload)
    assert json.loads(body) == {"content": "ComfyUI run failed in 2.5 s: Portraits\nOOM: out of memory"}
    body, _ = W.request_of(W.Hook("http://x", "slack"), payload)
    assert set(json.loads(body)) == {"text"}
    body, headers = W.request_of(W.Hook("http://x", "json", headers={"Authorization": "Bearer t"}), payload)
    assert json.loads(body)["event"] == "run.failed" and headers["Authorization"] == "Bearer t"


def test_settings_from_environment_and_file(tmp_path):
    (tmp_path / W.FILE).write_text(json.dumps({"webhooks": [
        {"url": "https://ntfy.sh/topic", "format": "ntfy", "events": ["failed", "drained"]},
        {"url": "file:///etc/passwd"}]}))
    hooks = W.load(str(tmp_path), {"COMFY_TELEMETRY_WEBHOOK_URL": "http://a/1, ftp://b",
                                   "COMFY_TELEMETRY_WEBHOOK_FORMAT": "slack"})
    assert [(h.url, h.format, sorted(h.events)) for h in hooks] == [
        ("http://a/1", "slack", sorted(W.EVENTS)),
        ("https://ntfy.sh/topic", "ntfy", ["drained", "failed"])]


def test_the_outgoing_queue_is_bounded():
    s = W.Sender([W.Hook("http://127.0.0.1:9/x")], max_queue=3)
    s.thread = object()  # no delivery thread: only the queue is under test
    for i in range(5):
        s.run_finished({"prompt_id": str(i), "status": "succeeded", "run": {}})
    c = s.counters()
    assert (c["webhook_queue"], c["webhook_dropped_total"]) == (3, 2)
