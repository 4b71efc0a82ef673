//! decoder → tracker → buffer, in one place, so the browser driver, the in-page demo and the
//! native tests push frames through exactly the same path.
//!
//! [`Pipeline::step`] is the one door: every input enters there and the [`Step`] it returns
//! says which requests to perform and when to flush ([`Pipeline::take`]). Nothing else writes
//! the tracker: the shell and the tests read it through [`Pipeline::tracker`].

use crate::cadence::Cadence;
use crate::coalesce::{Batch, Coalescer};
use crate::connection::EndpointKind;
use crate::details_reads::{by_id, page_is_whole_history, DetailsReads};
use crate::event_log::EventLog;
use crate::inflight::InFlight;
use crate::protocol::http::HistoryEntry;
use crate::protocol::http::{
    decode_history, decode_history_page, decode_queue, decode_system_stats,
};
use crate::series_book::SeriesBook;
use crate::tracker::{Change, Field, Lifecycle, Request, Tracker};
use crate::{decode_binary, decode_text, DecodeError, ServerMessage};

mod door;

/// Pending lifecycle events before a batch is due regardless of the window.
const MAX_PENDING_EVENTS: usize = 1024;
/// The throttle's leading edge: after a quiet spell the first update is shown this long after it
/// comes, not a window later. One display frame: the frames ComfyUI sends together (a run's
/// start, its cached nodes, its first `executing`) come within it, in the socket worker's 8 ms
/// batches, and are shown together.
const LEAD_MS: f64 = 16.0;
const LOG_LINES: usize = 200;

pub type UpdateBatch = Batch<Field, Lifecycle>;

#[derive(Debug)]
pub struct Pipeline {
    tracker: Tracker,
    log: EventLog,
    buffer: Coalescer<Field, Lifecycle>,
    scratch: Vec<Change>,
    endpoint: Option<EndpointKind>,
    /// Which requests are in flight (one of a kind, one more remembered).
    inflight: InFlight,
    /// Runs waiting for their details, read together by one history page.
    details: DetailsReads,
    /// When the tick reads VRAM and the queue.
    cadence: Cadence,
    /// Each run's chart samples, taken at every flush.
    series: SeriesBook,
    /// The time of the latest input (the clock is the shell's).
    last_ms: f64,
}

impl Pipeline {
    pub fn new(server: &str, window_ms: f64) -> Pipeline {
        Pipeline {
            tracker: Tracker::new(server),
            log: EventLog::new(LOG_LINES),
            buffer: Coalescer::new(window_ms, MAX_PENDING_EVENTS).with_lead(LEAD_MS),
            scratch: Vec::new(),
            endpoint: None,
            inflight: InFlight::default(),
            details: DetailsReads::default(),
            cadence: Cadence::default(),
            series: SeriesBook::default(),
            last_ms: 0.0,
        }
    }

    /// Moves the tracker's changes into the buffer (the flush time is [`Step::flush_at`]).
    ///
    /// [`Step::flush_at`]: crate::input::Step::flush_at
    fn drain(&mut self, now_ms: f64) {
        self.last_ms = self.last_ms.max(now_ms);
        for change in self.scratch.drain(..) {
            match change {
                Change::Field(f) => self.buffer.mark(f, now_ms),
                Change::Lifecycle(l) => self.buffer.push_event(l, now_ms),
            };
        }
    }

    /// A socket frame, decoded: applied and logged, or counted as malformed.
    fn message(&mut self, decoded: Result<ServerMessage, DecodeError>, now_ms: f64) {
        match decoded {
            Ok(msg) => {
                self.tracker.apply(&msg, now_ms, &mut self.scratch);
                self.log.record(&msg, now_ms);
            }
            Err(e) => {
                self.log.record_error(&e, now_ms);
                self.tracker.record_malformed(e, &mut self.scratch);
            }
        }
        self.drain(now_ms)
    }

    /// A `/api/queue` body, read at `asked_ms`; an unreadable one changes nothing (the next
    /// status frame asks again).
    fn queue(&mut self, body: &str, asked_ms: f64, now_ms: f64) {
        if let Ok(snapshot) = decode_queue(body) {
            self.tracker
                .apply_queue_asked(&snapshot, asked_ms, now_ms, &mut self.scratch);
        }
        self.drain(now_ms)
    }

    /// A `/api/history/{id}` body read for a run's details; unreadable changes nothing.
    fn history_details(&mut self, body: &str, now_ms: f64) {
        for entry in decode_history(body).unwrap_or_default() {
            self.tracker
                .apply_history(&entry, now_ms, &mut self.scratch);
        }
        self.drain(now_ms)
    }

