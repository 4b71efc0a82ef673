"""A real Prometheus (Debian's `prometheus`) scrapes a real ComfyUI's /telemetry/metrics, and its
query API answers with the runs this test queued, by status (success, error, interrupted), and
sees a long run running. Also: the shipped alert rules load and pass their promtool unit tests,
and every query of the Grafana dashboard is valid PromQL.

Needs the `prometheus` binary (Debian package `prometheus`, which also brings `promtool`); the
tests are skipped without it, and install nothing.
"""

import asyncio
import json
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import workflows as wf
from harness import REPO, ComfyServer, free_port

DEPLOY = REPO / "deploy"
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
needs_prometheus = pytest.mark.skipif(PROMETHEUS is None, reason="no prometheus binary (Debian package prometheus)")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="no promtool (Debian package prometheus)")


class Prometheus:
    """One Prometheus on a free loopback port with a temporary config and database."""

    def __init__(self, target: str):
        self.dir = Path(tempfile.mkdtemp(prefix="prometheus-"))
        self.port = free_port()
        shutil.copy(DEPLOY / "alerts.yml", self.dir / "alerts.yml")
        (self.dir / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "rule_files: [alerts.yml]\n"
            "scrape_configs:\n"
            "  - job_name: comfyui\n"
            "    metrics_path: /telemetry/metrics\n"
            f"    static_configs: [{{targets: ['{target}']}}]\n"
        )
        self.log = open(self.dir / "prometheus.log", "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={self.dir / 'prometheus.yml'}",
             f"--storage.tsdb.path={self.dir / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {(self.dir / 'prometheus.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError("prometheus not ready within 60 s")

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr):
        """{frozenset(labels): value} of an instant vector."""
        return {frozenset(s["metric"].items()): float(s["value"][1]) for s in self.api("query", query=expr)["result"]}

    def wait_for(self, expr, predicate, timeout=60.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.query(expr)
            if predicate(last):
                return last
            time.sleep(0.5)
        raise AssertionError(f"{expr}: still {last} after {timeout}s")

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(params=["prometheus_client", "hand-written"])
def comfy_for_prometheus(request, tmp_path):
    """A ComfyUI with the extension, formatting its metrics with prometheus_client (in the test
    venv) or, with that package hidden as it is in a stock ComfyUI, with its own exposition."""
    env = {}
    if request.param == "hand-written":
        hidden = tmp_path / "hide"
        (hidden / "prometheus_client").mkdir(parents=True)
        (hidden / "prometheus_client" / "__init__.py").write_text('raise ImportError("hidden by the test")\n')
        env["PYTHONPATH"] = str(hidden)
    server = ComfyServer(extension=True, env=env).start()
    server.exposition = request.param
    yield server
    server.close()


async def run(server, prompt, client_id=None):
    status, body = await asyncio.to_thread(server.queue_prompt, prompt, client_id)
    assert status == 200, body
    entry = await asyncio.to_thread(server.wait_history, body["prompt_id"])
    return entry["status"]["status_str"]


def by_status(result):
    return {dict(k).get("status"): v for k, v in result.items()}


@needs_prometheus
async def test_prometheus_scrapes_the_runs_we_queued_by_status(comfy_for_prometheus, client_id):
    comfy = comfy_for_prometheus
    prom = await asyncio.to_thread(Prometheus, f"127.0.0.1:{comfy.port}")
    try:
        await asyncio.to_thread(prom.wait_for, 'up{job="comfyui"}', lambda r: list(r.values()) == [1.0])
        # Two successes (one posted without client_id, which sends no execution_* messages) and an error.
        results = [await run(comfy, wf.success(steps=2, step_seconds=0.05), client_id),
                   await run(comfy, wf.success(steps=2, step_seconds=0.05)),
                   await run(comfy, wf.error(), client_id)]
        assert results == ["success", "success", "error"]
        # A long run: Prometheus sees it running and ageing while it keeps stepping (so the time
        # since its last progress, what ComfyUIRunStalled watches, stays small), then it is
        # interrupted (ComfyUI's history says "error"; the metrics say "interrupted").
        status, body = await asyncio.to_thread(comfy.queue_prompt, wf.long_running(steps=300, step_seconds=0.1), client_id)
        assert status == 200, body
        await asyncio.to_thread(prom.wait_for, "comfyui_running_prompt_seconds > 3",
                                lambda r: len(r) == 1)
        assert list(prom.query("comfyui_queue_running").values()) == [1.0]
        since = list(prom.query("comfyui_running_seconds_since_progress").values())
        assert len(since) == 1 and since[0] < 2, since
        await asyncio.to_thread(comfy.request, "POST", "/interrupt", {})
        entry = await asyncio.to_thread(comfy.wait_history, body["prompt_id"])
        assert entry["status"]["status_str"] == "error"

        finished = await asyncio.to_thread(
            prom.wait_for, "sum by (status) (comfyui_prompts_finished_total)",
            lambda r: by_status(r).get("success") == 2 and by_status(r).get("interrupted") == 1)
        assert by_status(finished) == {"success": 2.0, "error": 1.0, "interrupted": 1.0}
        assert list(prom.query("comfyui_prompts_queued_total").values()) == [4.0]
        assert list(prom.query("comfyui_prompts_started_total").values()) == [4.0]
        durations = by_status(prom.query("comfyui_prompt_duration_seconds_count"))
        assert durations == {"success": 2.0, "error": 1.0, "interrupted": 1.0}
        interrupted_after = prom.query('comfyui_prompt_duration_seconds_sum{status="interrupted"}')
        assert list(interrupted_after.values())[0] >= 1.0
        assert list(prom.query("comfyui_prompt_queue_wait_seconds_count").values()) == [4.0]
        # Node times by node type, for nodes that ran to completion: the sleep in the first three
        # (fresh seeds), EmptyImage only in the first (then cached), SaveImage in the two successes;
        # neither the failing node nor the interrupted sleep finished.
        nodes = {dict(k)["node_type"]: v for k, v in prom.query("comfyui_node_duration_seconds_count").items()}
        assert nodes == {"TelemetrySleep": 3.0, "EmptyImage": 1.0, "SaveImage": 2.0}
        sleep_sum = prom.query('comfyui_node_duration_seconds_sum{node_type="TelemetrySleep"}')
        assert list(sleep_sum.values())[0] >= 3 * 2 * 0.05 * 0.9
        # Node times are a sum and a count per type: no buckets unless COMFY_TELEMETRY_NODE_BUCKETS=1.
        assert prom.query("comfyui_node_duration_seconds_bucket") == {}
        assert list(prom.query("comfyui_running_seconds_since_progress").values()) == [0.0]
        info = prom.query("comfyui_telemetry_info")
        assert [dict(k)["comfyui_version"] for k in info] == ["0.3.64"]
        assert list(prom.query("comfyui_queue_pending + comfyui_queue_running").values()) == [0.0]
        vram = prom.query('comfyui_vram_total_bytes{device="cpu"}')
        assert vram and list(vram.values())[0] > 0
        # No prompt id became a label of any series.
        series = prom.api("series", **{"match[]": '{job="comfyui"}'})
        assert not [s for s in series if any(k in ("prompt_id", "client_id") for k in s)]

        # The shipped rules loaded and evaluate; nothing is stuck now and there are too few errors.
        groups = prom.api("rules")["groups"]
        rules = {r["name"]: r for g in groups for r in g["rules"]}
        assert set(rules) == {"ComfyUIRunStalled", "ComfyUIDown", "ComfyUIRunFailures"}
        await asyncio.to_thread(time.sleep, 2)
        rules = {r["name"]: r for g in prom.api("rules")["groups"] for r in g["rules"]}
        assert all(r["health"] == "ok" and r["state"] == "inactive" for r in rules.values()), rules

        # The formatter the server used says so in its info series.
        formatter = {"prometheus_client": "prometheus_client", "hand-written": "builtin"}[comfy.exposition]
        assert [dict(k)["exposition"] for k in info] == [formatter]

        # Every query of the Grafana dashboard is valid PromQL against this data.
        for expr in dashboard_queries():
            prom.api("query", query=expr)
    finally:
        await asyncio.to_thread(prom.close)


def dashboard_queries():
    board = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    subst = {"$instance": ".*", "$job": ".*", "$__range": "1h", "$__rate_interval": "1m"}
    out = []
    for panel in board["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for k, v in subst.items():
                expr = expr.replace(k, v)
            out.append(expr)
    assert out
    return out


@needs_promtool
def test_the_alert_rules_are_valid_and_fire_as_their_unit_tests_say():
    subprocess.run([PROMTOOL, "check", "rules", str(DEPLOY / "alerts.yml")], check=True, capture_output=True)
    subprocess.run([PROMTOOL, "check", "config", str(DEPLOY / "prometheus.yml")], check=True, capture_output=True)
    out = subprocess.run([PROMTOOL, "test", "rules", str(Path(__file__).with_name("alerts_test.yml"))],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
