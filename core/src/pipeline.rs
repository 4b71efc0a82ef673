//! decoder → tracker → buffer, in one place, so the browser driver, the in-page demo and the
//! native tests push frames through exactly the same path.
//!
//! [`Pipeline::step`] is the one door: every input enters there and the [`Step`] it returns
//! says which requests to perform and when to flush ([`Pipeline::take`]). The older `on_*`
//! methods below are kept until the shell has switched to it.

use crate::cadence::Cadence;
use crate::history::series::RunSeries;
use crate::series_book::SeriesBook;
use crate::coalesce::{Batch, Coalescer};
use crate::connection::EndpointKind;
use crate::event_log::EventLog;
use crate::inflight::InFlight;
use crate::input::{Input, Reply, Step};
use crate::protocol::http::HistoryEntry;
use crate::protocol::http::{decode_history, decode_queue, decode_system_stats};
use crate::tracker::{Change, Field, Lifecycle, Request, Tracker};
use crate::{decode_binary, decode_text, DecodeError, ServerMessage};

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
    /// Each watched run's chart series.
    series: SeriesBook,
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
        }
    }

    /// The one door into the core: applies `input` and says what the shell must do next.
    pub fn step(&mut self, input: Input<'_>, now_ms: f64) -> Step {
        // Requests already cleared to go (a remembered one whose slot just freed).
        let mut extra: Vec<Request> = Vec::new();
        match input {
            Input::Text(frame) => {
                self.on_text(frame, now_ms);
            }
            Input::Binary(frame) => {
                self.on_binary(frame, now_ms);
            }
            Input::Connected { endpoint } => {
                self.endpoint = Some(endpoint);
                self.buffer.mark(Field::Connection, now_ms);
                self.on_connected(now_ms);
            }
            Input::Lost => {
                self.buffer.mark(Field::Connection, now_ms);
                self.stream_lost(now_ms);
            }
            Input::Answer { request, reply } => {
                // The slot frees first: what the answer makes the page ask goes out at once.
                let again = self.inflight.answered(&request, now_ms);
                self.answer(request, reply, now_ms);
                extra.extend(again);
            }
            Input::Restore(runs) => {
                self.restore(runs, now_ms);
            }
            Input::HistoryEntries { entries, stored } => {
                self.apply_history_list(entries, &stored, now_ms);
            }
            Input::Tick { hidden } => extra.extend(self.tick(hidden, now_ms)),
            Input::Policy(policy) => self.tracker.policy = policy.sanitized(),
        }
        let mut requests = extra;
        let cleared = requests.len();
        // The tracker's outbox holds each request once; only a remembered one may repeat it.
        for request in self.tracker.take_requests(now_ms) {
            if request == Request::ReadGpuSoon {
                self.cadence.stats_soon();
            } else if !requests[..cleared].contains(&request) {
                requests.extend(self.inflight.ask(request, now_ms));
            }
        }
        Step {
            requests,
            flush_at: self.flush_at(now_ms),
        }
    }

    /// The 1 s tick: VRAM and queue polls by the cadence, the follow policy's time limits.
    /// Returns the system stats read when one is due.
    fn tick(&mut self, hidden: bool, now_ms: f64) -> Option<Request> {
        let active = self.tracker.is_running();
        let busy = self.inflight.is_busy(&Request::ReadSystemStats, now_ms);
        let stats = self
            .cadence
            .stats_due(now_ms, hidden, active, busy)
            .then(|| self.inflight.ask(Request::ReadSystemStats, now_ms))
            .flatten();
        let interval = self.tracker.policy.sanitized().poll_interval_s as f64 * 1000.0;
        if self
            .cadence
            .queue_due(now_ms, self.tracker.is_following(), interval)
        {
            self.tracker.poll_queue();
        }
        self.check_follows(now_ms);
        stats
    }

    /// When the pending batch must be taken: now when it is already due, else at the end of
    /// its window.
    fn flush_at(&self, now_ms: f64) -> Option<f64> {
        if self.buffer.is_due(now_ms) {
            Some(now_ms)
        } else {
            self.buffer.deadline()
        }
    }

    /// Applies the server's answer to `request`.
    fn answer(&mut self, request: Request, reply: Reply, now_ms: f64) {
        match (request, reply) {
            (Request::ReadQueue, Reply::Body(body)) => {
                // An unreadable queue changes nothing; the next status frame asks again.
                let _ = self.on_queue(&body, now_ms);
            }
            (Request::ReadHistory { .. }, Reply::Body(body)) => {
                let entries = decode_history(&body).unwrap_or_default();
                self.apply_history_list(entries, &[], now_ms);
            }
            (Request::ReadHistory { .. }, Reply::History { entries, stored }) => {
                self.apply_history_list(entries, &stored, now_ms);
            }
            (Request::ReadHistoryEntry(id), reply) => {
                self.on_history_entry(&id, reply.body().ok_or(()), now_ms);
            }
            (Request::ReadHistoryDetails(_), Reply::Body(body)) => {
                let _ = self.on_history(&body, now_ms);
            }
            (Request::ReadFeatures, reply) => self.on_features(reply.body().ok_or(())),
            (Request::ReadJobs, Reply::Failed { status: None }) => {
                // The server did not answer at all: whether it has `/api/jobs` is still
                // unknown (asked again on the next connect); this time queue and history
                // are read.
                self.tracker.jobs_unanswered();
            }
            (Request::ReadJobs, reply) => {
                self.on_jobs(reply.body().ok_or(()), now_ms);
            }
            (Request::ReadSystemStats, reply) => {
                let read = reply.body().map(|b| self.on_system_stats(b, now_ms));
                if !matches!(read, Some(Ok(_))) {
                    self.system_stats_failed(now_ms);
                }
            }
            // Failed reads change nothing: whatever made the page ask asks again.
            _ => {}
        }
    }

    /// A history list: every entry settles the run it names when the page has it open, and
    /// adds a run the page does not know unless the store already holds it (`stored`).
    fn apply_history_list(&mut self, entries: Vec<HistoryEntry>, stored: &[String], now_ms: f64) {
        let stored: std::collections::HashSet<&str> = stored.iter().map(String::as_str).collect();
        let wanted: Vec<HistoryEntry> = entries
            .into_iter()
            .filter(|e| match self.tracker.run(&e.prompt_id) {
                Some(run) => !run.status.is_settled(),
                None => !stored.contains(e.prompt_id.as_str()),
            })
            .collect();
        self.on_history_entries(&wanted, now_ms);
    }

    /// The tracker, read only: the shell reads runs, queue, GPU and counters from it.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// The socket endpoint of the current connection, once connected.
    pub fn endpoint(&self) -> Option<EndpointKind> {
        self.endpoint
    }

    /// Moves the tracker's changes into the buffer. True when a new window opened: the shell
    /// then arms one timer for [`Pipeline::deadline`].
    fn drain(&mut self, now_ms: f64) -> bool {
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
        self.buffer.poll(now_ms)
    }

    /// The pending batch, for the sinks; the runs it changed are sampled for their charts.
    pub fn take(&mut self, now_ms: f64) -> UpdateBatch {
        let batch = self.buffer.take();
        self.series.sample(&self.tracker, &batch, now_ms);
        batch
    }

    /// A run's chart series, when the page watched it run.
    pub fn series(&self, prompt_id: &str) -> Option<&RunSeries> {
        self.series.get(prompt_id)
    }

    /// The event log (read only).
    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// Followed runs whose history poll is due now (see [`Tracker::due_history_polls`]).
    pub fn due_history_polls(&mut self, now_ms: f64) -> Vec<String> {
        self.tracker.due_history_polls(now_ms)
    }
}
