"""The writer thread's bounds: a full queue drops new events (counted) instead of waiting, and
a store that fails to write is retried at the next flush without losing the run."""

import time

from comfyui_telemetry.runlog.config import Settings
from comfyui_telemetry.runlog.store import Store
from comfyui_telemetry.runlog.writer import Writer

PROMPT = {"1": {"class_type": "SaveImage", "inputs": {}}}


def test_a_full_queue_drops_new_events_and_counts_them(tmp_path):
    w = Writer(Store(str(tmp_path)), Settings(queue_size=10))
    accepted = [w.submit(("started", 0, f"p{i}")) for i in range(15)]
    assert accepted == [True] * 10 + [False] * 5
    assert w.counters()["runlog_dropped_events"] == 5 and w.counters()["runlog_queue"] == 10


def test_a_failed_write_is_retried_at_the_next_flush(tmp_path):
    store = Store(str(tmp_path))
    w = Writer(store, Settings(flush_interval=0.05)).start()
    try:
        assert w.ready.wait(5)
        real = store.write
        calls = []

        def flaky(rows):
            calls.append(len(rows))
            if len(calls) == 1:
                raise OSError("disk full")
            return real(rows)

        store.write = flaky
        w.submit(("queued", int(time.time() * 1000), "p1", 1, "c", PROMPT, {}))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and w.counters()["runlog_written"] == 0:
            time.sleep(0.02)
        assert w.counters()["runlog_write_failures"] == 1 and w.counters()["runlog_written"] == 1
    finally:
        w.stop()
    reread = Store(str(tmp_path)).open()
    assert reread.get("p1")["status"] == "queued"
    reread.close()
    reread.close_readers()
