"""`GET /telemetry/metrics`: what a fleet's Prometheus scrapes from each ComfyUI.

Runs are counted from ComfyUI's prompt queue itself (`put`, `get`, `task_done`), which sees
every prompt, including those posted without a `client_id` that send no `execution_*`
messages. Run durations come from ComfyUI's own `execution_*` timestamps (in the status that
`task_done` receives); queue waits from the put to the worker's get. Node times come from the
mirrored `progress_state` messages (sent for every prompt): from a node's first `running` to
its `finished`, per node type. Cached nodes never run, and a node that fails never finishes:
neither is timed.

Labels are bounded: `status` is one of three values, `node_type` is one of the first
`MAX_NODE_TYPES` class types seen (then `other`), `device` is a device name. Prompt ids and
client ids never become labels. Node times are a sum and a count per node type (2 series each);
their histogram buckets (11 more series per type, up to ~2 600 per server) only with
`COMFY_TELEMETRY_NODE_BUCKETS=1`.

A hang shows as `comfyui_running_seconds_since_progress`: the time since the running prompt
last started, finished or stepped a node (any progress message for it), 0 when idle. Unlike the
run's age, it stays low on a long run that moves and grows on a short one that is stuck.

Everything recorded here runs inside ComfyUI's send path or its worker thread, so it is a few
dictionary operations under a lock, and nothing here may raise into ComfyUI.
"""

import asyncio
import functools
import os
import threading
import time
from collections import OrderedDict

from aiohttp import web

from . import exposition, origin, protocol, snapshot
from ._log import once

ROUTE = "/telemetry/metrics"
STATUSES = ("success", "error", "interrupted")
TERMINAL = {"execution_success": "success", "execution_error": "error",
            "execution_interrupted": "interrupted"}
RUN_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
WAIT_BUCKETS = (0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)
NODE_BUCKETS = (0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 120, 600)
MAX_NODE_TYPES = 200
NODE_BUCKETS_SETTING = "COMFY_TELEMETRY_NODE_BUCKETS"
# Messages that show the running prompt moving (0.3.64 sends each with its prompt_id).
PROGRESS_EVENTS = frozenset(("execution_start", "execution_cached", "executing", "executed",
                             "progress", "progress_state"))
OTHER = "other"
# Prompts queued and not yet started whose put time and node types are kept; prompts that
# ran and whose node timings may still arrive. Beyond these, the oldest are forgotten.
MAX_WAITING = 4096
MAX_RECENT = 4
GPU_MAX_AGE = 1.0
GPU_TIMEOUT = 2.0
MARK = "__comfyui_telemetry_metrics__"


class Histogram:
    """Fixed buckets; counts per bucket (not cumulative), their sum and count. With no bounds,
    only the sum and the count (exposed as a summary without quantiles)."""

    def __init__(self, bounds):
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value):
        value = max(0.0, float(value))
        self.sum += value
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                self.counts[i] += 1
                return
        self.counts[-1] += 1

    def cumulative(self):
        """[(le, cumulative count)] ending with +Inf, and the total count."""
        out, total = [], 0
        for bound, count in zip(self.bounds + (float("inf"),), self.counts):
            total += count
            out.append((bound, total))
        return out, total


class _Prompt:
    """A started prompt: its node types and the node timings in flight."""

    __slots__ = ("types", "started", "done")

    def __init__(self, types):
        self.types = types
        self.started = {}
        self.done = set()


def _node_types(item):
    t = protocol.queue_tuple(item)
    prompt = t[2] if t is not None and len(t) > 2 and isinstance(t[2], dict) else {}
    return {str(k): v["class_type"] for k, v in prompt.items()
            if isinstance(v, dict) and isinstance(v.get("class_type"), str)}


def _prompt_id(item):
    t = protocol.queue_tuple(item)
    pid = t[1] if t is not None and len(t) > 1 else None
    return pid if isinstance(pid, str) else None


def _field(status, name):
    if isinstance(status, dict):
        return status.get(name)
    return getattr(status, name, None)


