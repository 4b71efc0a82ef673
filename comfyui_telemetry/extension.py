"""Wires hub, hooks, snapshot, GPU sampler and routes onto one PromptServer instance."""

import os

from . import endpoint, gpu, hooks, metrics, protocol, ui
from .hub import DEFAULT_QUEUE, DEFAULT_RING, Hub
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
    def __init__(self, server, hub, gpu_loop):
        self.server = server
        self.hub = hub
        self.gpu = gpu_loop

    def announce_queued(self, item):
        if not self.hub.subscribers:
            return
        qp = protocol.queued_prompt(item)
        if qp is None:
            return
        qp["queued_at"] = protocol.now_ms()
        self.hub.broadcast(protocol.envelope("telemetry.queued", qp))


def install(
    server,
    *,
    ring_size=None,
    queue_size=None,
    sampler=None,
    gpu_interval=None,
    resolve_dist=ui.dist_dir,
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
    )
    if gpu_interval is None:
        gpu_interval = _env_number("COMFY_TELEMETRY_GPU_INTERVAL", 1.0, float, allow_zero=True)
    loop = gpu.GpuLoop(hub, sampler=sampler, interval=gpu_interval or 1.0)
    if gpu_interval > 0:  # 0 turns GPU sampling off
        hub.on_first_subscriber = loop.start
        hub.on_no_subscriber = loop.stop
    ext = Extension(server, hub, loop)

    server.routes.get("/telemetry")(endpoint.make_handler(server, hub))
    ui.register(server, resolve_dist)
    hooks.wrap_send(server, hub)
    if not hooks.wrap_queue_put(server, ext.announce_queued, lambda: getattr(server, "loop", None)):
        once("no-queue", "PromptServer has no prompt_queue.put: telemetry.queued disabled")
    ext.metrics = metrics.install(server, hub, loop.sampler)
    setattr(server, ATTR, ext)
    return ext
