"""A run's record built from what the extension observes: the page's Run shape, node states
that never move backwards, server timestamps first, runs without a client id, lost runs."""

from comfyui_telemetry.runlog import record
from comfyui_telemetry.runlog.params import Hidden

PROMPT = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64}},
    "2": {"class_type": "SlowProgress", "inputs": {"image": ["1", 0], "steps": 3}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}},
}
SAVED = {"images": [{"filename": "x_00001_.png", "subfolder": "", "type": "output"}]}


def queued(run, now=1000):
    run.queued(now, 5, "c-abc", PROMPT, {}, store_text=True, hidden=Hidden(), env={"comfyui_version": "0.3.64"})


def test_a_streamed_success_has_nodes_outputs_and_server_times():
    run = record.Run("p1", 1000)
    queued(run)
    run.started(1100)
    run.message("execution_start", {"prompt_id": "p1", "timestamp": 1105}, 1106)
    run.message("execution_cached", {"nodes": ["1"], "prompt_id": "p1", "timestamp": 1107}, 1108)
    run.message("executing", {"node": "2", "prompt_id": "p1"}, 1110)
    run.message("progress", {"node": "2", "value": 2, "max": 3, "prompt_id": "p1"}, 1200)
    run.message("executing", {"node": "3", "prompt_id": "p1"}, 1300)
    run.message("executed", {"node": "3", "output": SAVED, "prompt_id": "p1"}, 1350)
    run.message("execution_success", {"prompt_id": "p1", "timestamp": 1400}, 1401)
    run.message("executing", {"node": None, "prompt_id": "p1"}, 1402)
    doc = run.doc()
    assert (doc["status"], doc["exit_reason"]) == ("succeeded", "success")
    assert doc["start_ms"] == 1105 and doc["duration_ms"] == 295
    r = doc["run"]
    assert r["status"] == "succeeded" and r["number"] == 5 and r["client_id"] == "c-abc"
    assert [(n["id"], n["status"]) for n in r["nodes"]] == [
        ("1", "cached"), ("2", "finished"), ("3", "finished")]
    two = r["nodes"][1]
    assert (two["started_ms"], two["finished_ms"], two["value"], two["max"]) == (1110, 1300, 2, 3)
    assert r["outputs"] == [{"node_id": "3", "kind": "image", "filename": "x_00001_.png",
                             "subfolder": "", "folder_type": "output", "format": None,
                             "text": None, "animated": False}]
    assert r["node_total"] == 3 and r["workflow"] == "EmptyImage → SlowProgress → SaveImage"
    assert doc["env"]["comfyui_version"] == "0.3.64"
    assert "x_00001_.png" in run.search_text() and "slowprogress" in run.search_text()


def test_a_run_without_client_id_is_recorded_from_progress_state_and_task_done():
    run = record.Run("p2", 0)
    queued(run, 0)
    run.started(10)
    run.message("progress_state", {"prompt_id": "p2", "nodes": {
        "2": {"state": "running", "value": 0, "max": 3}}}, 20)
    run.message("progress_state", {"prompt_id": "p2", "nodes": {
        "2": {"state": "finished", "value": 3, "max": 3}, "3": {"state": "running"}}}, 50)
    run.done(60, "success", [("execution_start", {"prompt_id": "p2", "timestamp": 11}),
                             ("execution_cached", {"prompt_id": "p2", "nodes": ["1"], "timestamp": 12}),
                             ("execution_success", {"prompt_id": "p2", "timestamp": 58})],
             {"3": SAVED})
    doc = run.doc()
    assert doc["status"] == "succeeded" and doc["duration_ms"] == 47
    assert {n["id"]: n["status"] for n in doc["run"]["nodes"]} == {
        "1": "cached", "2": "finished", "3": "finished"}
    assert [o["filename"] for o in doc["run"]["outputs"]] == ["x_00001_.png"]


def test_failure_and_interrupt_come_from_the_status_messages():
    run = record.Run("p3", 0)
    queued(run, 0)
    run.started(1)
    run.message("executing", {"node": "2", "prompt_id": "p3"}, 2)
    run.done(9, "error", [("execution_start", {"prompt_id": "p3", "timestamp": 1}),
                          ("execution_error", {"prompt_id": "p3", "node_id": "2",
                                               "node_type": "SlowProgress",
                                               "exception_type": "ValueError",
                                               "exception_message": "boom",
                                               "traceback": ["line 1"], "executed": ["1"],
                                               "timestamp": 8})], {})
    doc = run.doc()
    assert (doc["status"], doc["exit_reason"]) == ("failed", "error")
    e = doc["run"]["error"]
    assert (e["node_id"], e["exception_type"], e["exception_message"], e["timestamp"]) == (
        "2", "ValueError", "boom", 8)
    assert doc["run"]["nodes"][1]["status"] == "failed"

    stop = record.Run("p4", 0)
    queued(stop, 0)
    stop.message("executing", {"node": "2", "prompt_id": "p4"}, 2)
    stop.done(9, "error", [("execution_interrupted", {"prompt_id": "p4", "node_id": "2",
                                                     "node_type": "SlowProgress", "timestamp": 8})], {})
    d = stop.doc()
    assert d["status"] == "interrupted" and d["run"]["interrupted_node"] == "2"
    assert d["run"]["nodes"][1]["status"] == "interrupted"