def outcome(status):
    """(status label, run seconds or None) from the ExecutionStatus `task_done` receives:
    `status_str` success/error, and its messages' `execution_*` timestamps (ms)."""
    label = "success" if _field(status, "status_str") == "success" else "error"
    start = end = None
    for message in _field(status, "messages") or ():
        try:
            event, data = message
        except (TypeError, ValueError):
            continue
        stamp = data.get("timestamp") if isinstance(data, dict) else None
        if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
            stamp = None
        if event == "execution_start":
            start = stamp
        elif event in TERMINAL:
            label, end = TERMINAL[event], stamp
    seconds = (end - start) / 1000.0 if start is not None and end is not None else None
    return label, seconds


class Metrics:
    """The counters and histograms; read by `families()` at scrape time."""

    def __init__(self, *, clock=time.time, monotonic=time.monotonic, max_node_types=MAX_NODE_TYPES,
                 node_buckets=False):
        self.clock = clock
        self.monotonic = monotonic
        self.max_node_types = max_node_types
        self.node_bounds = NODE_BUCKETS if node_buckets else ()
        self.last_progress = 0.0  # monotonic time of the last progress of a running prompt
        self.lock = threading.Lock()
        self.queued = 0
        self.started = 0
        self.finished = dict.fromkeys(STATUSES, 0)
        self.run_seconds = {s: Histogram(RUN_BUCKETS) for s in STATUSES}
        self.queue_wait = Histogram(WAIT_BUCKETS)
        self.node_seconds = {}
        self.waiting = OrderedDict()  # prompt_id -> (put time, node types)
        self.running = {}  # item id -> (prompt_id, wall start, monotonic start)
        self.recent = OrderedDict()  # prompt_id -> _Prompt
        self.gpu = None  # (monotonic time, sample)
        self.dropped_retired = 0
        self.dropped_seen = {}
        self.more_families = []  # callables giving more families at scrape time (the run log's)

    # --- the prompt queue (any thread) ---------------------------------------------------------

    def on_put(self, item):
        pid = _prompt_id(item)
        with self.lock:
            self.queued += 1
            if pid is not None:
                self.waiting[pid] = (self.clock(), _node_types(item))
                while len(self.waiting) > MAX_WAITING:
                    self.waiting.popitem(last=False)

    def on_put_failed(self, item):
        with self.lock:
            self.queued -= 1
            self.waiting.pop(_prompt_id(item), None)

    def on_get(self, item, item_id):
        pid = _prompt_id(item)
        now = self.clock()
        with self.lock:
            self.started += 1
            put = self.waiting.pop(pid, None)
            if put is not None:
                self.queue_wait.observe(now - put[0])
            types = put[1] if put is not None else _node_types(item)
            self.running[item_id] = (pid, now, self.monotonic())
            self.last_progress = self.monotonic()
            if pid is not None:
                self.recent[pid] = _Prompt(types)
                while len(self.recent) > MAX_RECENT:
                    self.recent.popitem(last=False)

    def on_done(self, item_id, status):
        label, seconds = outcome(status)
        with self.lock:
            run = self.running.pop(item_id, None)
            if seconds is None and run is not None:
                seconds = self.monotonic() - run[2]
            self.finished[label] += 1
            if seconds is not None:
                self.run_seconds[label].observe(seconds)

    # --- mirrored messages (ComfyUI's event loop) -----------------------------------------------

    def on_message(self, event, data):
        """Hub listener: the last progress of a running prompt, and node timings from
        `progress_state` (one dict walk per message)."""
        if event not in PROGRESS_EVENTS or not isinstance(data, dict):
            return
        pid = data.get("prompt_id")
        now = self.monotonic()
        with self.lock:
            if any(r[0] == pid for r in self.running.values()):
                self.last_progress = now
            nodes = data.get("nodes") if event == "progress_state" else None
            if not isinstance(nodes, dict):
                return
            prompt = self.recent.get(pid)
            if prompt is None:
                return
            for node_id, node in nodes.items():
                state = node.get("state") if isinstance(node, dict) else None
                if state == "running":
                    prompt.started.setdefault(node_id, now)
                elif state == "finished" and node_id not in prompt.done:
                    prompt.done.add(node_id)
                    began = prompt.started.pop(node_id, None)
                    kind = prompt.types.get(node_id)
                    if began is not None and kind is not None:
                        self._node_histogram(kind).observe(now - began)

    def _node_histogram(self, kind):
        h = self.node_seconds.get(kind)
        if h is None:
            if len(self.node_seconds) >= self.max_node_types:
                kind = OTHER
                h = self.node_seconds.get(OTHER)
            if h is None:
                h = self.node_seconds[kind] = Histogram(self.node_bounds)
        return h

    # --- scrape time ------------------------------------------------------------------------------

    def dropped_total(self, subscribers):
        """Frames dropped for subscribers, summed over those gone and those still here."""
        with self.lock:
            current = {}
            for sub in list(subscribers):
                current[id(sub)] = int(getattr(sub, "dropped_total", 0) or 0)
            for key, value in self.dropped_seen.items():
                if key not in current:
                    self.dropped_retired += value
            self.dropped_seen = current
            return self.dropped_retired + sum(current.values())

    def families(self, *, tasks_remaining=None, subscribers=(), comfyui_version=None):
        """The metric families of one scrape, as `exposition.Family` tuples."""
        dropped = self.dropped_total(subscribers)
        F = exposition.Family
        with self.lock:
            now = self.clock()
            running = len(self.running)
            oldest = min((r[1] for r in self.running.values()), default=None)
            stalled = max(0.0, self.monotonic() - self.last_progress) if running else 0.0
            node_series = [({"node_type": k}, h) for k, h in sorted(self.node_seconds.items())]
            node_doc = ("Execution time of nodes that ran to completion (not cached, not failed), "
                        "by node type.")
            out = [
                F("comfyui_prompts_queued", "counter", "Prompts put in the queue.",
                  [("_total", {}, self.queued)]),
                F("comfyui_prompts_started", "counter", "Prompts taken from the queue to run.",
                  [("_total", {}, self.started)]),
                F("comfyui_prompts_finished", "counter",
                  "Prompts finished, by status (success, error, interrupted).",
                  [("_total", {"status": s}, self.finished[s]) for s in STATUSES]),
                exposition.histogram("comfyui_prompt_duration_seconds",
                                     "Run time of finished prompts (ComfyUI's execution timestamps), by status.",
                                     [({"status": s}, self.run_seconds[s]) for s in STATUSES]),
                exposition.histogram("comfyui_prompt_queue_wait_seconds",
                                     "Time from queueing a prompt to its start.",
                                     [({}, self.queue_wait)]),
                (exposition.histogram if self.node_bounds else exposition.summary)(
                    "comfyui_node_duration_seconds", node_doc, node_series),
                F("comfyui_queue_running", "gauge", "Prompts running now.", [("", {}, running)]),
                F("comfyui_running_prompt_seconds", "gauge",
                  "How long the oldest running prompt has run; 0 when idle.",
                  [("", {}, max(0.0, now - oldest) if oldest is not None else 0.0)]),
                F("comfyui_running_seconds_since_progress", "gauge",
                  "Seconds since the running prompt last started, finished or stepped a node; 0 when idle.",
                  [("", {}, stalled)]),
            ]
            gpu = self.gpu[1] if self.gpu is not None else None
        if tasks_remaining is not None:
            out.append(F("comfyui_queue_pending", "gauge", "Prompts waiting in the queue.",
                         [("", {}, max(0, tasks_remaining - running))]))
        if isinstance(gpu, dict):
            device = {"device": str(gpu.get("device") or "unknown")}
            for key, name, doc in (("vram_free", "comfyui_vram_free_bytes", "Free device memory."),
                                   ("vram_total", "comfyui_vram_total_bytes", "Total device memory.")):
                value = gpu.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
                    out.append(F(name, "gauge", doc + " On a CPU-only server: system RAM.",
                                 [("", device, value)]))
        for more in self.more_families:
            try:
                out += more()
            except Exception as e:
                once("metrics-more", "metrics could not read a part: %r", e)
        subs = len(subscribers)
        out += [
            F("comfyui_telemetry_subscribers", "gauge", "Open /telemetry sockets.", [("", {}, subs)]),
            F("comfyui_telemetry_dropped_messages", "counter",
              "Frames dropped for /telemetry subscribers that could not keep up.",
              [("_total", {}, dropped)]),
            F("comfyui_telemetry", "info", "The extension and the ComfyUI it runs in.",
              [("_info", {"version": protocol.EXTENSION_VERSION,
                          "comfyui_version": comfyui_version or "unknown",
                          "protocol": str(protocol.PROTOCOL),
                          "exposition": exposition.formatter()}, 1)]),
        ]
        return out

    async def refresh_gpu(self, sampler):
        """A fresh GPU sample (at most one a second), read off the event loop."""
        if sampler is None:
            return
        if self.gpu is not None and self.monotonic() - self.gpu[0] < GPU_MAX_AGE:
            return
        try:
            loop = asyncio.get_running_loop()
            sample = await asyncio.wait_for(loop.run_in_executor(None, sampler), GPU_TIMEOUT)
        except Exception as e:
            once("metrics-gpu", "no GPU sample for /telemetry/metrics: %r", e)
            sample = None
        self.gpu = (self.monotonic(), sample)


