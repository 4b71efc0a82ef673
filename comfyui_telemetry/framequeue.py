"""A FIFO of frames bounded in bytes, that drops the least valuable frames first.

Used twice: for each subscriber's send queue and for the catch-up buffer. Every frame has a
kind; when the queue is over its byte (or frame) budget, the oldest frame of the first kind in
`evict_order` that has one is dropped: previews first, then high-rate non-run broadcasts, then
progress. Lifecycle frames (a run's start, nodes, outputs, end) are only dropped when
`evict_order` lists them (the catch-up buffer does, as a last resort; a subscriber's queue does
not: a subscriber that cannot take its lifecycle messages is disconnected by its owner instead).

A dropped frame leaves a marker in its place, so the reader learns how many frames it lost and
where (`pop` returns them as `(None, count)`); runs of markers are merged, so a reader that
never reads costs at most its budget plus one marker per queued frame.
"""

from collections import deque

LIFECYCLE, PROGRESS, NOISE, PREVIEW = 0, 1, 2, 3
# A run's own start, cache report and end (execution_start/cached/success/error/interrupted):
# like LIFECYCLE, and in the catch-up never evicted by another frame (only when its prompt goes).
RUN = 4
# What one queued frame costs beyond its bytes (the entry object and deque slots), so that a
# flood of tiny frames is bounded too.
OVERHEAD = 64

QUEUED, TAKEN, DROPPED = 0, 1, 2


class Entry:
    __slots__ = ("frame", "size", "kind", "state", "count", "tag")

    def __init__(self, frame, size, kind, tag):
        self.frame, self.size, self.kind, self.tag = frame, size, kind, tag
        self.state, self.count = QUEUED, 0


def size_of(frame):
    # Text frames are ASCII JSON (json.dumps escapes the rest), so characters are bytes.
    return len(frame) + OVERHEAD


class FrameQueue:
    def __init__(self, max_bytes, max_frames=None, evict_order=(PREVIEW, NOISE, PROGRESS)):
        self.max_bytes = max(1, int(max_bytes))
        self.max_frames = None if not max_frames else max(1, int(max_frames))
        self.evict_order = tuple(evict_order)
        self.bytes = 0  # queued frames that count against the budget
        # Bytes held for the same reader outside this queue (its transport's write buffer),
        # counted against the same budget; set by the owner before each push.
        self.external = 0
        self.live = 0
        self.peak_bytes = 0
        self.dropped_total = 0
        self._entries = deque()
        self._by_kind = {kind: deque() for kind in self.evict_order}
        self._markers = 0

    def __len__(self):
        return self.live

    def push(self, frame, kind, tag=None, pinned=False):
        """Queues a frame, then drops frames until within budget. Returns False when the budget
        cannot be met by dropping (only unevictable frames left, more than one of them).

        A `pinned` frame is never dropped and does not count against the budget (the catch-up
        replay given to a new subscriber: the same objects the catch-up buffer holds already)."""
        entry = Entry(frame, 0 if pinned else size_of(frame), LIFECYCLE if pinned else kind, tag)
        if entry.size > self.max_bytes:
            # Alone more than the whole budget: never queued (the hub sends run messages this
            # big truncated); the reader learns that one frame was lost here.
            self._entries.append(entry)
            entry.state = QUEUED
            self.live += 1
            self.bytes += entry.size
            self.drop(entry)
            return True
        self._entries.append(entry)
        self.live += 1
        self.bytes += entry.size
        if not pinned and kind in self._by_kind:
            self._by_kind[kind].append(entry)
        ok = self._enforce()
        if self.bytes + self.external > self.peak_bytes:
            self.peak_bytes = self.bytes + self.external
        return ok

    def _over(self):
        return self.bytes + self.external > self.max_bytes or (
            self.max_frames is not None and self.live > self.max_frames
        )

    def _enforce(self):
        while self._over():
            victim = self._oldest_evictable()
            if victim is None:
                # Over budget with nothing left to drop (only frames that may not be dropped).
                return False
            self.drop(victim)
        return True

    def _oldest_evictable(self):
        for kind in self.evict_order:
            q = self._by_kind[kind]
            while q and q[0].state != QUEUED:
                q.popleft()
            if q:
                return q[0]
        return None

    def drop(self, entry):
        """Drops one queued frame (also used to drop a superseded frame)."""
        if entry.state != QUEUED:
            return
        entry.state, entry.count, entry.frame = DROPPED, 1, None
        self.bytes -= entry.size
        self.live -= 1
        self.dropped_total += 1
        self._markers += 1
        if self._markers > 64 and self._markers > self.live:
            self._compact()

    def _compact(self):
        merged = deque()
        for e in self._entries:
            if e.state == DROPPED and merged and merged[-1].state == DROPPED:
                merged[-1].count += e.count
            else:
                merged.append(e)
        self._entries = merged
        self._markers = sum(1 for e in merged if e.state == DROPPED)

    def pop(self):
        """The next `(frame, 0)`, or `(None, n)` for `n` frames dropped at this place, or None
        when empty. Consecutive markers are returned as one."""
        dropped = 0
        while self._entries:
            head = self._entries[0]
            if head.state == DROPPED:
                self._entries.popleft()
                self._markers -= 1
                dropped += head.count
                continue
            if dropped:
                return None, dropped
            self._entries.popleft()
            head.state = TAKEN
            self.live -= 1
            self.bytes -= head.size
            q = self._by_kind.get(head.kind)
            if q:
                while q and q[0].state != QUEUED and q[0] is not head:
                    q.popleft()
                if q and q[0] is head:
                    q.popleft()
            return head.frame, 0
        return (None, dropped) if dropped else None

    def head_size(self):
        """What the next `pop` costs in bytes (a marker: a small notice), or None when empty."""
        for e in self._entries:
            if e.state == QUEUED:
                return e.size
            if e.state == DROPPED:
                return OVERHEAD * 2
        return None

    def frames(self):
        """The queued frames, oldest first (markers skipped)."""
        return [e.frame for e in self._entries if e.state == QUEUED]

    def retain(self, keep_tag):
        """Drops, without counting them as lost, every queued frame whose tag fails `keep_tag`."""
        kept = deque(e for e in self._entries if e.state == QUEUED and keep_tag(e.tag))
        if len(kept) == self.live:
            return
        self._entries = kept
        self._markers = 0
        self.live = len(kept)
        self.bytes = sum(e.size for e in kept)
        for kind, q in self._by_kind.items():
            self._by_kind[kind] = deque(e for e in kept if e.kind == kind)

    def clear(self):
        self._entries.clear()
        for q in self._by_kind.values():
            q.clear()
        self.bytes = self.live = self._markers = 0
