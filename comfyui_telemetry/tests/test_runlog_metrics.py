"""The run log's counters in /telemetry/metrics: runs written, the writer's backlog, lost runs,
webhook outcomes; and none of these series when the run log is off."""

import pytest

from test_metrics import scrape
from test_runlog_api import fast, run_prompt, until, wait_status


@pytest.fixture
async def logged(make_comfy, tmp_path):
    made = []

    async def make(**options):
        comfy = await make_comfy(runlog_options={"folder": str(tmp_path / "log"),
                                                 "settings": fast()}, **options)
        made.append(comfy)
        return comfy

    yield make
    for comfy in made:
        if comfy.ext.runlog is not None:
            comfy.ext.runlog.stop()


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


async def test_runs_written_to_the_log_are_counted(logged):
    comfy = await logged()
    _, before = await scrape(comfy)
    assert value(before, "comfyui_telemetry_runlog_writes_total") == 0
    assert value(before, "comfyui_telemetry_runlog_queue") is not None
    for name in ("dropped_events", "write_failures", "lost_runs"):
        assert value(before, f"comfyui_telemetry_runlog_{name}_total") == 0, name
    await run_prompt(comfy, "m-1")
    await run_prompt(comfy, "m-2")
    await wait_status(comfy, "m-2", "succeeded")

    async def written():
        _, samples = await scrape(comfy)
        return samples if value(samples, "comfyui_telemetry_runlog_writes_total") >= 2 else None

    samples = await until(written)
    # What the writer reports, exactly: the scrape reads RunLog.counters().
    counters = comfy.ext.runlog.counters()
    assert value(samples, "comfyui_telemetry_runlog_writes_total") <= counters["runlog_written"]
    assert value(samples, "comfyui_telemetry_runlog_dropped_events_total") == 0
    # No webhooks configured: no webhook series.
    assert not any(name.startswith("comfyui_telemetry_webhook") for name, _ in samples)


async def test_webhook_outcomes_are_series_by_outcome(logged):
    comfy = await logged()
    stats = {"webhook_delivered_total": 3, "webhook_failed_total": 1, "webhook_retries_total": 2,
             "webhook_dropped_total": 0, "webhook_queue": 4}
    comfy.ext.runlog.sender = type("Sender", (), {"counters": lambda self: stats,
                                                  "stop": lambda self: None})()
    _, samples = await scrape(comfy)
    assert value(samples, "comfyui_telemetry_webhook_deliveries_total", outcome="delivered") == 3
    assert value(samples, "comfyui_telemetry_webhook_deliveries_total", outcome="failed") == 1
    assert value(samples, "comfyui_telemetry_webhook_deliveries_total", outcome="dropped") == 0
    assert value(samples, "comfyui_telemetry_webhook_retries_total") == 2
    assert value(samples, "comfyui_telemetry_webhook_queue") == 4


async def test_without_the_run_log_there_are_no_run_log_series(comfy):
    assert comfy.ext.runlog is None
    _, samples = await scrape(comfy)
    assert not any("runlog" in name or "webhook" in name for name, _ in samples)


async def test_a_failing_counter_never_breaks_the_scrape(logged):
    comfy = await logged()

    def broken():
        raise RuntimeError("boom")

    comfy.ext.runlog.writer.counters = broken
    _, samples = await scrape(comfy)
    assert value(samples, "comfyui_prompts_queued_total") is not None
    assert not any("runlog" in name for name, _ in samples)
