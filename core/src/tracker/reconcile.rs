//! Reconcile, don't guess: when the page cannot know how a run ended (a reconnect, dropped
//! messages, a queue that drained without saying which prompt, a run restored as running), the
//! tracker asks the server and settles runs by its answers.
//!
//! The tracker never performs I/O: it returns [`Request`]s that the shell carries out and whose
//! answers it feeds back, each tied to its request (`Input::Answer` through `Pipeline::step`).
//! The rule for "lost": a run is lost only when a queue snapshot read after we
//! began to wonder lacks it and its history entry is missing too. ComfyUI moves a prompt from
//! the queue to the history under one lock, so such a run is unknown to this server (it was
//! restarted, or its history was cleared).

use super::*;

/// Newest history entries read on every reconcile: enough for a burst of 50 short prompts.
pub const HISTORY_PAGE: u32 = 64;

/// Something the shell should ask the server. Carried out in order; each answer goes back as
/// `Input::Answer { request, reply }` (`Reply::Failed` when it failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `GET /api/queue`.
    ReadQueue,
    /// `GET /api/history?max_items={max_items}` (plus `&offset={offset}` when set; without it
    /// ComfyUI returns the newest entries). With a store, answer `Reply::Entries` with the
    /// entries the store lacks or the page has not settled (as the backfill filters them);
    /// without one, `Reply::Body`.
    ReadHistory { max_items: u32, offset: Option<u32> },
    /// `GET /api/history/{id}`: settles a run the page is unsure of (or polls a followed one).
    ReadHistoryEntry(String),
    /// `GET /api/history/{id}` for a run that ended on the stream knowing less than its entry
    /// (no prompt, nodes not all done after a success, one server timestamp): fills the gaps.
    /// `Pipeline::step` gathers these into one [`Request::ReadDetailsPage`] for the runs
    /// waiting (`details_reads.rs`) and performs this only for a run alone or missing from the
    /// page; one at a time, the others wait their turn.
    ReadHistoryDetails(String),
    /// `GET /api/history?max_items={max_items}`: one page read for every run waiting for its
    /// details. Made only by `Pipeline::step`; answered with `Reply::Body` (no store lookup).
    ReadDetailsPage { max_items: u32 },
    /// `GET /api/system_stats` soon (a run started or ended), at most about once a second.
    /// Only [`Tracker::take_requests`] returns it; `Pipeline::step` folds it into the tick's
    /// cadence, which asks [`Request::ReadSystemStats`].
    ReadGpuSoon,
    /// `GET /api/system_stats` now (made by `Pipeline::step` on a tick, at the cadence).
    ReadSystemStats,
    /// `GET /api/features` (a 404 answers "no flags").
    ReadFeatures,
    /// `GET /api/jobs` (newer servers); used instead of queue + history reads once the server
    /// is known to have it. `Reply::Failed` with a status: the server has none.
    ReadJobs,
    /// `POST /api/queue {"delete": [ids]}`: a person cancelled these pending prompts. ComfyUI
    /// answers 200 whether or not they were still pending; the queue read that follows says.
    DeleteQueued(Vec<String>),
    /// `POST /api/queue {"clear": true}`: a person cleared every pending prompt.
    ClearQueue,
}

impl Tracker {
    /// Adds a request unless the same one is already waiting. Where the server has
    /// `/api/jobs`, one jobs read answers both the queue and the newest history: the one place
    /// that rule lives.
    pub(super) fn request(&mut self, request: Request) {
        let request = match request {
            Request::ReadQueue | Request::ReadHistory { offset: None, .. }
                if self.features.jobs == Some(true) =>
            {
                Request::ReadJobs
            }
            other => other,
        };
        if self.requested.insert(&request) {
            self.requests.push(request);
        }
    }

    /// What the shell should ask the server now, oldest first; each is returned once.
    /// Followed runs whose history poll is due are included as [`Request::ReadHistoryEntry`].
    pub fn take_requests(&mut self, now_ms: f64) -> Vec<Request> {
        for id in self.due_history_polls(now_ms) {
            self.request(Request::ReadHistoryEntry(id));
        }
        for id in self.due_read_retries(now_ms) {
            self.request(Request::ReadHistoryEntry(id));
        }
        self.requested.clear();
        std::mem::take(&mut self.requests)
    }

    /// Reads everything needed to settle what the page believes: the queue and the newest
    /// history entries (or the jobs list where the server has one).
    pub(super) fn reconcile_all(&mut self) {
        self.request(Request::ReadQueue);
        self.request(Request::ReadHistory {
            max_items: HISTORY_PAGE,
            offset: None,
        });
    }