def test_statuses_never_move_backwards():
    run = record.Run("p5", 0)
    queued(run, 0)
    run.message("execution_success", {"prompt_id": "p5", "timestamp": 5}, 6)
    run.message("executing", {"node": "2", "prompt_id": "p5"}, 7)  # late duplicate
    run.message("execution_start", {"prompt_id": "p5", "timestamp": 1}, 8)
    run.message("execution_error", {"prompt_id": "p5", "timestamp": 9}, 9)
    assert run.status == "succeeded"
    assert all(n["status"] != "running" for n in run.nodes.values())
    n = run.node_status("3", "finished", 10)
    run.node_status("3", "running", 11)
    assert n["status"] == "finished"


def test_a_blocked_node_is_not_a_failure():
    # execution.py execution_block_cb: an ExecutionBlocker with a message is sent as an
    # execution_error (empty traceback), the prompt goes on and its history records success.
    run = record.Run("p6", 0)
    queued(run, 0)
    run.message("execution_start", {"prompt_id": "p6", "timestamp": 1}, 1)
    run.message("execution_error", {"prompt_id": "p6", "node_id": "3", "node_type": "SaveImage",
                                    "exception_type": "ExecutionBlocked", "traceback": [],
                                    "exception_message": "Execution Blocked: gate closed"}, 2)
    assert run.status != "failed" and run.error is None
    run.message("execution_success", {"prompt_id": "p6", "timestamp": 5}, 6)
    run.done(7, "success", [("execution_start", {"timestamp": 1}),
                            ("execution_success", {"timestamp": 5})], {})
    doc = run.doc()
    assert (doc["status"], doc["run"]["status"]) == ("succeeded", "succeeded")
    assert doc["run"]["error"] is None


def test_memory_before_peak_and_after():
    run = record.Run("p6", 0)
    queued(run, 0)
    run.started(1)
    run.memory({"name": "RTX", "vram_total": 100, "vram_free": 80})
    run.memory({"name": "RTX", "vram_total": 100, "vram_free": 30})
    run.memory({"name": "RTX", "vram_total": 100, "vram_free": 60})
    run.done(5, "success", [], {})
    run.memory({"name": "RTX", "vram_total": 100, "vram_free": 90})
    r = run.doc()["run"]
    assert (r["vram_free_before"], r["vram_peak_used"], r["vram_free_after"], r["gpu_name"]) == (
        80, 70, 90, "RTX")
    assert run.doc()["gpu"] == "RTX"


def test_a_run_open_when_the_server_died_is_lost_with_its_last_node_and_memory():
    run = record.Run("p7", 0)
    queued(run, 0)
    run.started(1)
    run.message("executing", {"node": "2", "prompt_id": "p7"}, 2)
    run.memory({"name": "RTX", "vram_total": 100, "vram_free": 40})
    back = record.from_doc(run.doc())
    back.lose("server restarted", 100)
    doc = back.doc()
    assert (doc["status"], doc["exit_reason"]) == ("lost", "lost")
    r = doc["run"]
    assert r["status"] == "unknown" and r["lost_reason"] == "server restarted"
    assert r["current_node"] == "2" and r["vram_free_after"] == 40 and r["vram_peak_used"] == 60
    assert back.search_text()  # still searchable
    done = record.Run("p8", 0)
    done.done(1, "success", [], {})
    done.lose("server restarted", 2)
    assert done.status == "succeeded"


def test_artifact_kinds():
    out = record.artifacts("9", {"gifs": [{"filename": "a.mp4", "format": "video/h264-mp4",
                                           "type": "output", "subfolder": "v"}],
                                 "audio": [{"filename": "b.flac", "type": "output"}],
                                 "images": [{"filename": "c.webp", "type": "temp"}],
                                 "animated": [True], "text": ["hello"]})
    assert [(a["kind"], a["filename"], a["animated"]) for a in out] == [
        ("video", "a.mp4", False), ("audio", "b.flac", False), ("image", "c.webp", True),
        ("text", "", False)]


def test_the_series_is_the_page_shape_bounded_with_its_peak_kept():
    run = record.Run("p9", 0)
    queued(run, 0)
    run.message("execution_start", {"prompt_id": "p9", "timestamp": 1000}, 1000)
    run.message("executing", {"node": "2", "prompt_id": "p9"}, 1000)
    for i in range(1, 2001):
        free = 50 << 20 if i == 700 else 80 << 20
        run.message("progress", {"node": "2", "value": i % 10, "max": 10, "prompt_id": "p9"}, 1000 + i * 1000)
        run.tick({"vram_total": 100 << 20, "vram_free": free, "name": "g"}, 1000 + i * 1000)
    run.done(2_002_000, "success", [("execution_success", {"prompt_id": "p9", "timestamp": 2_002_000})], {})
    run.tick({"vram_total": 100 << 20, "vram_free": 90 << 20, "name": "g"}, 2_002_000)
    s = run.doc()["series"]
    assert set(s) == {"prompt_id", "start_ms", "samples", "memory", "mem_total_mb", "peak_mb",
                      "peak_t_ms", "interval_ms"}
    assert s["start_ms"] == 1000 and s["mem_total_mb"] == 100 and s["memory"] == "vram"
    assert len(s["samples"]) <= 241 and s["interval_ms"] > 200
    assert (s["peak_mb"], s["peak_t_ms"]) == (50, 700_000)
    last = s["samples"][-1]
    assert last["progress"] == 1.0 and last["t_ms"] == 2_001_000
    assert set(last) == {"t_ms", "nodes_done", "nodes_total", "step", "steps", "step_rate",
                         "mem_mb", "progress"}
    mid = s["samples"][len(s["samples"]) // 2]
    assert mid["nodes_total"] == 3 and 0 <= mid["progress"] < 1 and mid["steps"] == 10
    assert any(0 < x["progress"] < 1 for x in s["samples"])
    back = record.from_doc(run.doc())
    assert back.doc()["series"] == s