# --- wiring -------------------------------------------------------------------------------------


def _guard(name, fn, *args):
    try:
        fn(*args)
    except Exception as e:
        once("metrics-" + name, "metrics could not record a %s: %r", name, e)


def wrap_queue(queue, m):
    """Wraps `put`, `get` and `task_done` of ComfyUI's PromptQueue (execution.py) so every
    prompt is counted; the originals are always called with the original arguments."""
    put, get, done = (getattr(queue, n, None) for n in ("put", "get", "task_done"))
    if put is None or getattr(put, MARK, None) is not None:
        return False

    @functools.wraps(put)
    def counting_put(item, *args, **kwargs):
        # Counted first: the worker thread may take the prompt before put returns.
        _guard("put", m.on_put, item)
        try:
            return put(item, *args, **kwargs)
        except BaseException:
            _guard("put", m.on_put_failed, item)
            raise

    setattr(counting_put, MARK, put)
    queue.put = counting_put
    if get is not None:
        @functools.wraps(get)
        def counting_get(*args, **kwargs):
            result = get(*args, **kwargs)
            if isinstance(result, tuple) and len(result) == 2:
                _guard("start", m.on_get, result[0], result[1])
            return result

        setattr(counting_get, MARK, get)
        queue.get = counting_get
    if done is not None:
        @functools.wraps(done)
        def counting_task_done(item_id, *args, **kwargs):
            status = kwargs.get("status", args[1] if len(args) > 1 else None)
            try:
                return done(item_id, *args, **kwargs)
            finally:
                _guard("finish", m.on_done, item_id, status)

        setattr(counting_task_done, MARK, done)
        queue.task_done = counting_task_done
    return True


