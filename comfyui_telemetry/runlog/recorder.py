"""What the run log observes, and where: the hooks hand small tuples to the writer thread and
return. They run on ComfyUI's event loop (the mirrored messages) or on the thread that calls
the prompt queue (`put` from the POST handler, `get`/`task_done` from the worker), so each costs
a clock read, a few dict lookups and a non-blocking queue put, and none can raise into ComfyUI.

ComfyUI 0.3.64 (execution.py) sends `execution_*`/`executing`/`executed` only when the prompt
has a client id, but every prompt's status messages (with their timestamps), outputs and
error reach `PromptQueue.task_done`, and `progress_state` is sent for every prompt: so runs
posted without a client id are logged too, from those.
"""

import functools

from .. import protocol
from .._log import once

MARK = "__comfyui_telemetry_runlog__"
EVENTS = frozenset({"execution_start", "execution_cached", "executing", "executed", "progress",
                    "progress_state", "execution_success", "execution_error",
                    "execution_interrupted"})
DROP_KEYS = ("current_inputs", "current_outputs")


class Recorder:
    def __init__(self, writer, clock=protocol.now_ms):
        self.writer = writer
        self.clock = clock

    # --- mirrored messages (event loop) ----------------------------------------------------------

    def on_message(self, event, data):
        if event not in EVENTS or not isinstance(data, dict):
            return
        prompt_id = data.get("prompt_id")
        if not isinstance(prompt_id, str):
            return
        if event == "execution_error":
            data = {k: v for k, v in data.items() if k not in DROP_KEYS}
        self.writer.submit(("msg", self.clock(), event, prompt_id, data))

    # --- the prompt queue (any thread) ---------------------------------------------------------

    def on_put(self, item):
        t = protocol.queue_tuple(item)
        if t is None or len(t) < 3 or not isinstance(t[1], str):
            return
        extra = t[3] if len(t) > 3 and isinstance(t[3], dict) else {}
        client_id = extra.get("client_id")
        # Only what the record needs from extra_data: never its credentials.
        kept = {"extra_pnginfo": extra.get("extra_pnginfo")} if "extra_pnginfo" in extra else {}
        self.writer.submit(("queued", self.clock(), t[1], protocol.as_int(t[0]),
                            client_id if isinstance(client_id, str) else None,
                            t[2] if isinstance(t[2], dict) else {}, kept,
                            t[4] if len(t) > 4 and isinstance(t[4], list) else None))

    def on_put_refused(self, item):
        t = protocol.queue_tuple(item)
        if t is not None and len(t) > 1 and isinstance(t[1], str):
            self.writer.submit(("unqueued", self.clock(), t[1]))

    def on_get(self, item):
        t = protocol.queue_tuple(item)
        if t is not None and len(t) > 1 and isinstance(t[1], str):
            self.writer.submit(("started", self.clock(), t[1]))

    def on_done(self, prompt_id, history_result, status, remaining):
        if not isinstance(prompt_id, str):
            return
        status_str = _field(status, "status_str")
        messages = []
        for message in _field(status, "messages") or ():
            try:
                event, data = message
            except (TypeError, ValueError):
                continue
            if isinstance(event, str) and isinstance(data, dict):
                if event == "execution_error":
                    data = {k: v for k, v in data.items() if k not in DROP_KEYS}
                messages.append((event, data))
        outputs = history_result.get("outputs") if isinstance(history_result, dict) else None
        self.writer.submit(("done", self.clock(), prompt_id, status_str, messages, outputs,
                            remaining))


def _field(status, name):
    if isinstance(status, dict):
        return status.get(name)
    return getattr(status, name, None)


def _guard(name, fn, *args):
    try:
        fn(*args)
    except Exception as e:
        once("runlog-" + name, "run log could not note a %s: %r", name, e)


def wrap_queue(queue, rec):
    """Wraps `put`, `get` and `task_done` of ComfyUI's PromptQueue; the originals always run
    with the original arguments and their results and exceptions pass through untouched."""
    put, get, done = (getattr(queue, n, None) for n in ("put", "get", "task_done"))
    if put is None or getattr(put, MARK, None) is not None:
        return False
    running = {}  # item id -> prompt id, filled by get, emptied by task_done

    @functools.wraps(put)
    def logged_put(item, *args, **kwargs):
        _guard("put", rec.on_put, item)  # first: the worker may take it before put returns
        try:
            result = put(item, *args, **kwargs)
        except BaseException:
            _guard("put", rec.on_put_refused, item)
            raise
        if result is False:
            _guard("put", rec.on_put_refused, item)
        return result

    setattr(logged_put, MARK, put)
    queue.put = logged_put
    if get is not None:
        @functools.wraps(get)
        def logged_get(*args, **kwargs):
            result = get(*args, **kwargs)
            if isinstance(result, tuple) and len(result) == 2:
                t = protocol.queue_tuple(result[0])
                if t is not None and len(t) > 1:
                    running[result[1]] = t[1]
                _guard("start", rec.on_get, result[0])
            return result

        setattr(logged_get, MARK, get)
        queue.get = logged_get
    if done is not None:
        @functools.wraps(done)
        def logged_task_done(item_id, *args, **kwargs):
            history_result = kwargs.get("history_result", args[0] if args else None)
            status = kwargs.get("status", args[1] if len(args) > 1 else None)
            try:
                return done(item_id, *args, **kwargs)
            finally:
                prompt_id = running.pop(item_id, None)
                remaining = None
                try:
                    remaining = int(queue.get_tasks_remaining())
                except Exception:
                    pass
                _guard("finish", rec.on_done, prompt_id, history_result, status, remaining)

        setattr(logged_task_done, MARK, done)
        queue.task_done = logged_task_done
    return True
