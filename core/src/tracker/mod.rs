//! Folds decoded messages, queue snapshots and history entries into runs.
//!
//! Every entry point takes `now_ms` (local epoch ms) and reports what it changed as [`Change`]s,
//! which the coalescing buffer collapses before anything reaches the view.

mod change;
mod follow;
mod gpu;
mod history;
mod index;
mod jobs;
mod nodes;
mod queue;
mod queue_control;
mod read_retry;
mod reconcile;
mod request_set;
mod seed;
mod socket;

pub use change::*;
pub use queue_control::{PendingPrompt, PendingQueue};
pub use reconcile::{Request, HISTORY_PAGE};

use crate::follow::FollowRecord;
use crate::follow::QueuePolicy;
use crate::protocol::{Artifact, DecodeError};
use crate::run::{NodeStatus, Run, RunSource, RunStatus};
use crate::str_map::{StrMap, StrSet};
use std::collections::VecDeque;

/// Runs kept in memory; older finished ones live only in the store.
const MAX_RUNS: usize = 500;
/// How far back through the latest ends `current_run` looks, when nothing runs, for one whose
/// run is still kept in memory (older ones may have been evicted).
const RECENT_ENDS_SHOWN: usize = 32;

#[derive(Debug, Clone, Default)]
pub struct Tracker {
    server: String,
    runs: StrMap<Run>,
    /// The prompt whose execution events we are receiving now.
    active: Option<String>,
    /// The prompt whose `execution_start` arrived on the socket we have now: its end will
    /// arrive on it too, so a queue read that lacks it is older than the stream.
    streaming: Option<String>,
    /// `(prompt, node)` that ran last: legacy previews carry no ids and belong to it.
    last_node: Option<(String, String)>,
    pub queue: QueueState,
    pub client_id: Option<String>,
    pub supports_preview_metadata: bool,
    pub preview: Option<LatestPreview>,
    pub gpu: GpuState,
    pub counters: Counters,
    preview_seq: u64,
    /// The extension said hello: every client's runs stream to us.
    pub extension: Option<ExtensionInfo>,
    /// Policy for runs followed by polling.
    pub policy: QueuePolicy,
    /// When each followed run is next due for a history poll (local ms).
    follow_next: StrMap<f64>,
    /// What the shell should ask the server, in order, without duplicates (the set beside it
    /// makes the check O(1), however many requests wait).
    requests: Vec<Request>,
    requested: request_set::RequestSet,
    /// See `index.rs`: open runs, running runs not in doubt, ended runs in the order they ended,
    /// and runs that ended in the last minute.
    open: StrSet,
    unasked: StrSet,
    /// Runs that looked running when another started, whose history entry has been asked for
    /// and not yet answered.
    asked: StrSet,
    /// The socket dropped: the next connect settles every open run by asking the server.
    reconnecting: bool,
    /// Ended runs whose history entry was read for what the stream missed (once each).
    details_asked: StrSet,
    ended: VecDeque<String>,
    /// Ends seen so far: how far back in the server's history a run that ended is (a details
    /// page read is sized by it).
    ends_seen: u64,
    recent_ends: VecDeque<(f64, String)>,
    /// Runs whose end must be read from the server, with the queue snapshot generation at the
    /// time: a run missing from history is lost only when a later queue snapshot lacks it too.
    awaiting: StrMap<u64>,
    /// Snapshots of `/api/queue` applied so far, and the prompt ids the last one listed.
    queue_generation: u64,
    queue_ids: StrSet,
    /// Sequence number of the last lifecycle event.
    lifecycle_seq: u64,
    /// Runs whose end arrived on the socket since the last `status` frame: when the queue
    /// shrinks by more than this, prompts ended that the page never saw, and the history says
    /// which. Ends learned from the server's answers do not count: they arrive late, and
    /// crediting one to a later shrink hid the prompt that really caused it (bursts of cached
    /// prompts on stock ComfyUI went missing that way).
    ends_since_status: u32,
    /// `queue_remaining` of the last `status` frame (queue reads never change it: a read
    /// between two frames must not hide that the queue shrank).
    status_remaining: Option<u32>,
    /// What the server offers beyond 0.3.64's API, learned by asking it.
    pub features: ServerFeatures,
    /// Pending prompts the page asked the server to delete, until each run ends.
    cancelling: StrSet,
    /// Runs whose history read failed: when each is next read, and how many reads failed.
    read_retry: StrMap<(f64, u32)>,
    /// Earlier runs' durations from the page's store, for the drain estimate.
    stored_durations: crate::drain::StoredDurations,
}