def make_handler(server, hub, m, sampler):
    async def telemetry_metrics(request):
        refused = origin.refusal(request)
        if refused is not None:
            return refused
        await m.refresh_gpu(sampler)
        remaining = None
        get_remaining = getattr(getattr(server, "prompt_queue", None), "get_tasks_remaining", None)
        if get_remaining is not None:
            try:
                remaining = int(get_remaining())
            except Exception as e:
                once("metrics-queue", "could not read the queue length: %r", e)
        families = m.families(tasks_remaining=remaining, subscribers=hub.subscribers,
                              comfyui_version=snapshot.comfyui_version())
        body, content_type = exposition.render(families)
        return web.Response(body=body, headers={"Content-Type": content_type,
                                                "Cache-Control": "no-store"})

    return telemetry_metrics


def node_buckets_enabled(environ=os.environ):
    """`COMFY_TELEMETRY_NODE_BUCKETS=1` (or true/yes/on): node times get histogram buckets."""
    return (environ.get(NODE_BUCKETS_SETTING) or "").strip().lower() in ("1", "true", "yes", "on")


def install(server, hub, sampler=None):
    """Counts the queue, listens to mirrored messages and adds the route (with its /api twin)."""
    m = Metrics(node_buckets=node_buckets_enabled())
    queue = getattr(server, "prompt_queue", None)
    if queue is None or not wrap_queue(queue, m):
        once("metrics-queue-wrap", "no prompt_queue to count: run metrics stay at 0")
    hub.add_listener(m.on_message)
    server.routes.get(ROUTE)(make_handler(server, hub, m, sampler))
    return m
