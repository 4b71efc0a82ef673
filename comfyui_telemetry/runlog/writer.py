"""The run log's one writer thread: everything the hooks observe arrives here through a
bounded queue, is folded into per-run records, and is committed in batches (at most
`flush_interval` after it arrived). Nothing here runs on ComfyUI's event loop or its worker
thread; when the queue is full, new events are dropped and counted, never waited for.

It also samples device memory while a run is open (at most once per `sample_interval`), applies
retention, marks runs left open by a previous process as `lost`, and hands each finished run
to `on_finished(doc)` and each drained queue to `on_drained()` (the webhooks).
"""

import threading
import time
from collections import OrderedDict, deque

from .. import protocol
from .._log import once, logger
from . import record, who

RECENT = 64  # finished runs kept in memory for late messages
MAX_OPEN = 20000
MAX_TOMBSTONES = 10000
LOST_REASON = "server restarted"


class Writer:
    def __init__(self, store, settings, *, sampler=None, redact=None, hidden=None, env=None,
                 on_finished=None, on_drained=None, on_open=None, clock=protocol.now_ms):
        self.store = store
        self.settings = settings
        self.sampler = sampler
        self.redact = redact or (lambda doc: doc)
        self.hidden = hidden
        self.env = env or (lambda: {})
        self.on_finished = on_finished
        self.on_drained = on_drained
        self.on_open = on_open
        self.clock = clock
        # A deque, not a queue.Queue: appending is one atomic operation with no lock or wake-up
        # (the hooks' whole cost on ComfyUI's loop); the thread drains it on its own schedule.
        self.queue = deque()
        self.wake = threading.Event()
        self.open = OrderedDict()  # prompt_id -> record.Run (queued or running)
        self.recent = OrderedDict()  # finished, still in memory
        self.dirty = set()
        self.text_written = {}  # prompt_id -> search text last written
        self.tombstones = OrderedDict()
        self.dropped = 0
        self.written = 0
        self.failures = 0
        self.lost_marked = 0
        self.thread = None
        self.ready = threading.Event()
        self.error = None
        self._env = None
        self._last_sample = 0.0
        self._last_retain = 0.0

    # --- any thread ------------------------------------------------------------------------

    def submit(self, item, urgent=False):
        """Queues an event; never blocks, never raises. False when it had to be dropped.
        `urgent` wakes the thread now (a delete someone waits for) instead of at its next
        flush."""
        try:
            if len(self.queue) >= self.settings.queue_size:
                self.dropped += 1
                once("runlog-full", "run log queue full: events are being dropped")
                return False
            self.queue.append(item)
            if urgent:
                self.wake.set()
            return True
        except Exception:
            return False

    def start(self):
        self.thread = threading.Thread(target=self._main, name="telemetry-runlog", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout=5.0):
        if self.thread is None:
            return
        self.queue.append(("stop",))
        self.wake.set()
        self.thread.join(timeout)

    def counters(self):
        return {"runlog_written": self.written, "runlog_dropped_events": self.dropped,
                "runlog_write_failures": self.failures, "runlog_lost_marked": self.lost_marked,
                "runlog_queue": len(self.queue)}

    # --- the thread --------------------------------------------------------------------------

    def _main(self):
        try:
            self.store.open()
            if self.on_open is not None:
                _call(self.on_open)
            if self.store.conn is not None:
                self._mark_lost()
        except Exception as e:
            self.error = e
            once("runlog-open", "run log could not open %s: %r; it stays off", self.store.path, e)
            self.ready.set()
            self._drain_forever()
            return
        self.ready.set()
        last_flush = time.monotonic()
        while True:
            timeout = max(0.0, self.settings.flush_interval - (time.monotonic() - last_flush))
            self.wake.wait(timeout)
            self.wake.clear()
            stop = False
            while self.queue:
                item = self.queue.popleft()
                if item[0] == "stop":
                    stop = True
                    continue
                try:
                    self._apply(item)
                except Exception as e:
                    once("runlog-apply", "run log could not record a %r event: %r", item[0], e,
                         exc_info=True)
            self._maybe_sample()
            now = time.monotonic()
            if stop or now - last_flush >= self.settings.flush_interval:
                self._flush()
                last_flush = now
                self._maybe_retain(now)
            if stop:
                break
        self.store.close()

    def _drain_forever(self):
        """Without a store, events are taken and thrown away (the queue must not fill)."""
        while True:
            self.wake.wait(1.0)
            self.wake.clear()
            while self.queue:
                item = self.queue.popleft()
                if item[0] == "stop":
                    return
                if item[0] == "delete":
                    _answer(item[2], 0)

    def _mark_lost(self):
        now = self.clock()
        rows = []
        for doc in self.store.open_runs():
            run = record.from_doc(doc)
            run.lose(LOST_REASON, now)
            rows.append((self.redact(run.doc()), self.redact(run.search_text())))
        if rows:
            self.store.write(rows)
            self.lost_marked += len(rows)
            logger.info("[telemetry] run log: %d run(s) left open by the last process are lost",
                        len(rows))

    # --- folding events ------------------------------------------------------------------------

    def _run(self, prompt_id, now, create=True):
        if prompt_id in self.tombstones:
            return None
        run = self.open.get(prompt_id) or self.recent.get(prompt_id)
        if run is None and create:
            run = self.open[prompt_id] = record.Run(prompt_id, now)
            while len(self.open) > MAX_OPEN:
                old_id, old = self.open.popitem(last=False)
                self.dirty.discard(old_id)
        return run

    def _apply(self, item):
        kind = item[0]
        if kind == "queued":
            _, now, prompt_id, number, client_id, prompt, extra, *targets = item
            run = self._run(prompt_id, now)
            if run is None:
                return
            run.queued(now, number, who.pseudonym(client_id), prompt, extra,
                       store_text=self.settings.store_text, hidden=self.hidden, env=self._envs(),
                       targets=targets[0] if targets else None)
        elif kind == "unqueued":
            _, now, prompt_id = item
            run = self.open.get(prompt_id)
            if run is not None and run.status == "queued":
                self.open.pop(prompt_id, None)
                self.dirty.discard(prompt_id)
                if self.store.conn is not None:
                    self.store.delete([prompt_id])
            return
        elif kind == "started":
            _, now, prompt_id = item
            run = self._run(prompt_id, now)
            if run is None:
                return
            run.started(now)
            self._sample([run])
        elif kind == "msg":
            _, now, event, prompt_id, data = item
            run = self._run(prompt_id, now, create=event not in ("progress", "progress_state"))
            if run is None:
                return
            run.message(event, data, now)
        elif kind == "done":
            _, now, prompt_id, status_str, messages, outputs, remaining = item
            run = self._run(prompt_id, now)
            if run is None:
                return
            run.done(now, status_str, messages, outputs)
            self._finish(run)
            self.dirty.add(prompt_id)
            self._flush()  # a finished run is on disk before anyone is told about it
            self._notify(run)
            if remaining == 0 and self.on_drained is not None:
                _call(self.on_drained)
            return
        elif kind == "delete":
            _, prompt_ids, answer = item
            _answer(answer, self._delete(prompt_ids))
            return
        else:
            return
        self.dirty.add(run.prompt_id)
        if run.terminal:
            self._finish(run)

    def _finish(self, run):
        if self.open.pop(run.prompt_id, None) is not None or run.prompt_id not in self.recent:
            self.recent[run.prompt_id] = run
        self.recent.move_to_end(run.prompt_id)
        if not run.terminal:
            return
        if run.vram_free_after is None or run.series is not None:
            self._sample([run])  # memory after it, and the series' last point
        while len(self.recent) > RECENT:
            old_id = next(iter(self.recent))
            if old_id in self.dirty:
                self._flush()  # written before it leaves memory
            self.recent.pop(old_id, None)

    def _notify(self, run):
        if self.on_finished is not None:
            _call(self.on_finished, self.redact(run.doc()))

    def _delete(self, prompt_ids):
        ids = [p for p in prompt_ids if isinstance(p, str)]
        for p in ids:
            self.open.pop(p, None)
            self.recent.pop(p, None)
            self.dirty.discard(p)
            self.text_written.pop(p, None)
            self.tombstones[p] = True
        while len(self.tombstones) > MAX_TOMBSTONES:
            self.tombstones.popitem(last=False)
        return self.store.delete(ids) if ids and self.store.conn is not None else 0

    # --- memory, flushing, retention ----------------------------------------------------------------

    def _envs(self):
        if self._env is None:
            try:
                self._env = dict(self.env())
            except Exception:
                self._env = {}
        return self._env

    def _sample(self, runs):
        """A device sample (when there is a sampler) given to each run with a series point."""
        if not runs:
            return
        sample = None
        if self.sampler is not None:
            try:
                sample = self.sampler()
            except Exception as e:
                once("runlog-sample", "run log could not sample device memory: %r", e)
        self._last_sample = time.monotonic()
        now = self.clock()
        for run in runs:
            run.tick(sample, now)
            self.dirty.add(run.prompt_id)

    def _maybe_sample(self):
        if time.monotonic() - self._last_sample < self.settings.sample_interval:
            return
        running = [r for r in self.open.values() if r.status == "running"]
        if running:
            self._sample(running)

    def _flush(self):
        if not self.dirty or self.store.conn is None:
            self.dirty.clear()
            return
        rows = []
        for prompt_id in list(self.dirty):
            run = self.open.get(prompt_id) or self.recent.get(prompt_id)
            if run is None:
                continue
            text = run.search_text()
            if self.text_written.get(prompt_id) == text:
                text = None
            rows.append((self.redact(run.doc()), text, self.redact(text) if text else None))
        try:
            self.store.write([(doc, clean) for doc, _, clean in rows])
        except Exception as e:
            self.failures += 1
            once("runlog-write", "run log could not write %d run(s): %r", len(rows), e)
            return
        for doc, text, _ in rows:
            if text is not None:
                self.text_written[doc["prompt_id"]] = text
        for p in list(self.text_written):
            if p not in self.open and p not in self.recent:
                del self.text_written[p]
        self.written += len(rows)
        self.dirty.clear()

    def _maybe_retain(self, now):
        if now - self._last_retain < self.settings.retain_interval:
            return
        self._last_retain = now
        try:
            self.store.retain(max_runs=self.settings.max_runs, max_age_ms=self.settings.max_age_ms,
                              max_bytes=self.settings.max_bytes, now_ms=self.clock())
        except Exception as e:
            once("runlog-retain", "run log retention failed: %r", e)


def _call(fn, *args):
    try:
        fn(*args)
    except Exception as e:
        once("runlog-callback", "run log callback failed: %r", e)


def _answer(answer, value):
    if answer is not None:
        try:
            answer(value)
        except Exception:
            pass
