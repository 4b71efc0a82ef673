"""The catch-up buffer: the mirrored text messages of the running prompt and the one before it,
bounded in bytes and frames, replayed to each new subscriber after its hello.

Only run messages are kept (text frames with a `data.prompt_id`); previews and high-rate
broadcasts that are not about a run (`assets.seed.*`, `crystools.monitor`, `logs`) never enter
it, so they cannot push a run's history out. A `progress_state` replaces the previous one of the
same prompt (each is a full state). Over budget, progress goes first (oldest first), lifecycle
messages only when nothing else is left, the previous prompt's before the current one's. A run's
own start, cache report and end (`RUN` frames) are never evicted by another frame: the hub gives
the buffer no frame larger than `frame_cap` (an eighth of its bytes; bigger ones arrive
truncated), so the two prompts' few RUN frames always fit beside each other.
"""

from . import framequeue as fq

DEFAULT_FRAMES = 512
DEFAULT_BYTES = 4 * 1024 * 1024


class CatchUp:
    def __init__(self, max_frames=DEFAULT_FRAMES, max_bytes=DEFAULT_BYTES):
        self.enabled = bool(max_frames) and bool(max_bytes)
        self.queue = fq.FrameQueue(
            max_bytes or 1, max_frames or 1, evict_order=(fq.NOISE, fq.PROGRESS, fq.LIFECYCLE)
        )
        self.frame_cap = max(1, (max_bytes or 1) // 8)
        self.current = None
        self.previous = None
        self._last_state = {}  # prompt_id -> Entry of its latest progress_state

    def note_prompt(self, prompt_id):
        """A message about `prompt_id` was seen: a new prompt makes the older ones go."""
        if prompt_id is None or prompt_id == self.current:
            return
        if self.current is not None:
            self.previous = self.current
        self.current = prompt_id
        keep = (self.current, self.previous)
        self.queue.retain(lambda tag: tag in keep)
        self._last_state = {p: e for p, e in self._last_state.items() if p in keep}

    def add(self, prompt_id, event, text, kind):
        if not self.enabled or prompt_id is None or kind in (fq.NOISE, fq.PREVIEW):
            return
        self.queue.push(text, kind, tag=prompt_id)
        if event == "progress_state":
            entry = self.queue._entries[-1] if self.queue._entries else None
            old = self._last_state.get(prompt_id)
            if old is not None:
                self.queue.drop(old)
            if entry is not None and entry.frame is text:
                self._last_state[prompt_id] = entry

    def frames(self):
        return self.queue.frames() if self.enabled else []

    def stats(self):
        q = self.queue
        return {"frames": q.live, "bytes": q.bytes, "limit_bytes": q.max_bytes,
                "limit_frames": q.max_frames, "dropped_total": q.dropped_total}
