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
from ._log import once

DEFAULT_QUEUE = 1024
DEFAULT_QUEUE_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_SUBSCRIBERS = 64
DEFAULT_RESERVED = 8  # of the slots, kept for browsers (a request with an allowed Origin)
DEFAULT_MAX_PER_PEER = 8  # subscribers per remote address (loopback peers are not limited)
DEFAULT_WRITE_TIMEOUT = 30.0  # seconds a socket may hold unsent bytes without taking any
# WebSocket close code for a subscriber that could not take even its lifecycle messages.
CLOSE_TOO_SLOW = 1013

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


WRITE_BATCH = 256 * 1024  # bytes written to the transport at once
TRANSPORT_HIGH_WATER = 64 * 1024  # aiohttp's own writer limit


class Wire:
    """A frame and, built once for every subscriber, its bytes on the wire (an unmasked,
    uncompressed WebSocket frame), so that fanning out to N subscribers costs N writes, not N
    encodings through aiohttp's writer."""

    __slots__ = ("frame", "_wire")

    def __init__(self, frame):
        self.frame, self._wire = frame, None

    def __len__(self):
        return len(self.frame)

    @property
    def wire(self):
        if self._wire is None:
            self._wire = encode_frame(self.frame)
        return self._wire


def encode_frame(frame):
    if isinstance(frame, str):
        payload, first = frame.encode("utf-8"), 0x81  # FIN + text
    else:
        payload, first = bytes(frame), 0x82  # FIN + binary
    n = len(payload)
    if n < 126:
        header = struct.pack(">BB", first, n)
    elif n < 1 << 16:
        header = struct.pack(">BBH", first, 126, n)
    else:
        header = struct.pack(">BBQ", first, 127, n)
    return header + payload


def _consume(task):
    """Retrieves a finished drain task's outcome (a lost connection is not news)."""
    if not task.cancelled():
        task.exception()


