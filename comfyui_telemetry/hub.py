"""Subscribers of `/telemetry` and the fan-out of mirrored messages to them.

Everything here runs on ComfyUI's event loop (PromptServer.send_json/send_bytes are coroutines
run by `publish_loop`), so no locking is needed. Publishing never awaits and never raises: each
subscriber has its own queue, bounded in bytes, drained by its own task, so a slow or dead
dashboard costs ComfyUI a few appends per message and at most its byte budget of memory.
"""

import asyncio
import struct

from . import framequeue as fq
from . import protocol, truncate
from .catchup import CatchUp
from .catchup import DEFAULT_BYTES as DEFAULT_RING_BYTES
from .catchup import DEFAULT_FRAMES as DEFAULT_RING
from .redact import Redactor, is_connect_time
from .subscriber import DEFAULT_QUEUE_BYTES, DEFAULT_WRITE_TIMEOUT, Subscriber, Wire
from ._log import once

DEFAULT_QUEUE = 1024
DEFAULT_MAX_SUBSCRIBERS = 64
DEFAULT_RESERVED = 8  # of the slots, kept for browsers (a request with an allowed Origin)
DEFAULT_MAX_PER_PEER = 8  # subscribers per remote address (loopback peers are not limited)

# Messages after which nothing is executing (ComfyUI execution.py: execution_success/error/
# interrupted, then `executing` with node null).
TERMINAL = frozenset({"execution_success", "execution_error", "execution_interrupted"})
# What a dashboard needs to know a run's shape and outcome: never dropped from a queue.
LIFECYCLE = frozenset({
    "execution_start", "execution_cached", "executing", "executed", "execution_success",
    "execution_error", "execution_interrupted", "telemetry.hello", "telemetry.queued",
    "feature_flags",
})
# A run's own start, cache report and end: never evicted from the catch-up by another frame.
RUN_EVENTS = frozenset({
    "execution_start", "execution_cached", "execution_success", "execution_error",
    "execution_interrupted",
})
# High-rate broadcasts that are not about a run (asset scanning, monitors, log streaming).
NOISE = frozenset({"crystools.monitor", "logs", "telemetry.gpu"})
TEXT_EVENT = 3  # binary progress text: small, kept like progress


def kind_of(event):
    if event in LIFECYCLE:
        return fq.LIFECYCLE
    if event in NOISE or (isinstance(event, str) and event.startswith("assets.seed")):
        return fq.NOISE
    return fq.PROGRESS


def kind_of_binary(frame):
    try:
        (event,) = struct.unpack_from(">I", frame)
    except Exception:
        return fq.PREVIEW
    return fq.PROGRESS if event == TEXT_EVENT else fq.PREVIEW