impl Tracker {
    pub fn new(server: &str) -> Tracker {
        Tracker {
            server: server.to_owned(),
            ..Tracker::default()
        }
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    pub fn run(&self, prompt_id: &str) -> Option<&Run> {
        self.runs.get(prompt_id)
    }

    pub fn run_count(&self) -> usize {
        self.runs.len()
    }

    /// All runs in memory, newest first.
    pub fn runs(&self) -> Vec<&Run> {
        let mut runs: Vec<&Run> = self.runs.values().collect();
        crate::sort::sort_by(&mut runs, |a, b| {
            b.first_seen_ms
                .total_cmp(&a.first_seen_ms)
                .then_with(|| b.number.cmp(&a.number))
        });
        runs
    }

    pub fn active_run(&self) -> Option<&Run> {
        self.active.as_deref().and_then(|id| self.runs.get(id))
    }

    /// The run a person watching wants to see: the one running, else the one that started or
    /// ended last.
    pub fn current_run(&self) -> Option<&Run> {
        if let Some(run) = self.active_run() {
            return Some(run);
        }
        // Running and not in doubt (a run that looked running when another started is being
        // asked about: it is not what runs now). Walks the few such runs, not every run.
        if let Some(run) = self
            .unasked
            .iter()
            .filter_map(|id| self.runs.get(id))
            .max_by(|a, b| a.last_update_ms.total_cmp(&b.last_update_ms))
        {
            return Some(run);
        }
        let latest = |a: &&Run, b: &&Run| {
            a.last_update_ms
                .total_cmp(&b.last_update_ms)
                .then_with(|| a.number.cmp(&b.number))
        };
        // The run that ended last, in the order the ends were learned: what is learned about a
        // run afterwards (its details read from /api/history, a replayed frame) updates it but
        // does not make it the latest again, or a late answer about the previous run would take
        // the card back from a cached one that ended in the meantime.
        let recent = self
            .ended
            .iter()
            .rev()
            .take(RECENT_ENDS_SHOWN)
            .filter_map(|id| self.runs.get(id))
            .find(|r| r.status.is_terminal());
        recent.or_else(|| {
            self.runs
                .values()
                .filter(|r| r.status != RunStatus::Queued)
                .max_by(latest)
        })
    }

    /// Puts a run back, for example one loaded from the store after a reload, so that the
    /// stream continues it instead of starting a new one. Whichever arrived first, the record
    /// kept is the merge of both (see [`Run::merge`]): a replay's poorer copy never replaces
    /// the stored one. A run restored as open is settled by asking the server.
    pub fn restore(&mut self, run: Run) {
        let id = run.prompt_id.clone();
        if let Some(current) = self.runs.get_mut(&id) {
            current.merge(&run);
        } else {
            self.runs.insert(id.clone(), run);
        }
        let open = self
            .runs
            .get(&id)
            .is_some_and(|r| !r.status.is_terminal() && r.source != RunSource::Seed);
        if open {
            self.await_server(&id);
            self.request(Request::ReadQueue);
        } else {
            if !self.ended.contains(&id) {
                self.ended.push_back(id.clone());
            }
            self.ask_details_if_poorer(&id);
        }
        self.reindex(&id);
        self.evict();
    }

    pub fn record_malformed(&mut self, error: DecodeError, out: &mut Vec<Change>) {
        self.counters.malformed += 1;
        self.counters.last_error = Some(error);
        out.push(Change::Field(Field::Counters));
    }

    /// The socket went away: the running run keeps its state (the server may still be working)
    /// but we no longer know which node is current.
    pub fn stream_lost(&mut self, out: &mut Vec<Change>) {
        for id in &self.open {
            if let Some(run) = self.runs.get_mut(id) {
                if run.status == RunStatus::Running {
                    run.stream_lost = true;
                    out.push(Change::Field(Field::Run(id.clone())));
                }
            }
        }
        self.queue.from_http = false;
        self.streaming = None;
        self.reconnecting = true;
        out.push(Change::Field(Field::Queue));
    }

    pub(super) fn touch(
        &mut self,
        prompt_id: &str,
        source: RunSource,
        now_ms: f64,
    ) -> (&mut Run, bool) {
        // Borrowed, not cloned: `touch` runs several times per frame.
        let server = &self.server;
        let mut created = false;
        let run = self.runs.get_or_insert_with(prompt_id, || {
            created = true;
            Run::new(server, prompt_id, source, now_ms)
        });
        run.last_update_ms = now_ms;
        (run, created)
    }

    /// Reports a lifecycle event with the next sequence number. A start or an end is also the
    /// moment to read VRAM, so that "before" and "after" are close to the real moments.
    pub(super) fn lifecycle(
        &mut self,
        out: &mut Vec<Change>,
        run_id: &str,
        kind: LifecycleKind,
        at_ms: f64,
    ) {
        if !matches!(kind, LifecycleKind::Queued | LifecycleKind::Output { .. }) {
            self.request(Request::ReadGpuSoon);
        }
        self.lifecycle_seq += 1;
        out.push(Change::Lifecycle(Lifecycle {
            seq: self.lifecycle_seq,
            run_id: run_id.to_owned(),
            kind,
            at_ms,
        }));
    }

    /// Marks a run as started once, whichever message told us first.
    pub(super) fn start(&mut self, prompt_id: &str, now_ms: f64, out: &mut Vec<Change>) -> bool {
        let (run, _) = self.touch(prompt_id, RunSource::Stream, now_ms);
        if run.became_streamed() && run.follow.is_none() {
            self.follow_next.remove(prompt_id);
        }
        let run = match self.runs.get_mut(prompt_id) {
            Some(run) => run,
            None => return false,
        };
        if matches!(run.status, RunStatus::Queued | RunStatus::Unknown) && run.ended_at_ms.is_none()
        {
            run.status = RunStatus::Running;
            run.started_at_ms.get_or_insert(now_ms);
            self.reindex(prompt_id);
            self.lifecycle(out, prompt_id, LifecycleKind::Started, now_ms);
            self.active = Some(prompt_id.to_owned());
            return true;
        }
        if run.status == RunStatus::Running {
            self.active = Some(prompt_id.to_owned());
        }
        false
    }

    pub(super) fn finish(
        &mut self,
        prompt_id: &str,
        status: RunStatus,
        server_ms: Option<i64>,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        self.awaiting.remove(prompt_id);
        self.cancelling.remove(prompt_id);
        self.read_retry.remove(prompt_id);
        let (run, _) = self.touch(prompt_id, RunSource::Stream, now_ms);
        // Replayed or duplicated ends change nothing: a settled run stays as it ended.
        if run.status.is_settled() || (run.status == status && run.ended_at_ms.is_some()) {
            return;
        }
        run.status = status;
        if !matches!(status, RunStatus::Unknown | RunStatus::Lost) {
            run.lost_reason = None;
        }
        run.ended_at_ms = Some(now_ms);
        if server_ms.is_some() {
            run.server_ended_ms = server_ms;
        }
        // Nodes still running when the run stopped were stopped, not failed: the failed node
        // is the one the error names.
        let node_status = match status {
            RunStatus::Succeeded => NodeStatus::Finished,
            _ => NodeStatus::Interrupted,
        };
        for node in run.nodes.iter_mut() {
            if node.status == NodeStatus::Running {
                node.status = node_status;
                node.finished_ms.get_or_insert(now_ms);
            }
        }
        run.current_node = None;
        self.asked.remove(prompt_id);
        self.reindex(prompt_id);
        self.index_end(prompt_id, now_ms);
        let run = match self.runs.get(prompt_id) {
            Some(run) => run,
            None => return,
        };
        let kind = match status {
            RunStatus::Succeeded => LifecycleKind::Succeeded,
            RunStatus::Interrupted => LifecycleKind::Interrupted,
            RunStatus::Cancelled => LifecycleKind::Cancelled,
            RunStatus::Failed => LifecycleKind::Failed {
                message: run.error.as_ref().and_then(|e| e.exception_message.clone()),
            },
            _ => LifecycleKind::Lost,
        };
        self.lifecycle(out, prompt_id, kind, now_ms);
        out.push(Change::Field(Field::Run(prompt_id.to_owned())));
        self.ask_details_if_poorer(prompt_id);
        if self.active.as_deref() == Some(prompt_id) {
            self.active = None;
        }
        if self.streaming.as_deref() == Some(prompt_id) {
            self.streaming = None;
        }
        self.evict();
    }

    /// We did not see how a run ended: ask `/api/history` under the follow policy.
    pub(super) fn follow_history(&mut self, prompt_id: &str, now_ms: f64) {
        let policy = self.policy;
        if let Some(run) = self.runs.get_mut(prompt_id) {
            let record = run
                .follow
                .get_or_insert_with(|| FollowRecord::new(policy, now_ms));
            record.execution_done(now_ms);
            if !record.is_done() {
                self.follow_next.insert(prompt_id.to_owned(), now_ms);
            }
        }
    }
}

fn add_outputs(run: &mut Run, outputs: &[Artifact]) -> usize {
    let mut added = 0;
    for a in outputs {
        if !run.outputs.contains(a) {
            run.outputs.push(a.clone());
            added += 1;
        }
    }
    added
}
