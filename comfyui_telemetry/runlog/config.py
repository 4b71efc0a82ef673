"""Run log settings, from the environment (read once at install). Defaults in the README.

| variable | default | meaning |
|---|---|---|
| `COMFY_TELEMETRY_RUNLOG` | `1` | `0` turns the run log off (no file, no routes, no webhooks) |
| `COMFY_TELEMETRY_DATA_DIR` | `<ComfyUI base>/telemetry` | where the log and webhook settings live |
| `COMFY_TELEMETRY_RUNLOG_MAX_RUNS` | `100000` | keep at most this many runs (0 = no limit) |
| `COMFY_TELEMETRY_RUNLOG_MAX_AGE_DAYS` | `365` | forget runs that started longer ago (0 = never) |
| `COMFY_TELEMETRY_RUNLOG_MAX_MB` | `512` | keep the stored runs under this many MiB (0 = no limit) |
| `COMFY_TELEMETRY_RUNLOG_STORE_TEXT` | `1` | `0`: store no prompt text and no widget values |
| `COMFY_TELEMETRY_RUNLOG_QUEUE` | `20000` | events waiting for the writer thread before new ones are dropped |
"""

import os

from .._log import once

DAY_MS = 24 * 3600 * 1000


def _flag(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() not in ("0", "false", "no", "off")


def _number(name, default, cast=int):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = cast(raw)
        if value >= 0:
            return value
    except ValueError:
        pass
    once("env-" + name, "ignoring %s=%r (not a number >= 0)", name, raw)
    return default


class Settings:
    def __init__(self, *, enabled=True, data_dir=None, max_runs=100000, max_age_days=365,
                 max_mb=512, store_text=True, queue_size=20000, flush_interval=0.5,
                 sample_interval=1.0, retain_interval=60.0):
        self.enabled = enabled
        self.data_dir = data_dir
        self.max_runs = max_runs
        self.max_age_ms = int(max_age_days * DAY_MS)
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.store_text = store_text
        self.queue_size = queue_size
        self.flush_interval = flush_interval
        self.sample_interval = sample_interval
        self.retain_interval = retain_interval

    @classmethod
    def from_env(cls, **overrides):
        values = dict(
            enabled=_flag("COMFY_TELEMETRY_RUNLOG", True),
            data_dir=os.environ.get("COMFY_TELEMETRY_DATA_DIR") or None,
            max_runs=_number("COMFY_TELEMETRY_RUNLOG_MAX_RUNS", 100000),
            max_age_days=_number("COMFY_TELEMETRY_RUNLOG_MAX_AGE_DAYS", 365, float),
            max_mb=_number("COMFY_TELEMETRY_RUNLOG_MAX_MB", 512, float),
            store_text=_flag("COMFY_TELEMETRY_RUNLOG_STORE_TEXT", True),
            queue_size=_number("COMFY_TELEMETRY_RUNLOG_QUEUE", 20000) or 20000,
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