class Hub:
    """Subscribers, the catch-up buffer and what ComfyUI is executing, as seen on the wire."""

    listeners = ()

    def __init__(self, ring_size=DEFAULT_RING, queue_size=DEFAULT_QUEUE, *,
                 ring_bytes=DEFAULT_RING_BYTES, queue_bytes=DEFAULT_QUEUE_BYTES,
                 max_subscribers=DEFAULT_MAX_SUBSCRIBERS, redactor=None,
                 reserved=DEFAULT_RESERVED, max_per_peer=DEFAULT_MAX_PER_PEER,
                 write_timeout=DEFAULT_WRITE_TIMEOUT):
        self.queue_size = queue_size
        self.queue_bytes = queue_bytes
        self.max_subscribers = max_subscribers
        self.reserved = reserved
        self.max_per_peer = max_per_peer
        self.write_timeout = write_timeout
        self.subscribers = set()
        self.catchup = CatchUp(ring_size, ring_bytes)
        self.redactor = redactor or Redactor()
        self.executing_prompt = None
        self.executing_node = None
        self.on_first_subscriber = None
        self.on_no_subscriber = None

    @property
    def current_prompt(self):
        return self.catchup.current

    @property
    def previous_prompt(self):
        return self.catchup.previous

    # --- what ComfyUI sent --------------------------------------------------------------

    def add_listener(self, fn):
        """Calls `fn(event, data)` for every JSON message ComfyUI sends, subscribers or not
        (the metrics). It runs in ComfyUI's send path: it must be cheap and must not keep
        `data`; what it raises is logged once and swallowed."""
        self.listeners = self.listeners + (fn,)

    def mirror_json(self, event, data, sid=None):
        """A message ComfyUI's `send_json` is sending, whatever its target."""
        for fn in self.listeners:
            try:
                fn(event, data)
            except Exception as e:
                once("listener", "a telemetry listener failed: %r", e)
        prompt_id = data.get("prompt_id") if isinstance(data, dict) else None
        if not isinstance(prompt_id, str):
            prompt_id = None
        self._track(event, data, prompt_id)
        if is_connect_time(event, data, sid):
            return
        kind = kind_of(event)
        buffered = prompt_id is not None and self.catchup.enabled and kind != fq.NOISE
        if not buffered and not self.subscribers:
            return
        text = self.redactor.text(event, data)
        size = len(text)
        small = None
        if buffered:
            if size > self.catchup.frame_cap:
                small = self._truncated(event, data, size)
            self.catchup.add(prompt_id, event, text if small is None else small,
                             fq.RUN if event in RUN_EVENTS else kind)
        if self.subscribers:
            if size + fq.OVERHEAD > self.queue_bytes and small is None:
                small = self._truncated(event, data, size)
            self.broadcast(text if size + fq.OVERHEAD <= self.queue_bytes else small, kind)

    def _truncated(self, event, data, size):
        """The message cut down to its run-relevant part (truncate.py), redacted."""
        once("truncated", "a %d-byte %r message was sent to /telemetry truncated (over a "
             "budget: COMFY_TELEMETRY_QUEUE_BYTES, COMFY_TELEMETRY_RING_BYTES)", size, event)
        return self.redactor.text(event, truncate.truncated(data, size))

    def mirror_bytes(self, frame):
        """A binary frame as ComfyUI's `send_bytes` puts it on the wire, redacted (not
        buffered)."""
        if self.subscribers:
            frame = self.redactor.binary(bytes(frame))
            if frame is not None:
                self.broadcast(frame, kind_of_binary(frame))

    def _track(self, event, data, prompt_id):
        self.catchup.note_prompt(prompt_id)
        if event == "execution_start":
            self.executing_prompt, self.executing_node = prompt_id, None
        elif event in TERMINAL:
            if prompt_id is None or prompt_id == self.executing_prompt:
                self.executing_prompt, self.executing_node = None, None
        elif event == "executing" and isinstance(data, dict):
            node = data.get("node")
            if node is None:
                if prompt_id is None or prompt_id == self.executing_prompt:
                    self.executing_prompt, self.executing_node = None, None
            else:
                # The reconnect variant has no prompt_id: keep the one we know.
                self.executing_prompt = prompt_id or self.executing_prompt
                self.executing_node = str(node)
        elif event == "progress" and isinstance(data, dict) and prompt_id is not None:
            # Prompts without client_id only broadcast progress: it is all there is to go on.
            node = data.get("node")
            if self.executing_prompt in (None, prompt_id) and node is not None:
                self.executing_prompt, self.executing_node = prompt_id, str(node)

    # --- subscribers -----------------------------------------------------------------------

    def broadcast(self, frame, kind=None):
        if kind is None:
            kind = fq.PROGRESS if isinstance(frame, str) else kind_of_binary(frame)
        frame = Wire(frame)
        for sub in list(self.subscribers):
            try:
                sub.push(frame, kind)
            except Exception as e:
                once("push", "could not queue a frame for a subscriber: %r", e)

    def replay_frames(self):
        return self.catchup.frames()

    def full(self):
        return self.max_subscribers is not None and len(self.subscribers) >= self.max_subscribers

    def refusal(self, browser=False, peer=None):
        """None when a new subscriber may connect, else why not: "full" (every slot taken),
        "reserved" (only the slots kept for browsers are left and this is not one), or
        "peer-limit" (this remote address has its share)."""
        subs = list(self.subscribers)
        if self.full():
            return "full"
        if peer is not None and self.max_per_peer and \
                sum(1 for s in subs if s.peer == peer) >= self.max_per_peer:
            return "peer-limit"
        if not browser and self.max_subscribers is not None and self.reserved:
            # At most half the slots are reserved, so scripts always have some.
            reserved = min(self.reserved, self.max_subscribers // 2)
            others = sum(1 for s in subs if not s.browser)
            if others >= self.max_subscribers - reserved:
                return "reserved"
        return None

    def subscribe(self, ws, greeting, abort=None, transport=None, browser=False, peer=None):
        """Registers a socket; `greeting(replay_count)` builds the hello data.

        The hello and the replay are queued before the subscriber is visible to `broadcast`,
        and nothing here awaits, so no live message can slip in between or be duplicated.
        """
        sub = Subscriber(ws, self.queue_size, self._remove, self.queue_bytes, abort, transport,
                         self.write_timeout, browser, peer)
        replay = self.replay_frames()
        sub.push(protocol.envelope("telemetry.hello", greeting(len(replay))), fq.LIFECYCLE)
        for text in replay:
            sub.push(text, pinned=True)  # the very objects the catch-up buffer holds
        self.subscribers.add(sub)
        sub.task = asyncio.get_running_loop().create_task(sub.run())
        if len(self.subscribers) == 1 and self.on_first_subscriber is not None:
            try:
                self.on_first_subscriber()
            except Exception as e:
                once("first-sub", "could not start the GPU sampler: %r", e)
        return sub

    def _remove(self, sub):
        if sub in self.subscribers:
            self.subscribers.discard(sub)
            if not self.subscribers and self.on_no_subscriber is not None:
                try:
                    self.on_no_subscriber()
                except Exception:
                    pass

    def unsubscribe(self, sub):
        sub.close()
        task = sub.task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()

    def stats(self):
        return {"subscribers": [s.stats() for s in list(self.subscribers)],
                "max_subscribers": self.max_subscribers, "reserved": self.reserved,
                "max_per_peer": self.max_per_peer, "write_timeout": self.write_timeout,
                "catch_up": self.catchup.stats()}