class Subscriber:
    """One `/telemetry` socket: a byte-bounded queue of frames and the task that writes them."""

    def __init__(self, ws, max_frames, on_close, max_bytes=DEFAULT_QUEUE_BYTES, abort=None,
                 transport=None, write_timeout=DEFAULT_WRITE_TIMEOUT, browser=False, peer=None):
        self.ws = ws
        self.browser = browser  # came with an allowed Origin: may use the reserved slots
        self.peer = peer  # remote address when not loopback (per-peer limit), else None
        self.write_timeout = write_timeout
        # Set when frames may be written straight to the socket's transport (uncompressed);
        # else (and in tests that replace the socket) they go through aiohttp's send_*.
        self.transport = transport
        self.queue = fq.FrameQueue(max_bytes, max_frames)
        self.reported = 0  # frames reported lost in telemetry.dropped so far
        self.closed = False
        self.task = None
        self._wake = asyncio.Event()
        self._on_close = on_close
        self._abort = abort

    def __len__(self):
        return len(self.queue)

    @property
    def dropped_total(self):
        return self.queue.dropped_total

    def push(self, frame, kind=fq.PROGRESS, pinned=False):
        """Queues a frame (str = text, bytes = binary). Over budget, older previews, then noise,
        then progress are dropped; a subscriber whose lifecycle messages alone exceed it is
        disconnected. Returns whether the subscriber is still there."""
        if self.closed:
            return False
        transport = self.transport
        if transport is not None:
            # What the transport still holds counts against the same budget.
            self.queue.external = transport.get_write_buffer_size()
        if not self.queue.push(frame, kind, pinned=pinned):
            once("too-slow", "a /telemetry subscriber fell too far behind and was disconnected")
            self.disconnect()
            return False
        self._wake.set()
        return True

    def _next(self):
        item = self.queue.pop()
        if item is None:
            return None
        frame, lost = item
        if lost:
            self.reported += lost
            frame = protocol.dropped(lost, self.reported)
        return frame

    async def run(self):
        try:
            while not self.closed:
                if self.transport is not None:
                    if not await self._write_batch():
                        self._wake.clear()
                        await self._wake.wait()
                    continue
                frame = self._next()
                if frame is None:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                if isinstance(frame, Wire):
                    frame = frame.frame
                send = self.ws.send_str if isinstance(frame, str) else self.ws.send_bytes
                await asyncio.wait_for(send(frame), self.write_timeout)
        except asyncio.CancelledError:
            raise
        except asyncio.TimeoutError:
            once("stalled", "a /telemetry subscriber took no data for %ss and was closed "
                 "(COMFY_TELEMETRY_WRITE_TIMEOUT)", self.write_timeout)
            if self._abort is not None:
                try:
                    self._abort()
                except Exception:
                    pass
        except Exception as e:  # a dead socket only ends this subscriber
            once("subscriber-send", "a /telemetry subscriber failed and was dropped: %r", e)
            try:
                await self.ws.close()
            except Exception:
                pass
        finally:
            self.close()

    async def _write_batch(self):
        """Writes what is queued (up to WRITE_BATCH bytes) in one transport write, then waits
        for the transport to drain like aiohttp's writer does. Returns False when idle.

        The transport's buffer counts against the subscriber's budget, so it is only given
        frames while it holds at most half the budget (one frame at a time when it is empty,
        whatever its size): the other half stays for the lifecycle messages that queue up
        behind a reader that stopped reading."""
        transport = self.transport
        held = transport.get_write_buffer_size()
        room = self.queue.max_bytes // 2 - held
        chunks, size = [], 0
        while size < WRITE_BATCH:
            head = self.queue.head_size()
            if head is None:
                break
            if (chunks or held) and size + head > room:
                break
            frame = self._next()
            if frame is None:
                break
            wire = frame.wire if isinstance(frame, Wire) else encode_frame(frame)
            chunks.append(wire)
            size += len(wire)
        if not chunks:
            if self.queue.head_size() is None:
                return False
            await self._drained(transport, 0)  # a big frame waits for an empty transport
            return True
        # No data frame after aiohttp started its closing handshake (heartbeat timeout, close).
        if self.ws.closed or getattr(self.ws, "_closing", False) or transport.is_closing():
            raise ConnectionResetError("socket closed")
        transport.write(b"".join(chunks))
        if transport.get_write_buffer_size() > TRANSPORT_HIGH_WATER:
            await self._drained(transport, TRANSPORT_HIGH_WATER)
        return True

    async def _drained(self, transport, until):
        """Waits until the transport holds at most `until` bytes, like aiohttp's writer.
        Raises TimeoutError when it has taken nothing for `write_timeout` seconds: a reader
        that stopped reading (pings or not) gives its slot back."""
        drain = getattr(getattr(self.ws, "_writer", None), "protocol", None)
        drain = getattr(drain, "_drain_helper", None)
        loop = asyncio.get_running_loop()
        last_size, last_progress = transport.get_write_buffer_size(), loop.time()
        drain_task = None
        while True:
            size = transport.get_write_buffer_size()
            if size <= until or transport.is_closing():
                return
            now = loop.time()
            if size < last_size:
                last_size, last_progress = size, now
            elif now - last_progress >= self.write_timeout:
                raise asyncio.TimeoutError()
            wait = min(1.0, self.write_timeout - (now - last_progress)) + 0.001
            if drain is not None and until >= TRANSPORT_HIGH_WATER:
                # aiohttp's drain waiter is shared with its own writer (pongs, close): it must
                # never be cancelled, so it is awaited in a task that is left to finish.
                if drain_task is None or drain_task.done():
                    drain_task = loop.create_task(drain())
                    drain_task.add_done_callback(_consume)
                done, _ = await asyncio.wait((drain_task,), timeout=wait)
                if done:  # not paused (or resumed) yet still over: poll rather than spin
                    await asyncio.sleep(0.01)
            else:
                await asyncio.sleep(min(wait, 0.01))

    def disconnect(self):
        """Ends a subscriber that cannot keep up: its queue is freed at once, its socket closed
        (aborted if the close itself cannot get through)."""
        task = self.task
        self.close()
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
        try:
            asyncio.get_running_loop().create_task(self._close_socket())
        except Exception:
            pass

    async def _close_socket(self):
        try:
            await asyncio.wait_for(
                self.ws.close(code=CLOSE_TOO_SLOW, message=b"telemetry: too slow"), 5.0
            )
        except Exception:
            if self._abort is not None:
                try:
                    self._abort()
                except Exception:
                    pass

    def close(self):
        if self.closed:
            return
        self.closed = True
        self.queue.clear()
        self._wake.set()
        try:
            self._on_close(self)
        except Exception:
            pass

    def stats(self):
        q = self.queue
        transport = self.transport
        held = transport.get_write_buffer_size() if transport is not None else 0
        return {"queued_frames": q.live, "queued_bytes": q.bytes, "transport_bytes": held,
                "peak_bytes": q.peak_bytes, "limit_bytes": q.max_bytes,
                "dropped_total": q.dropped_total, "browser": self.browser}


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
