"""One `/telemetry` socket: its queue bounded in bytes (what its transport holds included), the
task that writes it, and the write timeout that frees the slot of a reader that stopped reading.

Runs on ComfyUI's event loop. Frames are written straight to the socket's transport as
pre-encoded WebSocket frames (`Wire`), so fanning out to N subscribers costs N writes, not N
encodings through aiohttp's writer.
"""

import asyncio
import struct

from . import framequeue as fq
from . import protocol
from ._log import once

DEFAULT_QUEUE_BYTES = 8 * 1024 * 1024
DEFAULT_WRITE_TIMEOUT = 30.0  # seconds a socket may hold unsent bytes without taking any
# WebSocket close code for a subscriber that could not take even its lifecycle messages.
CLOSE_TOO_SLOW = 1013

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
