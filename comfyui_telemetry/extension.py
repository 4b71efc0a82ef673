"""Wires hub, hooks, snapshot, GPU sampler and routes onto one PromptServer instance."""

import functools
import os

from . import endpoint, gpu, hooks, hosts, metrics, metrics_runlog, origin, protocol, runlog, ui
from .hub import (DEFAULT_MAX_PER_PEER, DEFAULT_MAX_SUBSCRIBERS, DEFAULT_QUEUE,
                  DEFAULT_QUEUE_BYTES, DEFAULT_RESERVED, DEFAULT_RING, DEFAULT_RING_BYTES,
                  DEFAULT_WRITE_TIMEOUT, Hub)
from .snapshot import Summaries
from .framequeue import LIFECYCLE
from ._log import once

ATTR = "_comfyui_telemetry"


def _env_number(name, default, cast, allow_zero=False):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = cast(raw)
        return value if value > 0 or (allow_zero and value == 0) else default
    except ValueError:
        once("env-" + name, "ignoring %s=%r (not a positive number)", name, raw)
        return default


class Extension:
    def __init__(self, server, hub, gpu_loop, summaries=None):
        self.server = server
        self.hub = hub
        self.gpu = gpu_loop
        self.summaries = summaries or Summaries()
        self.features = []  # announced in telemetry.hello (e.g. "runlog")
        self.runlog = None

    def note_queued(self, item):
        """Before ComfyUI's `put`, on its thread: the prompt's credentials (to redact them) and
        its summary (for the hello and the announcement)."""
        self.hub.redactor.remember(item)
        self.summaries.note(item)

    def live_prompts(self):
        """The prompt ids ComfyUI still holds (pending, running, history) and the catch-up's;
        None when its queue does not look like 0.3.64's (then nothing is forgotten)."""
        queue = getattr(self.server, "prompt_queue", None)
        history = getattr(queue, "history", None)
        pending = getattr(queue, "queue", None)
        running = getattr(queue, "currently_running", None)
        if not (isinstance(history, dict) and isinstance(pending, list)
                and isinstance(running, dict)):
            return None
        mutex = getattr(queue, "mutex", None)
        if mutex is not None and not mutex.acquire(timeout=0.5):
            return None
        try:
            ids = set(history)
            for item in list(pending) + list(running.values()):
                t = protocol.queue_tuple(item)
                if t is not None and len(t) > 1:
                    ids.add(t[1])
        finally:
            if mutex is not None:
                mutex.release()
        hub = self.hub
        ids.update(p for p in (hub.catchup.current, hub.catchup.previous, hub.executing_prompt)
                   if p is not None)
        return ids

    def announce_queued(self, item):
        if not self.hub.subscribers:
            return
        qp = self.summaries.of(item)
        if qp is None:
            return
        qp = dict(qp, queued_at=protocol.now_ms())
        self.hub.broadcast(protocol.envelope("telemetry.queued", qp), LIFECYCLE)


def install(
    server,
    *,
    ring_size=None,
    queue_size=None,
    ring_bytes=None,
    queue_bytes=None,
    max_subscribers=None,
    reserved=None,
    max_per_peer=None,
    write_timeout=None,
    heartbeat=None,
    sampler=None,
    gpu_interval=None,
    resolve_dist=ui.dist_dir,
    runlog_options=None,
):
    """Installs the extension on a PromptServer instance and returns it (idempotent).

    Must run before `add_routes()` (custom nodes are imported before it in ComfyUI's main.py).
    """
    existing = getattr(server, ATTR, None)
    if existing is not None:
        return existing
    hub = Hub(
        ring_size=ring_size or _env_number("COMFY_TELEMETRY_RING", DEFAULT_RING, int),
        queue_size=queue_size or _env_number("COMFY_TELEMETRY_QUEUE", DEFAULT_QUEUE, int),
        ring_bytes=ring_bytes
        or _env_number("COMFY_TELEMETRY_RING_BYTES", DEFAULT_RING_BYTES, int),
        queue_bytes=queue_bytes
        or _env_number("COMFY_TELEMETRY_QUEUE_BYTES", DEFAULT_QUEUE_BYTES, int),
        max_subscribers=max_subscribers
        or _env_number("COMFY_TELEMETRY_MAX_SUBSCRIBERS", DEFAULT_MAX_SUBSCRIBERS, int),
        reserved=reserved if reserved is not None
        else _env_number("COMFY_TELEMETRY_RESERVED", DEFAULT_RESERVED, int, allow_zero=True),
        max_per_peer=max_per_peer if max_per_peer is not None
        else _env_number("COMFY_TELEMETRY_MAX_PER_PEER", DEFAULT_MAX_PER_PEER, int,
                         allow_zero=True),
        write_timeout=write_timeout
        or _env_number("COMFY_TELEMETRY_WRITE_TIMEOUT", DEFAULT_WRITE_TIMEOUT, float),
    )
    if heartbeat is None:
        heartbeat = _env_number(
            "COMFY_TELEMETRY_HEARTBEAT", endpoint.DEFAULT_HEARTBEAT, float, allow_zero=True
        )
    if gpu_interval is None:
        gpu_interval = _env_number("COMFY_TELEMETRY_GPU_INTERVAL", 1.0, float, allow_zero=True)
    loop = gpu.GpuLoop(hub, sampler=sampler, interval=gpu_interval or 1.0)
    if gpu_interval > 0:  # 0 turns GPU sampling off
        hub.on_first_subscriber = loop.start
        hub.on_no_subscriber = loop.stop
    ext = Extension(server, hub, loop)
    hub.redactor.live_prompts = ext.live_prompts
    hosts.start_name_lookup()
    app = getattr(server, "app", None)
    if app is not None:
        origin.install_middleware(app)

    server.routes.get("/telemetry")(
        endpoint.make_handler(server, hub, ext.summaries, heartbeat=heartbeat)
    )
    server.routes.get("/telemetry/stats")(endpoint.make_stats_handler(hub))
    ui.register(server, resolve_dist)
    hooks.wrap_send(server, hub)
    if not hooks.wrap_queue_put(
        server, ext.announce_queued, lambda: getattr(server, "loop", None), ext.note_queued
    ):
        once("no-queue", "PromptServer has no prompt_queue.put: telemetry.queued disabled")
    ext.metrics = metrics.install(server, hub, loop.sampler)
    ext.runlog = runlog.install(server, hub, sampler=loop.sampler, **(runlog_options or {}))
    if ext.runlog is not None:
        ext.features.append(runlog.FEATURE)
        ext.metrics.more_families.append(
            functools.partial(metrics_runlog.families, ext.runlog.counters))
    setattr(server, ATTR, ext)
    return ext
