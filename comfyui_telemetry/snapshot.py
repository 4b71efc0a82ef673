"""The state a dashboard needs on (re)connect: ComfyUI version, queue and what is executing.

The hello is built on ComfyUI's event loop, so it must be cheap with hundreds of queued prompts:
ComfyUI's `get_current_queue()` deep-copies every pending prompt under the queue's lock (~0.7 s
for 300 large prompts, stalling every client). Instead the queue's lists are copied shallowly
under its lock (what ComfyUI's own `get_current_queue_volatile`, used by `GET /queue`, does;
queue items are not mutated once queued), and each prompt's summary comes from the one made
when it was queued (`Summaries`), computed only for prompts queued before the extension loaded.
"""

import threading
from collections import OrderedDict

from . import protocol
from ._log import once

MAX_SUMMARIES = 4096
LOCK_TIMEOUT = 0.5  # seconds; past it, read without the lock (a list copy is atomic in CPython)


def comfyui_version():
    """`comfyui_version.__version__` (the module ComfyUI's /system_stats reads), or None."""
    try:
        import comfyui_version as v  # noqa: PLC0415 - only present inside ComfyUI

        version = getattr(v, "__version__", None)
        return version if isinstance(version, str) else None
    except Exception:
        return None


class Summaries:
    """QueuedPrompt summaries made at `put` time, by prompt id (bounded, oldest forgotten)."""

    def __init__(self, limit=MAX_SUMMARIES):
        self.limit = limit
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def note(self, item):
        qp = protocol.queued_prompt(item)
        if qp is not None:
            with self._lock:
                self._items[qp["prompt_id"]] = qp
                while len(self._items) > self.limit:
                    self._items.popitem(last=False)
        return qp

    def of(self, item):
        """The summary of a queue entry: the remembered one, else computed now."""
        t = protocol.queue_tuple(item)
        prompt_id = t[1] if t is not None and len(t) > 1 else None
        qp = self._items.get(prompt_id) if isinstance(prompt_id, str) else None
        if qp is not None:
            # The queue number is the entry's own (a remembered summary may predate a requeue).
            number = protocol.as_int(t[0]) if t else None
            return qp if number == qp["number"] else dict(qp, number=number)
        return protocol.queued_prompt(item)


def _number_key(p):
    n = p.get("number")
    return (n is None, n if n is not None else 0)


def _shallow(queue):
    """(running entries, pending entries) without copying the entries themselves."""
    mutex = getattr(queue, "mutex", None)
    pending = getattr(queue, "queue", None)
    running = getattr(queue, "currently_running", None)
    if isinstance(pending, list) and isinstance(running, dict):
        locked = False
        try:
            locked = mutex.acquire(timeout=LOCK_TIMEOUT) if mutex is not None else False
        except Exception:
            locked = False
        try:
            return list(running.values()), list(pending)
        finally:
            if locked:
                mutex.release()
    for name in ("get_current_queue_volatile", "get_current_queue"):
        get = getattr(queue, name, None)
        if get is not None:
            running, pending = get()
            return list(running or []), list(pending or [])
    return [], []


def queue_snapshot(server, summaries=None):
    """(running, pending) QueuedPrompt lists from the server's PromptQueue, pending in run order
    (ComfyUI keeps pending items in a heap)."""
    queue = getattr(server, "prompt_queue", None)
    if queue is None:
        return [], []
    summaries = summaries or Summaries(0)
    try:
        running, pending = _shallow(queue)
    except Exception as e:
        once("queue-snapshot", "could not read the prompt queue: %r", e)
        return [], []
    run = [p for p in map(summaries.of, running) if p is not None]
    pend = [p for p in map(summaries.of, pending) if p is not None]
    pend.sort(key=_number_key)
    return run, pend


def executing(server, hub, running):
    """What is executing: tracked from mirrored messages, checked against the running queue."""
    prompt_id, node = hub.executing_prompt, hub.executing_node
    running_ids = [p["prompt_id"] for p in running]
    if getattr(server, "prompt_queue", None) is not None and prompt_id not in running_ids:
        # Finished without a message we could see (prompts without client_id send none).
        prompt_id, node = (running_ids[0] if running_ids else None), None
    if prompt_id is not None and node is None:
        # PromptServer remembers the last node it announced (server.py reconnect path).
        if getattr(server, "last_prompt_id", None) == prompt_id:
            last = getattr(server, "last_node_id", None)
            node = str(last) if last is not None else None
    return {"prompt_id": prompt_id, "node": node}


def hello(server, hub, replay_count, summaries=None):
    running, pending = queue_snapshot(server, summaries)
    return protocol.hello(
        comfyui_version(),
        running,
        pending,
        executing(server, hub, running),
        replay_count,
        getattr(getattr(server, "_comfyui_telemetry", None), "features", ()),
    )
