//! The one door: [`Pipeline::step`] applies an [`Input`] and returns the [`Step`] the shell
//! performs; answers come back tied to the request that asked for them.

use super::*;
use crate::input::{Input, Reply, Step};

impl Pipeline {
    /// The one door into the core: applies `input` and says what the shell must do next.
    pub fn step(&mut self, input: Input<'_>, now_ms: f64) -> Step {
        // Requests already cleared to go (a remembered one whose slot just freed, a spaced
        // queue read whose time has come).
        let mut extra: Vec<Request> = self.inflight.due(now_ms);
        self.last_ms = self.last_ms.max(now_ms);
        match input {
            Input::Text(frame) => self.message(decode_text(frame), now_ms),
            Input::Binary(frame) => self.message(decode_binary(frame), now_ms),
            Input::Connected { endpoint } => {
                self.endpoint = Some(endpoint);
                self.buffer.mark(Field::Connection, now_ms);
                self.tracker.connected(&mut self.scratch);
                self.drain(now_ms);
            }
            Input::Lost => {
                self.buffer.mark(Field::Connection, now_ms);
                self.tracker.stream_lost(&mut self.scratch);
                self.drain(now_ms);
            }
            Input::Answer {
                request: request @ Request::ReadDetailsPage { .. },
                reply,
            } => {
                for read in self.details_page(&request, reply.body(), now_ms) {
                    extra.extend(self.inflight.ask(read, now_ms));
                }
            }
            Input::Answer { request, reply } => {
                // The slot frees first: what the answer makes the page ask goes out at once.
                let asked_ms = self.inflight.asked_at(&request).unwrap_or(now_ms);
                let again = self.inflight.answered(&request, now_ms);
                self.answer(request, reply, asked_ms, now_ms);
                extra.extend(again);
            }
            Input::Restore(runs) => self.restore(runs, now_ms),
            Input::RestoreSeries(series) => {
                for one in series {
                    self.series.restore(one, &self.tracker);
                }
            }
            Input::HistoryEntries { entries, stored } => {
                self.apply_history_list(entries, &stored, now_ms);
            }
            Input::Tick { hidden } => extra.extend(self.tick(hidden, now_ms)),
            Input::Policy(policy) => self.tracker.policy = policy.sanitized(),
            Input::CancelQueued(ids) => self.control(|t, out| t.cancel_queued(&ids, out), now_ms),
            Input::ClearQueue => self.control(Tracker::clear_queue, now_ms),
            Input::StoredDurations(found) => {
                self.control(|t, out| t.add_stored_durations(found, out), now_ms)
            }
        }
        if self.endpoint == Some(EndpointKind::Demo) {
            // Playing a recording: nothing may be asked of the page's real server.
            self.tracker.take_requests(now_ms);
            return Step {
                requests: Vec::new(),
                flush_at: self.flush_at(now_ms),
            };
        }
        let mut requests = extra;
        let cleared = requests.len();
        // The tracker's outbox holds each request once; only a remembered one may repeat it.
        let ends = self.tracker.ends_seen();
        for request in self.tracker.take_requests(now_ms) {
            if request == Request::ReadGpuSoon {
                self.cadence.stats_soon();
            } else if let Request::ReadHistoryDetails(id) = request {
                self.details.want(id, ends);
            } else if !requests[..cleared].contains(&request) {
                requests.extend(self.inflight.ask(request, now_ms));
            }
        }
        // Runs waiting for their details: one page read for all of them when its time has come.
        for request in self.details.next(now_ms, ends) {
            match request {
                Request::ReadDetailsPage { .. } => requests.push(request),
                by_id => requests.extend(self.inflight.ask(by_id, now_ms)),
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
        // A recording plays: no VRAM reads of the real server.
        let hidden = hidden || self.endpoint == Some(EndpointKind::Demo);
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
        self.tracker.check_follows(now_ms, &mut self.scratch);
        self.drain(now_ms);
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

    /// A history list: every entry settles the run it names when the page has it open, and
    /// adds a run the page does not know unless the store already holds it (`stored`).
    fn apply_history_list(&mut self, entries: Vec<HistoryEntry>, stored: &[String], now_ms: f64) {
        let stored: crate::str_map::StrSet = stored.iter().map(String::as_str).collect();
        let wanted: Vec<HistoryEntry> = entries
            .into_iter()
            .filter(|e| match self.tracker.run(&e.prompt_id) {
                Some(run) => !run.status.is_settled(),
                None => !stored.contains(e.prompt_id.as_str()),
            })
            .collect();
        self.history_entries(&wanted, now_ms);
    }

    /// Applies the server's answer to `request`.
    fn answer(&mut self, request: Request, reply: Reply, asked_ms: f64, now_ms: f64) {
        match (request, reply) {
            (Request::ReadQueue, Reply::Body(body)) => self.queue(&body, asked_ms, now_ms),
            (Request::ReadHistory { .. }, Reply::Body(body)) => {
                let entries = decode_history(&body).unwrap_or_default();
                self.apply_history_list(entries, &[], now_ms);
            }
            (Request::ReadHistory { .. }, Reply::History { entries, stored }) => {
                self.apply_history_list(entries, &stored, now_ms);
            }
            (Request::ReadHistoryEntry(id), reply) => {
                self.history_entry(&id, reply.body().ok_or(()), now_ms);
            }
            (Request::ReadHistoryDetails(_), Reply::Body(body)) => {
                self.history_details(&body, now_ms);
            }
            (Request::ReadFeatures, reply) => self.features(reply.body().ok_or(())),
            (request @ (Request::DeleteQueued(_) | Request::ClearQueue), reply) => {
                let failed = match reply {
                    Reply::Failed { status } => Some(status),
                    _ => None,
                };
                self.control(
                    |t, out| t.queue_control_answered(&request, failed, out),
                    now_ms,
                );
            }
            (Request::ReadJobs, Reply::Failed { status: None }) => {
                // The server did not answer at all: whether it has `/api/jobs` is still
                // unknown (asked again on the next connect); this time queue and history
                // are read.
                self.tracker.jobs_unanswered();
            }
            (Request::ReadJobs, reply) => self.jobs(reply.body().ok_or(()), asked_ms, now_ms),
            (Request::ReadSystemStats, reply) => self.system_stats(reply.body(), now_ms),
            // Failed reads change nothing: whatever made the page ask asks again.
            _ => {}
        }
    }

    /// A queue-control step of the tracker (a person's cancel or clear, or the server's answer
    /// to one), its changes drained like any other.
    fn control(&mut self, f: impl FnOnce(&mut Tracker, &mut Vec<Change>), now_ms: f64) {
        f(&mut self.tracker, &mut self.scratch);
        self.drain(now_ms);
    }

    /// The event log, read only.
    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// The tracker, read only: the shell reads runs, queue, GPU and counters from it.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// The socket endpoint of the current connection, once connected.
    pub fn endpoint(&self) -> Option<EndpointKind> {
        self.endpoint
    }
}
