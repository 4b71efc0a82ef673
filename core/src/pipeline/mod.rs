//! decoder → tracker → buffer, in one place, so the browser driver, the in-page demo and the
//! native tests push frames through exactly the same path.
//!
//! [`Pipeline::step`] is the one door: every input enters there and the [`Step`] it returns
//! says which requests to perform and when to flush ([`Pipeline::take`]). The older `on_*`
//! methods below are kept until the shell has switched to it.

use crate::cadence::Cadence;
use crate::coalesce::{Batch, Coalescer};
use crate::connection::EndpointKind;
use crate::event_log::EventLog;
use crate::inflight::InFlight;
use crate::protocol::http::HistoryEntry;
use crate::protocol::http::{decode_history, decode_queue, decode_system_stats};
use crate::series_book::SeriesBook;
use crate::tracker::{Change, Field, Lifecycle, Request, Tracker};
use crate::{decode_binary, decode_text, DecodeError, ServerMessage};

mod door;

/// Pending lifecycle events before a batch is due regardless of the window.
const MAX_PENDING_EVENTS: usize = 1024;
const LOG_LINES: usize = 200;

pub type UpdateBatch = Batch<Field, Lifecycle>;

#[derive(Debug)]
pub struct Pipeline {
    pub tracker: Tracker,
    pub log: EventLog,
    buffer: Coalescer<Field, Lifecycle>,
    scratch: Vec<Change>,
    endpoint: Option<EndpointKind>,
    /// Which requests are in flight (one of a kind, one more remembered).
    inflight: InFlight,
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
            buffer: Coalescer::new(window_ms, MAX_PENDING_EVENTS),
            scratch: Vec::new(),
            endpoint: None,
            inflight: InFlight::default(),
            cadence: Cadence::default(),
            series: SeriesBook::default(),
            last_ms: 0.0,
        }
    }

    /// Moves the tracker's changes into the buffer. True when a new window opened: the shell
    /// then arms one timer for [`Pipeline::deadline`].
    fn drain(&mut self, now_ms: f64) -> bool {
        self.last_ms = self.last_ms.max(now_ms);
        let mut opened = false;
        for change in self.scratch.drain(..) {
            opened |= match change {
                Change::Field(f) => self.buffer.mark(f, now_ms),
                Change::Lifecycle(l) => self.buffer.push_event(l, now_ms),
            };
        }
        opened
    }

    fn message(&mut self, decoded: Result<ServerMessage, DecodeError>, now_ms: f64) -> bool {
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

    pub fn on_text(&mut self, frame: &str, now_ms: f64) -> bool {
        self.message(decode_text(frame), now_ms)
    }

    pub fn on_binary(&mut self, frame: &[u8], now_ms: f64) -> bool {
        self.message(decode_binary(frame), now_ms)
    }

    /// Applies a `/api/queue` body; returns whether a window opened and the prompts that left
    /// the queue without us seeing their end.
    pub fn on_queue(
        &mut self,
        body: &str,
        now_ms: f64,
    ) -> Result<(bool, Vec<String>), DecodeError> {
        let snapshot = decode_queue(body)?;
        let left = self
            .tracker
            .apply_queue(&snapshot, now_ms, &mut self.scratch);
        Ok((self.drain(now_ms), left))
    }

    pub fn on_history(&mut self, body: &str, now_ms: f64) -> Result<bool, DecodeError> {
        for entry in decode_history(body)? {
            self.tracker
                .apply_history(&entry, now_ms, &mut self.scratch);
        }
        Ok(self.drain(now_ms))
    }

    /// Entries already decoded (a backfill that skipped runs the store has).
    pub fn on_history_entries(&mut self, entries: &[HistoryEntry], now_ms: f64) -> bool {
        for entry in entries {
            self.tracker.apply_history(entry, now_ms, &mut self.scratch);
        }
        self.drain(now_ms)
    }

    /// Runs loaded from the store after a reload, so the stream continues them. A run the
    /// tracker already knows (events arrived first) is left as it is.
    pub fn restore(&mut self, runs: Vec<crate::run::Run>, now_ms: f64) -> bool {
        for run in runs {
            let id = run.prompt_id.clone();
            self.tracker.restore(run);
            self.scratch.push(Change::Field(Field::Run(id)));
        }
        self.drain(now_ms)
    }

    pub fn on_system_stats(&mut self, body: &str, now_ms: f64) -> Result<bool, DecodeError> {
        let stats = decode_system_stats(body)?;
        self.tracker
            .apply_system_stats(stats, now_ms, &mut self.scratch);
        Ok(self.drain(now_ms))
    }

    /// The answer to [`Request::ReadHistoryEntry`]: the body of `/api/history/{id}`, or `Err`
    /// when the request failed (an unreadable body counts as failed). A followed run counts it
    /// as a poll under its policy; any other run is settled by it, and one the server no
    /// longer knows (missing from both its queue and its history) ends as lost.
    pub fn on_history_entry(
        &mut self,
        prompt_id: &str,
        body: Result<&str, ()>,
        now_ms: f64,
    ) -> bool {
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

    /// The old name of [`Pipeline::on_history_entry`].
    pub fn on_history_poll(
        &mut self,
        prompt_id: &str,
        body: Result<&str, ()>,
        now_ms: f64,
    ) -> bool {
        self.on_history_entry(prompt_id, body, now_ms)
    }

    /// The answer to [`Request::ReadHistory`]: every entry settles the run it names or adds
    /// one never seen. The shell drops entries its store already has first (as the backfill
    /// does), so that runs that ended earlier are not announced again.
    pub fn on_history_list(&mut self, entries: &[HistoryEntry], now_ms: f64) -> bool {
        self.on_history_entries(entries, now_ms)
    }

    /// The answer to [`Request::ReadJobs`]: the body of `/api/jobs`, or `Err` when it did not
    /// answer (the server has no jobs API: queue and history are read instead).
    pub fn on_jobs(&mut self, body: Result<&str, ()>, now_ms: f64) -> bool {
        match body.map(crate::protocol::jobs::decode_jobs) {
            Ok(Ok(jobs)) => self.tracker.apply_jobs(&jobs, now_ms, &mut self.scratch),
            _ => self.tracker.jobs_unavailable(),
        }
        self.drain(now_ms)
    }

    /// The answer to [`Request::ReadFeatures`]: `/api/features`' body, or `Err` when absent.
    pub fn on_features(&mut self, body: Result<&str, ()>) {
        let flags = body
            .ok()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .unwrap_or(serde_json::Value::Null);
        self.tracker.apply_features(flags);
    }

    /// The socket opened (first time or again): asks for what settles the page's runs.
    pub fn on_connected(&mut self, now_ms: f64) -> bool {
        self.tracker.connected(&mut self.scratch);
        self.drain(now_ms)
    }

    /// What the shell should ask the server now (see [`Request`]). Call after every input;
    /// each request is returned once.
    pub fn take_requests(&mut self, now_ms: f64) -> Vec<Request> {
        self.tracker.take_requests(now_ms)
    }

    pub fn check_follows(&mut self, now_ms: f64) -> bool {
        self.tracker.check_follows(now_ms, &mut self.scratch);
        self.drain(now_ms)
    }

    pub fn system_stats_failed(&mut self, now_ms: f64) -> bool {
        self.tracker.system_stats_failed(&mut self.scratch);
        self.drain(now_ms)
    }

    /// Something outside the tracker changed (the connection, for example).
    pub fn mark(&mut self, field: Field, now_ms: f64) -> bool {
        self.buffer.mark(field, now_ms)
    }

    pub fn stream_lost(&mut self, now_ms: f64) -> bool {
        self.tracker.stream_lost(&mut self.scratch);
        self.drain(now_ms)
    }

    pub fn deadline(&self) -> Option<f64> {
        self.buffer.deadline()
    }

    pub fn is_due(&self, now_ms: f64) -> bool {
        self.buffer.is_due(now_ms)
    }

    pub fn poll(&mut self, now_ms: f64) -> Option<UpdateBatch> {
        let batch = self.buffer.poll(now_ms)?;
        self.series.sample(&self.tracker, &batch, now_ms);
        Some(batch)
    }

    /// Takes whatever is pending (the flush `Step::flush_at` asked for), sampling the series of
    /// every run it names: read them with [`Pipeline::series`].
    pub fn take(&mut self) -> UpdateBatch {
        // The flush comes when the window ends (or at once when it filled up): sampled then,
        // never before the latest input.
        let at = self
            .buffer
            .deadline()
            .unwrap_or(self.last_ms)
            .max(self.last_ms);
        let batch = self.buffer.take();
        self.series.sample(&self.tracker, &batch, at);
        batch
    }

    /// One run's series (its chart's samples), sampled at each flush that named it.
    pub fn series(&self, prompt_id: &str) -> Option<&crate::history::series::RunSeries> {
        self.series.get(prompt_id)
    }

    /// Followed runs whose history poll is due now (see [`Tracker::due_history_polls`]).
    pub fn due_history_polls(&mut self, now_ms: f64) -> Vec<String> {
        self.tracker.due_history_polls(now_ms)
    }
}
