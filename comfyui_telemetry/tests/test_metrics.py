"""/telemetry/metrics against the fake PromptServer: run counts from the queue, node times from
progress_state, bounded labels, the origin policy, and both expositions giving the same text."""

import collections
import re

import pytest

from comfyui_telemetry import exposition, metrics
from conftest import queue_item

Status = collections.namedtuple("Status", "status_str completed messages")
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, ((label, value), ...)): float} of an exposition; comments checked for shape."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) \S+ .*$", line), line
            continue
        m = LINE.match(line)
        assert m, line
        labels = tuple(sorted(LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def status(kind, start_ms=1000, end_ms=3500):
    terminal = {"success": "execution_success", "error": "execution_error",
                "interrupted": "execution_interrupted"}[kind]
    return Status("success" if kind == "success" else "error", kind == "success",
                  [("execution_start", {"prompt_id": "p", "timestamp": start_ms}),
                   ("execution_cached", {"nodes": [], "prompt_id": "p", "timestamp": start_ms}),
                   (terminal, {"prompt_id": "p", "timestamp": end_ms})])


def run_through_queue(server, prompt_id, kind, **times):
    q = server.prompt_queue
    q.put(queue_item(q.task_counter, prompt_id))
    item, item_id = q.get(timeout=1)
    assert item[1] == prompt_id
    q.task_done(item_id, {}, status=status(kind, **times))


async def scrape(comfy, path="/telemetry/metrics", headers=None):
    r = await comfy.client.get(path, headers=headers or {})
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = await r.text()
    return text, parse(text)


async def test_runs_are_counted_by_status_with_their_durations(comfy):
    run_through_queue(comfy.server, "ok-1", "success")
    run_through_queue(comfy.server, "ok-2", "success", start_ms=0, end_ms=700)
    run_through_queue(comfy.server, "bad-1", "error")
    run_through_queue(comfy.server, "stop-1", "interrupted")
    comfy.server.prompt_queue.put(queue_item(99, "waiting-1"))
    text, m = await scrape(comfy)
    assert m[("comfyui_prompts_queued_total", ())] == 5
    assert m[("comfyui_prompts_started_total", ())] == 4
    assert m[("comfyui_prompts_finished_total", (("status", "success"),))] == 2
    assert m[("comfyui_prompts_finished_total", (("status", "error"),))] == 1
    assert m[("comfyui_prompts_finished_total", (("status", "interrupted"),))] == 1
    # ComfyUI's own timestamps: 2.5 s and 0.7 s.
    ok = (("status", "success"),)
    assert m[("comfyui_prompt_duration_seconds_count", ok)] == 2
    assert m[("comfyui_prompt_duration_seconds_sum", ok)] == pytest.approx(3.2)
    assert m[("comfyui_prompt_duration_seconds_bucket", (("le", "1.0"),) + ok)] == 1
    assert m[("comfyui_prompt_duration_seconds_bucket", (("le", "2.5"),) + ok)] == 2
    assert m[("comfyui_prompt_duration_seconds_bucket", (("le", "+Inf"),) + ok)] == 2
    assert m[("comfyui_prompt_queue_wait_seconds_count", ())] == 4
    assert m[("comfyui_queue_pending", ())] == 1
    assert m[("comfyui_queue_running", ())] == 0
    assert m[("comfyui_running_prompt_seconds", ())] == 0
    assert m[("comfyui_telemetry_subscribers", ())] == 0
    info = [k for k in m if k[0] == "comfyui_telemetry_info"]
    assert info and dict(info[0][1])["version"] == "0.1.0"
    # No prompt id ever becomes a label.
    for pid in ("ok-1", "ok-2", "bad-1", "stop-1", "waiting-1"):
        assert pid not in text


async def test_a_running_prompt_shows_its_age(comfy):
    q = comfy.server.prompt_queue
    q.put(queue_item(0, "long-1"))
    item, item_id = q.get(timeout=1)
    comfy.ext.metrics.running[item_id] = ("long-1", comfy.ext.metrics.clock() - 700, 0)
    _, m = await scrape(comfy)
    assert m[("comfyui_queue_running", ())] == 1
    assert m[("comfyui_running_prompt_seconds", ())] >= 700
    q.task_done(item_id, {}, status=status("success"))
    _, m = await scrape(comfy)
    assert m[("comfyui_running_prompt_seconds", ())] == 0


def progress_state(pid, **states):
    return {"prompt_id": pid, "nodes": {n: {"state": s, "node_id": n, "prompt_id": pid}
                                        for n, s in states.items()}}


async def test_node_times_by_node_type_from_progress_state(comfy):
    now = [10.0]
    m = comfy.ext.metrics
    m.monotonic = lambda: now[0]
    q = comfy.server.prompt_queue
    q.put(queue_item(0, "n-1"))
    q.get(timeout=1)
    send = comfy.server.send_json
    await send("progress_state", progress_state("n-1", **{"2": "running"}), "ui")
    now[0] = 11.5
    await send("progress_state", progress_state("n-1", **{"2": "finished", "3": "running"}), "ui")
    now[0] = 12.0
    # A repeated "finished" is not counted twice; a node never seen running is not timed.
    await send("progress_state", progress_state("n-1", **{"2": "finished", "3": "finished", "9": "finished"}), "ui")
    _, parsed = await scrape(comfy)
    slow = (("node_type", "SlowProgress"),)
    save = (("node_type", "SaveImage"),)
    assert parsed[("comfyui_node_duration_seconds_count", slow)] == 1
    assert parsed[("comfyui_node_duration_seconds_sum", slow)] == pytest.approx(1.5)
    assert parsed[("comfyui_node_duration_seconds_sum", save)] == pytest.approx(0.5)
    assert ("comfyui_node_duration_seconds_count", (("node_type", "EmptyImage"),)) not in parsed


def test_node_types_are_capped():
    m = metrics.Metrics(max_node_types=2)
    for kind in ("A", "B", "C", "D"):
        m._node_histogram(kind).observe(1)
    assert sorted(m.node_seconds) == ["A", "B", metrics.OTHER]
    assert m.node_seconds[metrics.OTHER].cumulative()[1] == 2


async def test_metrics_follow_the_origin_policy_and_have_an_api_twin(comfy):
    await scrape(comfy, "/api/telemetry/metrics")
    await scrape(comfy, headers={"Origin": f"http://127.0.0.1:{comfy.client.port}"})
    for bad in ("null", "https://evil.example"):
        r = await comfy.client.get("/telemetry/metrics", headers={"Origin": bad})
        assert r.status == 403, bad


async def test_vram_per_device_and_a_failing_sampler(make_comfy):
    sample = {"device": "cuda:0", "name": "GPU", "cpu_only": False,
              "vram_total": 24 * 2**30, "vram_free": 20 * 2**30}
    comfy = await make_comfy(sampler=lambda: sample)
    _, m = await scrape(comfy)
    assert m[("comfyui_vram_total_bytes", (("device", "cuda:0"),))] == 24 * 2**30
    assert m[("comfyui_vram_free_bytes", (("device", "cuda:0"),))] == 20 * 2**30

    def broken():
        raise RuntimeError("driver gone")

    comfy = await make_comfy(sampler=broken)
    _, m = await scrape(comfy)
    assert not [k for k in m if k[0].startswith("comfyui_vram")]
    assert ("comfyui_prompts_queued_total", ()) in m


def test_dropped_messages_survive_their_subscribers():
    class Sub:
        def __init__(self, n):
            self.dropped_total = n

    m = metrics.Metrics()
    a, b = Sub(5), Sub(2)
    assert m.dropped_total({a, b}) == 7
    a.dropped_total = 8
    assert m.dropped_total({a}) == 10  # b left with 2
    assert m.dropped_total(set()) == 10


async def test_a_failing_metric_never_breaks_comfyui(comfy, monkeypatch):
    def explode(*args):
        raise RuntimeError("boom")

    for name in ("on_put", "on_get", "on_done", "on_message"):
        monkeypatch.setattr(comfy.ext.metrics, name, explode)
    comfy.hub.listeners = (explode,)
    run_through_queue(comfy.server, "still-runs", "success")
    assert "still-runs" in comfy.server.prompt_queue.history
    ws = await comfy.ws("/ws", clientId="ui")
    await comfy.server.send_json("progress_state", progress_state("x", **{"1": "running"}), "ui")
    while True:
        msg = await ws.receive_json(timeout=2)
        if msg["type"] == "progress_state":
            break
    await ws.close()


def test_outcome_of_statuses():
    assert metrics.outcome(status("success", 0, 1500)) == ("success", 1.5)
    assert metrics.outcome(status("interrupted")) == ("interrupted", 2.5)
    assert metrics.outcome({"status_str": "error", "messages": []}) == ("error", None)
    assert metrics.outcome(None) == ("error", None)
    assert metrics.outcome(Status("success", True, [("junk",), 3, ("execution_start", None)])) == ("success", None)


def families_with_odd_labels():
    m = metrics.Metrics()
    m._node_histogram('Quote"Back\\slash\nNew').observe(0.2)
    m._node_histogram("Plain").observe(3e7)
    m.on_put(queue_item(0, "p"))
    return m.families(tasks_remaining=1, subscribers=(), comfyui_version="0.3.64")


def test_hand_written_exposition_escapes_labels():
    body = exposition.text(families_with_odd_labels()).decode()
    assert 'node_type="Quote\\"Back\\\\slash\\nNew"' in body
    assert "# TYPE comfyui_prompts_queued_total counter" in body
    assert "# TYPE comfyui_telemetry_info gauge" in body
    assert parse(body)[("comfyui_node_duration_seconds_sum", (("node_type", "Plain"),))] == 3e7


def test_both_expositions_give_the_same_text():
    pytest.importorskip("prometheus_client")
    families = families_with_odd_labels()
    assert exposition.with_prometheus_client(families) == exposition.text(families)
    body, _ = exposition.render(families, use_client=True)
    from prometheus_client.parser import text_string_to_metric_families

    names = {f.name for f in text_string_to_metric_families(body.decode())}
    assert {"comfyui_prompts_queued", "comfyui_node_duration_seconds", "comfyui_telemetry_info"} <= names


def test_the_shipped_dashboard_and_alerts_name_only_metrics_that_exist():
    import os

    deploy = os.path.join(os.path.dirname(__file__), "..", "..", "deploy")
    m = metrics.Metrics()
    m.on_put(queue_item(0, "p"))
    m._node_histogram("X").observe(1)
    m.gpu = (m.monotonic(), {"device": "cpu", "vram_total": 2, "vram_free": 1})
    body = exposition.text(m.families(tasks_remaining=0, subscribers=(), comfyui_version="x")).decode()
    exported = {line.split("{")[0].split(" ")[0] for line in body.splitlines() if not line.startswith("#")}
    for name in ("grafana-dashboard.json", "alerts.yml"):
        with open(os.path.join(deploy, name)) as f:
            used = set(re.findall(r"\bcomfyui_[a-z_]+", f.read())) - {"comfyui_version", "comfyui_telemetry_fleet"}
        assert used and used <= exported, (name, used - exported)


def node_lines(body):
    return [line for line in body.splitlines() if "comfyui_node_duration_seconds" in line]


def test_node_times_are_a_sum_and_a_count_per_type_unless_buckets_are_asked_for():
    plain = metrics.Metrics()
    for kind in ("A", "B"):
        plain._node_histogram(kind).observe(0.2)
    body = exposition.text(plain.families(subscribers=())).decode()
    samples = [line for line in node_lines(body) if not line.startswith("#")]
    # Two series per node type, no buckets.
    assert len(samples) == 4 and not any("_bucket" in line for line in samples), samples
    assert "# TYPE comfyui_node_duration_seconds summary" in body
    assert parse(body)[("comfyui_node_duration_seconds_sum", (("node_type", "A"),))] == pytest.approx(0.2)

    bucketed = metrics.Metrics(node_buckets=True)
    bucketed._node_histogram("A").observe(0.2)
    body = exposition.text(bucketed.families(subscribers=())).decode()
    assert "# TYPE comfyui_node_duration_seconds histogram" in body
    parsed = parse(body)
    assert parsed[("comfyui_node_duration_seconds_bucket", (("le", "0.25"), ("node_type", "A")))] == 1
    assert parsed[("comfyui_node_duration_seconds_bucket", (("le", "0.1"), ("node_type", "A")))] == 0
    assert len([k for k in parsed if k[0] == "comfyui_node_duration_seconds_bucket"]) == len(metrics.NODE_BUCKETS) + 1


def test_the_bucket_setting():
    assert not metrics.node_buckets_enabled({})
    assert not metrics.node_buckets_enabled({"COMFY_TELEMETRY_NODE_BUCKETS": "0"})
    for on in ("1", "true", "YES", " on "):
        assert metrics.node_buckets_enabled({"COMFY_TELEMETRY_NODE_BUCKETS": on})


def test_the_summary_parses_with_prometheus_client():
    pytest.importorskip("prometheus_client")
    from prometheus_client.parser import text_string_to_metric_families

    m = metrics.Metrics()
    m._node_histogram("A").observe(0.5)
    families = m.families(subscribers=())
    assert exposition.with_prometheus_client(families) == exposition.text(families)
    kinds = {f.name: f.type for f in text_string_to_metric_families(exposition.text(families).decode())}
    assert kinds["comfyui_node_duration_seconds"] == "summary"


async def test_seconds_since_progress_grow_only_while_a_run_stands_still(comfy):
    now = [100.0]
    m = comfy.ext.metrics
    m.monotonic = lambda: now[0]
    send = comfy.server.send_json
    _, parsed = await scrape(comfy)
    assert parsed[("comfyui_running_seconds_since_progress", ())] == 0  # idle
    q = comfy.server.prompt_queue
    q.put(queue_item(0, "hang-1"))
    item, item_id = q.get(timeout=1)
    now[0] = 160.0
    _, parsed = await scrape(comfy)
    assert parsed[("comfyui_running_seconds_since_progress", ())] == pytest.approx(60)
    await send("progress", {"value": 3, "max": 20, "prompt_id": "hang-1", "node": "3"}, "ui")
    now[0] = 170.0
    _, parsed = await scrape(comfy)
    assert parsed[("comfyui_running_seconds_since_progress", ())] == pytest.approx(10)
    # Another prompt's messages, or messages that are not progress, do not count.
    await send("progress", {"value": 1, "max": 2, "prompt_id": "someone-else", "node": "1"}, "ui")
    await send("status", {"status": {"exec_info": {"queue_remaining": 1}}}, None)
    now[0] = 400.0
    _, parsed = await scrape(comfy)
    assert parsed[("comfyui_running_seconds_since_progress", ())] == pytest.approx(240)
    await send("progress_state", progress_state("hang-1", **{"3": "running"}), "ui")
    _, parsed = await scrape(comfy)
    assert parsed[("comfyui_running_seconds_since_progress", ())] == 0
    q.task_done(item_id, {}, status=status("success"))
    now[0] = 1000.0
    _, parsed = await scrape(comfy)
    assert parsed[("comfyui_running_seconds_since_progress", ())] == 0
