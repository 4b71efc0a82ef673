"""Subscribers of `/telemetry` and the fan-out of mirrored messages to them.

Everything here runs on ComfyUI's event loop (PromptServer.send_json/send_bytes are coroutines
run by `publish_loop`), so no locking is needed. Publishing never awaits and never raises: each
subscriber has its own bounded queue drained by its own task, so a slow or dead dashboard costs
ComfyUI one deque append per message at most.
"""

import asyncio
from collections import deque

from . import protocol
from ._log import once

DEFAULT_RING = 512
DEFAULT_QUEUE = 1024

# Messages after which nothing is executing (ComfyUI execution.py: execution_success/error/
# interrupted, then `executing` with node null).
TERMINAL = frozenset({"execution_success", "execution_error", "execution_interrupted"})


class Subscriber:
    """One `/telemetry` socket: a bounded queue of frames and the task that writes them."""

    def __init__(self, ws, maxsize, on_close):
        self.ws = ws
        self.maxsize = max(1, int(maxsize))
        self.dropped_pending = 0
        self.dropped_total = 0
        self.closed = False
        self.task = None
        self._queue = deque()
        self._wake = asyncio.Event()
        self._on_close = on_close

    def __len__(self):
        return len(self._queue)

    def push(self, frame, force=False):
        """Queues a frame (str = text, bytes = binary); returns False when it was dropped.

        `force` bypasses the bound; it is only used for the greeting and catch-up replay,
        which are themselves bounded by the ring size.
        """
        if self.closed:
            return False
        if not force and len(self._queue) >= self.maxsize:
            self.dropped_pending += 1
            self.dropped_total += 1
            return False
        if self.dropped_pending and not force:
            # Room again: say how much was lost before anything newer.
            self._queue.append(protocol.dropped(self.dropped_pending, self.dropped_total))
            self.dropped_pending = 0
        self._queue.append(frame)
        self._wake.set()
        return True

    async def run(self):
        try:
            while not self.closed:
                if not self._queue:
                    if self.dropped_pending:
                        # Caught up after losing messages and nothing new arrived: report now.
                        self._queue.append(
                            protocol.dropped(self.dropped_pending, self.dropped_total)
                        )
                        self.dropped_pending = 0
                        continue
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                frame = self._queue.popleft()
                if isinstance(frame, str):
                    await self.ws.send_str(frame)
                else:
                    await self.ws.send_bytes(frame)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a dead socket only ends this subscriber
            once("subscriber-send", "a /telemetry subscriber failed and was dropped: %r", e)
            try:
                await self.ws.close()
            except Exception:
                pass
        finally:
            self.close()

    def close(self):
        if self.closed:
            return
        self.closed = True
        self._queue.clear()
        self._wake.set()
        try:
            self._on_close(self)
        except Exception:
            pass


class Hub:
    """Subscribers, the catch-up ring buffer and what ComfyUI is executing, as seen on the wire."""

    listeners = ()

    def __init__(self, ring_size=DEFAULT_RING, queue_size=DEFAULT_QUEUE):
        self.queue_size = queue_size
        self.subscribers = set()
        # (prompt_id, text) of the running prompt and the previous one; text frames only.
        self.ring = deque(maxlen=max(0, int(ring_size)))
        self.current_prompt = None
        self.previous_prompt = None
        self.executing_prompt = None
        self.executing_node = None
        self.on_first_subscriber = None
        self.on_no_subscriber = None

    # --- what ComfyUI sent --------------------------------------------------------------

    def add_listener(self, fn):
        """Calls `fn(event, data)` for every JSON message ComfyUI sends, subscribers or not
        (the metrics). It runs in ComfyUI's send path: it must be cheap and must not keep
        `data`; what it raises is logged once and swallowed."""
        self.listeners = self.listeners + (fn,)

    def mirror_json(self, event, data):
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
        if prompt_id is None and not self.subscribers:
            return
        text = protocol.envelope(event, data)
        if prompt_id is not None and self.ring.maxlen:
            self.ring.append((prompt_id, text))
        self.broadcast(text)

    def mirror_bytes(self, frame):
        """A binary frame exactly as ComfyUI's `send_bytes` puts it on the wire (not buffered)."""
        if self.subscribers:
            self.broadcast(bytes(frame))

    def _track(self, event, data, prompt_id):
        if prompt_id is not None and prompt_id != self.current_prompt:
            if self.current_prompt is not None:
                self.previous_prompt = self.current_prompt
            self.current_prompt = prompt_id
            keep = (self.current_prompt, self.previous_prompt)
            kept = [e for e in self.ring if e[0] in keep]
            if len(kept) != len(self.ring):
                self.ring.clear()
                self.ring.extend(kept)
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

    def broadcast(self, frame):
        for sub in list(self.subscribers):
            try:
                sub.push(frame)
            except Exception as e:
                once("push", "could not queue a frame for a subscriber: %r", e)

    def replay_frames(self):
        return [text for _, text in self.ring]

    def subscribe(self, ws, greeting):
        """Registers a socket; `greeting(replay_count)` builds the hello data.

        The hello and the replay are queued before the subscriber is visible to `broadcast`,
        and nothing here awaits, so no live message can slip in between or be duplicated.
        """
        sub = Subscriber(ws, self.queue_size, self._remove)
        replay = self.replay_frames()
        sub.push(protocol.envelope("telemetry.hello", greeting(len(replay))), force=True)
        for text in replay:
            sub.push(text, force=True)
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