    /// The answer to a [`Request::ReadDetailsPage`] (`None`: it failed): the entries of the runs
    /// it was for settle them as their own reads would have; returns the reads by id still
    /// needed for runs the page lacked (all of them when it failed), none when the page was the
    /// server's whole history.
    fn details_page(&mut self, request: &Request, body: Option<&str>, now_ms: f64) -> Vec<Request> {
        let Request::ReadDetailsPage { max_items } = *request else {
            return Vec::new();
        };
        let Some(covers) = self.details.answered(request) else {
            return Vec::new();
        };
        let page = body.and_then(|b| decode_history_page(b, &covers).ok());
        let Some((entries, held)) = page else {
            return by_id(covers);
        };
        self.history_entries(&entries, now_ms);
        if page_is_whole_history(max_items, held) {
            return Vec::new();
        }
        let missing = covers
            .into_iter()
            .filter(|id| !entries.iter().any(|e| e.prompt_id == *id));
        by_id(missing.collect())
    }

    /// Entries already decoded and filtered (see `apply_history_list` in door.rs).
    fn history_entries(&mut self, entries: &[HistoryEntry], now_ms: f64) {
        for entry in entries {
            self.tracker.apply_history(entry, now_ms, &mut self.scratch);
        }
        self.drain(now_ms)
    }

    /// Runs loaded from the store after a reload, so the stream continues them. A run the
    /// tracker already knows (events arrived first) is left as it is.
    fn restore(&mut self, runs: Vec<crate::run::Run>, now_ms: f64) {
        for run in runs {
            let id = run.prompt_id.clone();
            self.tracker.restore(run);
            self.scratch.push(Change::Field(Field::Run(id)));
        }
        self.drain(now_ms)
    }

    /// A `/api/system_stats` body, or `Err` when it did not answer or does not decode.
    fn system_stats(&mut self, body: Option<&str>, now_ms: f64) {
        match body.map(decode_system_stats) {
            Some(Ok(stats)) => self
                .tracker
                .apply_system_stats(stats, now_ms, &mut self.scratch),
            _ => self.tracker.system_stats_failed(&mut self.scratch),
        }
        self.drain(now_ms)
    }

    /// The answer to [`Request::ReadHistoryEntry`]: the body of `/api/history/{id}`, or `Err`
    /// when the request failed (an unreadable body counts as failed). A followed run counts it
    /// as a poll under its policy; any other run is settled by it, and one the server no
    /// longer knows (missing from both its queue and its history) ends as lost.
    fn history_entry(&mut self, prompt_id: &str, body: Result<&str, ()>, now_ms: f64) {
        let decoded = body.and_then(|b| decode_history(b).map_err(|_| ()));
        let entry = decoded
            .as_ref()
            .map(|entries| entries.iter().find(|e| e.prompt_id == prompt_id));
        let result = match &entry {
            Ok(found) => Ok(*found),
            Err(()) => Err(()),
        };
        self.tracker
            .apply_history_entry(prompt_id, result, now_ms, &mut self.scratch);
        self.drain(now_ms)
    }

    /// The answer to [`Request::ReadJobs`]: the body of `/api/jobs`, or `Err` when it did not
    /// answer (the server has no jobs API: queue and history are read instead). The list is
    /// the server as it was at `asked_ms`, when the read went out.
    fn jobs(&mut self, body: Result<&str, ()>, asked_ms: f64, now_ms: f64) {
        match body.map(crate::protocol::jobs::decode_jobs) {
            Ok(Ok(jobs)) => self
                .tracker
                .apply_jobs(&jobs, asked_ms, now_ms, &mut self.scratch),
            _ => self.tracker.jobs_unavailable(),
        }
        self.drain(now_ms)
    }

    /// The answer to [`Request::ReadFeatures`]: `/api/features`' body, or `Err` when absent.
    fn features(&mut self, body: Result<&str, ()>) {
        let flags = body
            .ok()
            .and_then(|b| crate::json::parse(b).ok())
            .unwrap_or(serde_json::Value::Null);
        self.tracker.apply_features(flags);
    }

    /// Takes whatever is pending at `now_ms` (the flush `Step::flush_at` asked for, or one
    /// ahead of it), sampling the series of every run it names: read them with
    /// [`Pipeline::series`]. The next window starts at `now_ms`.
    pub fn take(&mut self, now_ms: f64) -> UpdateBatch {
        // The flush comes when the window ends (or at once when it filled up): sampled then,
        // never before the latest input.
        let at = self
            .buffer
            .deadline()
            .unwrap_or(self.last_ms)
            .max(self.last_ms);
        let batch = self.buffer.take(now_ms);
        self.series.sample(&self.tracker, &batch, at);
        batch
    }

    /// How many entries each collection of the pipeline holds (the tracker's and its own):
    /// none may grow with the number of messages seen (issue 22).
    #[doc(hidden)]
    pub fn footprint(&self) -> Vec<(&'static str, usize)> {
        let mut out = self.tracker.footprint();
        let [series, closed, order] = self.series.footprint();
        out.extend([
            ("series", series),
            ("series_closed", closed),
            ("series_order", order),
            ("inflight", self.inflight.len()),
            ("details_reads", self.details.len()),
            ("log", self.log.len()),
            ("pending_events", self.buffer.pending_events()),
        ]);
        out
    }

    /// One run's series (its chart's samples), sampled at each flush that named it.
    pub fn series(&self, prompt_id: &str) -> Option<&crate::history::series::RunSeries> {
        self.series.get(prompt_id)
    }
}