    /// The socket (re)connected: whatever ran meanwhile is read from the server. Open runs are
    /// settled by the queue and history answers.
    pub fn connected(&mut self, out: &mut Vec<Change>) {
        if std::mem::take(&mut self.reconnecting) {
            // What was open when the connection dropped may have gone with its server: each
            // open run is settled by the server the page reconnected to, and ends `lost` only
            // when neither its queue nor its history knows it.
            let open: Vec<String> = self.open.iter().cloned().collect();
            for id in open {
                self.await_server(&id);
            }
        }
        if self.features.jobs.is_none() {
            self.request(Request::ReadFeatures);
        }
        self.reconcile_all();
        out.push(Change::Field(Field::Connection));
    }

    /// We no longer know how this run stands: its end is read from the server.
    pub(super) fn await_server(&mut self, prompt_id: &str) {
        let generation = self.queue_generation;
        self.awaiting.get_or_insert_with(prompt_id, || generation);
        self.reindex(prompt_id);
    }

    /// Runs whose end is being read from the server.
    pub fn is_awaiting(&self, prompt_id: &str) -> bool {
        self.awaiting.contains_key(prompt_id)
    }

    /// After a queue snapshot: open runs it lacks are read from history; awaited runs it
    /// lists are still with the server and need nothing more.
    pub(super) fn reconcile_with_queue(&mut self, absent: &[String]) {
        let generation = self.queue_generation;
        let listed: Vec<String> = self
            .awaiting
            .keys()
            .filter(|id| self.queue_ids.contains(id))
            .cloned()
            .collect();
        for id in listed {
            self.awaiting.remove(&id);
            self.reindex(&id);
        }
        for id in absent {
            // Marked before this snapshot: it counts as read after we began to wonder.
            self.awaiting.get_or_insert_with(id, || generation - 1);
            self.reindex(id);
            self.request(Request::ReadHistoryEntry(id.clone()));
        }
    }

    /// `/api/history/{id}` has no entry for `prompt_id`.
    pub(super) fn history_entry_missing(
        &mut self,
        prompt_id: &str,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        if self.settle_cancelled(prompt_id, now_ms, out) {
            return;
        }
        let Some(&marked) = self.awaiting.get(prompt_id) else {
            return;
        };
        if self.queue_ids.contains(prompt_id) {
            // Still queued or running on the server: the stream or a later read settles it.
            self.awaiting.remove(prompt_id);
            self.reindex(prompt_id);
            return;
        }
        if self.queue_generation <= marked {
            // No queue snapshot since we began to wonder: read one first.
            self.request(Request::ReadQueue);
            return;
        }
        self.lose(
            prompt_id,
            "the server no longer knows this prompt",
            now_ms,
            out,
        );
    }

    /// Ends an open run as lost with the server, saying why.
    pub(super) fn lose(
        &mut self,
        prompt_id: &str,
        reason: &str,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        self.awaiting.remove(prompt_id);
        let Some(run) = self.runs.get_mut(prompt_id) else {
            return;
        };
        if run.status.is_terminal() {
            return;
        }
        run.lost_reason = Some(reason.to_owned());
        if run.status == RunStatus::Queued {
            run.status = RunStatus::Running;
        }
        // Nobody saw it end: it ran at least until the last thing heard of it, not until the
        // page found out (that would count the outage and the reconnect as run time).
        let heard = run.last_update_ms;
        self.finish(prompt_id, RunStatus::Lost, None, now_ms, out);
        if let Some(run) = self.runs.get_mut(prompt_id) {
            if run.status == RunStatus::Lost {
                run.ended_at_ms = Some(heard.max(run.started_at_ms.unwrap_or(heard)));
            }
        }
    }

    /// Open runs other than `except`, streamed or restored, that the page can no longer follow
    /// by events: used when a new prompt starts while another still looks running. Runs already
    /// being asked about are not asked again (their answer is on its way), so a server that
    /// never answers does not make every later start ask about every run it left open.
    pub(super) fn open_runs_except(&self, except: &str) -> Vec<String> {
        self.running_unasked_except(except)
    }

    /// A prompt started while `previous` still looked running. ComfyUI runs one prompt at a
    /// time, so `previous` ended unseen — or this start is a replay of an older one. Either way
    /// the server says which: nothing is ended here.
    pub(super) fn settle_by_server(&mut self, previous: &str) {
        self.asked.insert(previous.to_owned());
        self.await_server(previous);
        self.request(Request::ReadQueue);
        self.request(Request::ReadHistoryEntry(previous.to_owned()));
    }
}
