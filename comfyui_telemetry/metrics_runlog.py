"""The run log's counters in /telemetry/metrics: runs written, events dropped, failed writes,
runs marked lost at a restart, the writer's backlog, and each webhook delivery's outcome. Read
from `RunLog.counters()` at scrape time; a server without the run log has none of these series.
"""

from . import exposition

OUTCOMES = (("delivered", "webhook_delivered_total"), ("failed", "webhook_failed_total"),
            ("dropped", "webhook_dropped_total"))


def families(counters):
    """Metric families of one scrape from `counters` (a callable giving RunLog.counters())."""
    c = counters()
    F = exposition.Family

    def num(key):
        value = c.get(key, 0)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0

    out = [
        F("comfyui_telemetry_runlog_writes", "counter",
          "Run records written to the run log (each write of a run's latest state).",
          [("_total", {}, num("runlog_written"))]),
        F("comfyui_telemetry_runlog_dropped_events", "counter",
          "Events the run log's writer dropped because its queue was full.",
          [("_total", {}, num("runlog_dropped_events"))]),
        F("comfyui_telemetry_runlog_write_failures", "counter",
          "Batches the run log could not write (SQLite errors).",
          [("_total", {}, num("runlog_write_failures"))]),
        F("comfyui_telemetry_runlog_lost_runs", "counter",
          "Runs marked lost at start: open when ComfyUI last stopped.",
          [("_total", {}, num("runlog_lost_marked"))]),
        F("comfyui_telemetry_runlog_queue", "gauge",
          "Events waiting for the run log's writer thread.", [("", {}, num("runlog_queue"))]),
    ]
    if "webhook_queue" in c:
        out += [
            F("comfyui_telemetry_webhook_deliveries", "counter",
              "Webhook deliveries by outcome: delivered, failed (after every retry), dropped "
              "(the bounded queue was full).",
              [("_total", {"outcome": o}, num(key)) for o, key in OUTCOMES]),
            F("comfyui_telemetry_webhook_retries", "counter",
              "Webhook deliveries tried again after a failure.",
              [("_total", {}, num("webhook_retries_total"))]),
            F("comfyui_telemetry_webhook_queue", "gauge",
              "Webhook deliveries waiting to be sent.", [("", {}, num("webhook_queue"))]),
        ]
    return out
