//! Folds decoded messages, queue snapshots and history entries into runs.
//!
//! Every entry point takes `now_ms` (local epoch ms) and reports what it changed as [`Change`]s,
//! which the coalescing buffer collapses before anything reaches the view.

use crate::follow::{FollowRecord, Next, Poll, QueuePolicy};
use crate::gpu::GpuReading;
use crate::protocol::extension::{Hello, QueuedPrompt};
use crate::protocol::http::{HistoryEntry, QueueItem, QueueSnapshot, SystemStats};
use crate::protocol::{
    Artifact, DecodeError, MonitorSample, NodeState, Preview, SeedTelemetry, ServerMessage,
};
use crate::run::{NodeStatus, Run, RunSource, RunStatus};
use std::collections::{BTreeMap, HashMap};

/// Runs kept in memory; older finished ones live only in the store.
const MAX_RUNS: usize = 500;

/// What changed. Fields collapse to their latest value; lifecycle events are never collapsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Field(Field),
    Lifecycle(Lifecycle),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Queue,
    Run(String),
    Preview,
    Gpu,
    Counters,
    Connection,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    pub run_id: String,
    pub kind: LifecycleKind,
    pub at_ms: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LifecycleKind {
    Queued,
    Started,
    Succeeded,
    Failed {
        message: Option<String>,
    },
    Interrupted,
    /// The run ended (or left the queue) without saying how.
    Lost,
    Output {
        artifacts: usize,
    },
}

impl LifecycleKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            LifecycleKind::Queued => "queued",
            LifecycleKind::Started => "started",
            LifecycleKind::Succeeded => "succeeded",
            LifecycleKind::Failed { .. } => "failed",
            LifecycleKind::Interrupted => "interrupted",
            LifecycleKind::Lost => "lost",
            LifecycleKind::Output { .. } => "output",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueState {
    /// From the broadcast `status`: running plus pending.
    pub remaining: Option<u32>,
    /// From `/api/queue` when it has been read since the last `status`; otherwise derived from
    /// `remaining` (ComfyUI runs one prompt at a time).
    pub running: Option<u32>,
    pub pending: Option<u32>,
    pub from_http: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LatestPreview {
    pub run_id: Option<String>,
    pub node_id: Option<String>,
    pub preview: Preview,
    pub at_ms: f64,
    /// Increases with every preview so the shell can tell a new image from the same one.
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GpuState {
    pub stats: Option<SystemStats>,
    pub stats_at_ms: Option<f64>,
    pub monitor: Option<MonitorSample>,
    pub monitor_at_ms: Option<f64>,
    /// The latest reading from any source, merged with older ones for missing fields.
    pub latest: Option<GpuReading>,
    /// `/api/system_stats` failed on its last poll.
    pub stats_failed: bool,
}

/// What the extension's hello told us about it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtensionInfo {
    pub protocol: Option<i64>,
    pub version: Option<String>,
    pub comfyui_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Counters {
    pub messages: u64,
    pub binary: u64,
    pub malformed: u64,
    pub unknown: BTreeMap<String, u64>,
    pub last_error: Option<DecodeError>,
    /// Messages the extension dropped for us because we read too slowly.
    pub dropped: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Tracker {
    server: String,
    runs: HashMap<String, Run>,
    /// The prompt whose execution events we are receiving now.
    active: Option<String>,
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
    unnamed_ended: Vec<String>,
    /// When each followed run is next due for a history poll (local ms).
    follow_next: HashMap<String, f64>,
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
        runs.sort_by(|a, b| {
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
        if let Some(run) = self
            .runs
            .values()
            .filter(|r| r.status == RunStatus::Running)
            .max_by(|a, b| a.last_update_ms.total_cmp(&b.last_update_ms))
        {
            return Some(run);
        }
        self.runs
            .values()
            .filter(|r| r.status != RunStatus::Queued)
            .max_by(|a, b| {
                a.last_update_ms
                    .total_cmp(&b.last_update_ms)
                    .then_with(|| a.number.cmp(&b.number))
            })
    }

    /// Puts a run back, for example one loaded from the store after a reload, so that the
    /// stream continues it instead of starting a new one.
    pub fn restore(&mut self, run: Run) {
        if let Some(current) = self.runs.get_mut(&run.prompt_id) {
            // The stream or a queue poll got there first after a reload: keep what it learned
            // and add what the stored record knew from before (start times, nodes, outputs).
            current.absorb_earlier(&run);
            return;
        }
        if run.status == RunStatus::Running
            && self.active.is_none()
            && run.source == RunSource::Stream
        {
            self.active = Some(run.prompt_id.clone());
        }
        self.runs.insert(run.prompt_id.clone(), run);
    }

    /// Runs that ended on the stream without their prompt having been seen (too short for a
    /// queue poll): the shell reads their `/api/history` entry once to name the workflow.
    pub fn take_unnamed_ended(&mut self) -> Vec<String> {
        std::mem::take(&mut self.unnamed_ended)
    }

    pub fn record_malformed(&mut self, error: DecodeError, out: &mut Vec<Change>) {
        self.counters.malformed += 1;
        self.counters.last_error = Some(error);
        out.push(Change::Field(Field::Counters));
    }

    /// The socket went away: the running run keeps its state (the server may still be working)
    /// but we no longer know which node is current.
    pub fn stream_lost(&mut self, out: &mut Vec<Change>) {
        for run in self.runs.values_mut() {
            if run.status == RunStatus::Running {
                run.stream_lost = true;
                out.push(Change::Field(Field::Run(run.prompt_id.clone())));
            }
        }
        self.queue.from_http = false;
        out.push(Change::Field(Field::Queue));
    }

    fn touch(&mut self, prompt_id: &str, source: RunSource, now_ms: f64) -> (&mut Run, bool) {
        let server = self.server.clone();
        let mut created = false;
        let run = self.runs.entry(prompt_id.to_owned()).or_insert_with(|| {
            created = true;
            Run::new(&server, prompt_id, source, now_ms)
        });
        run.last_update_ms = now_ms;
        (run, created)
    }

    fn lifecycle(out: &mut Vec<Change>, run_id: &str, kind: LifecycleKind, at_ms: f64) {
        out.push(Change::Lifecycle(Lifecycle {
            run_id: run_id.to_owned(),
            kind,
            at_ms,
        }));
    }

    /// Marks a run as started once, whichever message told us first.
    fn start(&mut self, prompt_id: &str, now_ms: f64, out: &mut Vec<Change>) -> bool {
        let (run, _) = self.touch(prompt_id, RunSource::Stream, now_ms);
        // Events are arriving: a run we were about to follow by polling (seen in the queue
        // first) streams after all, and its unused follow record would only mislead.
        if run.source == RunSource::Polling {
            run.source = RunSource::Stream;
            if run
                .follow
                .as_ref()
                .is_some_and(|f| f.attempts == 0 && f.exit.is_none())
            {
                run.follow = None;
                self.follow_next.remove(prompt_id);
            }
        }
        let run = match self.runs.get_mut(prompt_id) {
            Some(run) => run,
            None => return false,
        };
        if matches!(run.status, RunStatus::Queued | RunStatus::Unknown) && run.ended_at_ms.is_none()
        {
            run.status = RunStatus::Running;
            run.started_at_ms.get_or_insert(now_ms);
            Self::lifecycle(out, prompt_id, LifecycleKind::Started, now_ms);
            self.active = Some(prompt_id.to_owned());
            return true;
        }
        if run.status == RunStatus::Running {
            self.active = Some(prompt_id.to_owned());
        }
        false
    }

    fn finish(
        &mut self,
        prompt_id: &str,
        status: RunStatus,
        server_ms: Option<i64>,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        let (run, _) = self.touch(prompt_id, RunSource::Stream, now_ms);
        if run.status.is_terminal() && run.status != RunStatus::Unknown {
            return;
        }
        run.status = status;
        run.ended_at_ms = Some(now_ms);
        if server_ms.is_some() {
            run.server_ended_ms = server_ms;
        }
        let node_status = match status {
            RunStatus::Succeeded => NodeStatus::Finished,
            RunStatus::Interrupted => NodeStatus::Interrupted,
            _ => NodeStatus::Failed,
        };
        for node in run.nodes.iter_mut() {
            if node.status == NodeStatus::Running {
                node.status = node_status;
                node.finished_ms.get_or_insert(now_ms);
            }
        }
        run.current_node = None;
        let kind = match status {
            RunStatus::Succeeded => LifecycleKind::Succeeded,
            RunStatus::Interrupted => LifecycleKind::Interrupted,
            RunStatus::Failed => LifecycleKind::Failed {
                message: run.error.as_ref().and_then(|e| e.exception_message.clone()),
            },
            _ => LifecycleKind::Lost,
        };
        let lost = kind == LifecycleKind::Lost;
        if !lost && run.source == RunSource::Stream && run.node_total.is_none() {
            self.unnamed_ended.push(prompt_id.to_owned());
        }
        Self::lifecycle(out, prompt_id, kind, now_ms);
        out.push(Change::Field(Field::Run(prompt_id.to_owned())));
        if lost {
            self.follow_history(prompt_id, now_ms);
        }
        if self.active.as_deref() == Some(prompt_id) {
            self.active = None;
        }
        self.evict();
    }

    /// We did not see how a run ended: ask `/api/history` under the follow policy.
    fn follow_history(&mut self, prompt_id: &str, now_ms: f64) {
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

    fn evict(&mut self) {
        if self.runs.len() <= MAX_RUNS {
            return;
        }
        let mut finished: Vec<(f64, String)> = self
            .runs
            .values()
            .filter(|r| r.status.is_terminal())
            .map(|r| (r.last_update_ms, r.prompt_id.clone()))
            .collect();
        finished.sort_by(|a, b| a.0.total_cmp(&b.0));
        let excess = self.runs.len() - MAX_RUNS;
        for (_, id) in finished.into_iter().take(excess) {
            self.runs.remove(&id);
        }
    }

    /// Applies one decoded socket message.
    pub fn apply(&mut self, msg: &ServerMessage, now_ms: f64, out: &mut Vec<Change>) {
        self.counters.messages += 1;
        match msg {
            ServerMessage::Status(status) => {
                if let Some(sid) = &status.sid {
                    self.client_id = Some(sid.clone());
                }
                if let Some(remaining) = status.queue_remaining {
                    self.queue.remaining = Some(remaining);
                    self.queue.running = Some(remaining.min(1));
                    self.queue.pending = Some(remaining.saturating_sub(1));
                    self.queue.from_http = false;
                    out.push(Change::Field(Field::Queue));
                    // An empty queue with a run still open means its end was not sent to us
                    // (a prompt queued without a client id reports progress to everyone but
                    // its end to no one).
                    if remaining == 0 {
                        let open = self.active.clone().filter(|id| {
                            self.runs
                                .get(id)
                                .is_some_and(|r| r.status == RunStatus::Running)
                        });
                        if let Some(id) = open {
                            self.finish(&id, RunStatus::Unknown, None, now_ms, out);
                        }
                    }
                }
            }
            ServerMessage::FeatureFlags(flags) => {
                self.supports_preview_metadata = flags.supports_preview_metadata;
            }
            ServerMessage::ExecutionStart(m) => {
                // ComfyUI runs one prompt at a time: a start while another is still running
                // means we missed the other's end.
                if let Some(previous) = self.active.clone().filter(|p| *p != m.prompt_id) {
                    self.finish(&previous, RunStatus::Unknown, None, now_ms, out);
                }
                self.start(&m.prompt_id, now_ms, out);
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                if m.timestamp.is_some() {
                    run.server_started_ms = m.timestamp;
                }
                out.push(Change::Field(Field::Run(m.prompt_id.clone())));
            }
            ServerMessage::ExecutionCached(m) => {
                self.start(&m.prompt_id, now_ms, out);
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                for id in &m.nodes {
                    let node = run.node_mut(id);
                    node.status = NodeStatus::Cached;
                    node.finished_ms.get_or_insert(now_ms);
                }
                out.push(Change::Field(Field::Run(m.prompt_id.clone())));
            }
            ServerMessage::Executing(m) => self.executing(m, now_ms, out),
            ServerMessage::Progress(m) => {
                let Some(prompt) = m.prompt_id.clone().or_else(|| self.active.clone()) else {
                    return;
                };
                self.start(&prompt, now_ms, out);
                let (run, _) = self.touch(&prompt, RunSource::Stream, now_ms);
                let node_id = m.node.clone().or_else(|| run.current_node.clone());
                if let Some(node_id) = node_id {
                    let node = run.node_mut(&node_id);
                    node.value = m.value.or(node.value);
                    node.max = m.max.or(node.max);
                    if node.status == NodeStatus::Pending {
                        node.status = NodeStatus::Running;
                        node.started_ms.get_or_insert(now_ms);
                    }
                    if run.current_node.is_none() {
                        run.current_node = Some(node_id.clone());
                    }
                    self.last_node = Some((prompt.clone(), node_id));
                }
                out.push(Change::Field(Field::Run(prompt)));
            }
            ServerMessage::ProgressState(m) => {
                let started = self.start(&m.prompt_id, now_ms, out);
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                for p in &m.nodes {
                    let node = run.node_mut(&p.node_id);
                    node.value = p.value.or(node.value);
                    node.max = p.max.or(node.max);
                    match p.state {
                        NodeState::Running if node.status == NodeStatus::Pending => {
                            node.status = NodeStatus::Running;
                            node.started_ms.get_or_insert(now_ms);
                        }
                        NodeState::Finished if !node.status.is_done() => {
                            node.status = NodeStatus::Finished;
                            node.started_ms.get_or_insert(now_ms);
                            node.finished_ms.get_or_insert(now_ms);
                        }
                        NodeState::Error => node.status = NodeStatus::Failed,
                        _ => {}
                    }
                }
                // Without `executing` (a prompt queued with no client id), the running node
                // is the only clue to what is current.
                if run.current_node.is_none() || started {
                    if let Some(p) = m.nodes.iter().rev().find(|p| p.state == NodeState::Running) {
                        run.current_node = Some(p.node_id.clone());
                    }
                }
                out.push(Change::Field(Field::Run(m.prompt_id.clone())));
            }
            ServerMessage::Executed(m) => {
                self.start(&m.prompt_id, now_ms, out);
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                let node = run.node_mut(&m.node);
                if !node.status.is_done() {
                    node.status = NodeStatus::Finished;
                    node.finished_ms.get_or_insert(now_ms);
                }
                let added = add_outputs(run, &m.outputs);
                if added > 0 {
                    Self::lifecycle(
                        out,
                        &m.prompt_id,
                        LifecycleKind::Output { artifacts: added },
                        now_ms,
                    );
                }
                out.push(Change::Field(Field::Run(m.prompt_id.clone())));
            }
            ServerMessage::ExecutionSuccess(m) => {
                self.finish(&m.prompt_id, RunStatus::Succeeded, m.timestamp, now_ms, out);
            }
            ServerMessage::ExecutionError(m) => {
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                run.error = Some(m.clone());
                if let Some(id) = &m.node_id {
                    let node = run.node_mut(id);
                    node.status = NodeStatus::Failed;
                    if node.class_type.is_none() {
                        node.class_type = m.node_type.clone();
                    }
                }
                self.finish(&m.prompt_id, RunStatus::Failed, m.timestamp, now_ms, out);
            }
            ServerMessage::ExecutionInterrupted(m) => {
                let (run, _) = self.touch(&m.prompt_id, RunSource::Stream, now_ms);
                run.interrupted_node = m.node_id.clone();
                if let Some(id) = &m.node_id {
                    let node = run.node_mut(id);
                    node.status = NodeStatus::Interrupted;
                    if node.class_type.is_none() {
                        node.class_type = m.node_type.clone();
                    }
                }
                self.finish(
                    &m.prompt_id,
                    RunStatus::Interrupted,
                    m.timestamp,
                    now_ms,
                    out,
                );
            }
            ServerMessage::Preview(p) => {
                let (run_id, node_id) = match (&p.prompt_id, &p.node_id) {
                    (Some(r), n) => (Some(r.clone()), n.clone()),
                    (None, Some(n)) => (self.active.clone(), Some(n.clone())),
                    (None, None) => match &self.last_node {
                        Some((r, n)) => (Some(r.clone()), Some(n.clone())),
                        None => (self.active.clone(), None),
                    },
                };
                self.preview_seq += 1;
                self.preview = Some(LatestPreview {
                    run_id,
                    node_id,
                    preview: p.clone(),
                    at_ms: now_ms,
                    seq: self.preview_seq,
                });
                self.counters.binary += 1;
                out.push(Change::Field(Field::Preview));
            }
            ServerMessage::ProgressText(t) => {
                self.counters.binary += 1;
                let prompt = self
                    .last_node
                    .as_ref()
                    .filter(|(_, n)| *n == t.node_id)
                    .map(|(p, _)| p.clone())
                    .or_else(|| self.active.clone());
                if let Some(prompt) = prompt {
                    if let Some(run) = self.runs.get_mut(&prompt) {
                        run.progress_text = Some(t.text.clone());
                        run.last_update_ms = now_ms;
                        out.push(Change::Field(Field::Run(prompt)));
                    }
                }
            }
            ServerMessage::Logs(_) => {}
            ServerMessage::CrystoolsMonitor(sample) => {
                self.gpu.monitor = Some(sample.clone());
                self.gpu.monitor_at_ms = Some(now_ms);
                match GpuReading::from_monitor(sample, now_ms) {
                    Some(reading) => self.apply_gpu(reading, now_ms, out),
                    None => out.push(Change::Field(Field::Gpu)),
                }
            }
            ServerMessage::SeedTelemetry(t) => self.seed(t, now_ms, out),
            ServerMessage::TelemetryHello(h) => self.hello(h, now_ms, out),
            ServerMessage::TelemetryQueued(q) => {
                let item = queue_item_of(q);
                self.apply_queue_item(&item, false, now_ms, out);
                if let Some(run) = self.runs.get_mut(&q.prompt_id) {
                    run.server_queued_ms = run.server_queued_ms.or(q.queued_at);
                }
            }
            ServerMessage::TelemetryGpu(sample) => {
                self.apply_gpu(GpuReading::from_extension(sample, now_ms), now_ms, out);
            }
            ServerMessage::TelemetryDropped(d) => {
                self.counters.dropped += d.count.unwrap_or(0).max(0) as u64;
                out.push(Change::Field(Field::Counters));
            }
            ServerMessage::Unknown { kind } => {
                *self.counters.unknown.entry(kind.clone()).or_insert(0) += 1;
                out.push(Change::Field(Field::Counters));
            }
        }
    }

    fn executing(&mut self, m: &crate::protocol::Executing, now_ms: f64, out: &mut Vec<Change>) {
        let prompt = match (&m.prompt_id, &m.node) {
            (Some(p), _) => p.clone(),
            // A reconnect's bare `executing`: it names the node of whatever runs now.
            (None, Some(_)) => match self.active.clone() {
                Some(p) => p,
                None => return,
            },
            (None, None) => return,
        };
        let Some(node_id) = &m.node else {
            // `node: null` closes the prompt. After success/error/interrupt it changes nothing;
            // on servers that send no `execution_success` it is the only sign of success.
            let running = self
                .runs
                .get(&prompt)
                .is_some_and(|r| r.status == RunStatus::Running);
            if running {
                self.finish(&prompt, RunStatus::Succeeded, None, now_ms, out);
            } else if self.active.as_deref() == Some(prompt.as_str()) {
                self.active = None;
            }
            return;
        };
        self.start(&prompt, now_ms, out);
        let (run, _) = self.touch(&prompt, RunSource::Stream, now_ms);
        // Nodes execute one after another: a new `executing` ends the previous node.
        if let Some(previous) = run.current_node.clone().filter(|p| p != node_id) {
            let node = run.node_mut(&previous);
            if node.status == NodeStatus::Running {
                node.status = NodeStatus::Finished;
                node.finished_ms.get_or_insert(now_ms);
            }
        }
        let node = run.node_mut(node_id);
        if node.status == NodeStatus::Pending {
            node.status = NodeStatus::Running;
        }
        node.started_ms.get_or_insert(now_ms);
        run.current_node = Some(node_id.clone());
        self.last_node = Some((prompt.clone(), node_id.clone()));
        out.push(Change::Field(Field::Run(prompt)));
    }

    fn seed(&mut self, t: &SeedTelemetry, now_ms: f64, out: &mut Vec<Change>) {
        let status = t.status.as_deref().map(seed_status);
        let (run, created) = self.touch(&t.scene_id, RunSource::Seed, now_ms);
        if t.duration_s.is_some() {
            run.reported_duration_s = t.duration_s;
        }
        if t.attempts.is_some() {
            run.history_attempts = t.attempts;
        }
        if t.gpu_name.is_some() {
            run.gpu_name = t.gpu_name.clone();
        }
        if t.vram_delta.is_some() {
            run.reported_vram_delta = t.vram_delta;
        }
        let previous = run.status;
        if created {
            run.status = RunStatus::Queued;
            run.queued_at_ms = Some(now_ms);
        }
        out.push(Change::Field(Field::Run(t.scene_id.clone())));
        if t.gpu_vram_free.is_some() || t.gpu_utilization.is_some() {
            out.push(Change::Field(Field::Gpu));
        }
        match status {
            Some(RunStatus::Running) => {
                self.start(&t.scene_id, now_ms, out);
            }
            Some(s) if s.is_terminal() && previous != s => {
                self.finish(&t.scene_id, s, t.timestamp, now_ms, out)
            }
            Some(RunStatus::Queued) if created => {
                Self::lifecycle(out, &t.scene_id, LifecycleKind::Queued, now_ms)
            }
            _ => {}
        }
    }

    /// Applies a `/api/queue` answer: runs queued by any client, and which ones left the queue.
    /// Returns the prompt ids that left the queue without us seeing their end, so the shell can
    /// ask `/api/history` how they ended.
    pub fn apply_queue(
        &mut self,
        snapshot: &QueueSnapshot,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) -> Vec<String> {
        self.queue.running = Some(snapshot.running.len() as u32);
        self.queue.pending = Some(snapshot.pending.len() as u32);
        self.queue.remaining = Some((snapshot.running.len() + snapshot.pending.len()) as u32);
        self.queue.from_http = true;
        out.push(Change::Field(Field::Queue));
        let mut present = Vec::new();
        for (item, running) in snapshot
            .running
            .iter()
            .map(|i| (i, true))
            .chain(snapshot.pending.iter().map(|i| (i, false)))
        {
            present.push(item.prompt_id.clone());
            self.apply_queue_item(item, running, now_ms, out);
        }
        let mut left = Vec::new();
        let mut ids: Vec<&Run> = self
            .runs
            .values()
            .filter(|r| !r.status.is_terminal() && !present.contains(&r.prompt_id))
            .filter(|r| r.source != RunSource::Seed)
            .collect();
        ids.sort_by(|a, b| a.first_seen_ms.total_cmp(&b.first_seen_ms));
        for run in ids {
            // A streamed run that is still running has not left: the queue can lag the socket.
            if run.source == RunSource::Stream
                && self.active.as_deref() == Some(run.prompt_id.as_str())
            {
                continue;
            }
            left.push(run.prompt_id.clone());
        }
        for id in &left {
            if !self.follow_next.contains_key(id) {
                self.follow_history(id, now_ms);
            }
        }
        left
    }

    fn apply_queue_item(
        &mut self,
        item: &QueueItem,
        running: bool,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        let (full_stream, policy) = (self.extension.is_some(), self.policy);
        let (run, created) = self.touch(&item.prompt_id, RunSource::Polling, now_ms);
        run.number = item.number.or(run.number);
        if run.client_id.is_none() {
            run.client_id = item.client_id.clone();
        }
        if run.node_total.is_none() {
            run.set_class_types(&item.nodes);
        }
        let id = item.prompt_id.clone();
        if created {
            run.status = RunStatus::Queued;
            // Seen already running: when it was queued is unknown, not "now".
            if !running {
                run.queued_at_ms = Some(now_ms);
            }
            // Without the extension, another client's run sends us no events: follow it.
            if !full_stream {
                run.follow = Some(FollowRecord::new(policy, now_ms));
            }
            Self::lifecycle(out, &id, LifecycleKind::Queued, now_ms);
        }
        let queued = self
            .runs
            .get(&id)
            .is_some_and(|r| r.status == RunStatus::Queued);
        if running && queued {
            let run = self.runs.get_mut(&id);
            if let Some(run) = run {
                run.status = RunStatus::Running;
                run.started_at_ms.get_or_insert(now_ms);
            }
            Self::lifecycle(out, &id, LifecycleKind::Started, now_ms);
        }
        out.push(Change::Field(Field::Run(id)));
    }

    /// Applies a `/api/history` entry. For a run we streamed this only fills gaps (prompt,
    /// outputs, server timestamps); for one we never saw it rebuilds the run.
    pub fn apply_history(&mut self, entry: &HistoryEntry, now_ms: f64, out: &mut Vec<Change>) {
        let (run, created) = self.touch(&entry.prompt_id, RunSource::History, now_ms);
        let saw_end = !created
            && run.source == RunSource::Stream
            && run.status.is_terminal()
            && run.status != RunStatus::Unknown;
        if !saw_end {
            run.reconstructed = true;
        }
        if let Some(item) = &entry.prompt {
            run.number = item.number.or(run.number);
            if run.client_id.is_none() {
                run.client_id = item.client_id.clone();
            }
            if run.node_total.is_none() || run.workflow.is_none() {
                run.set_class_types(&item.nodes);
            }
        }
        let mut status = match entry.status_str.as_deref() {
            Some("success") => Some(RunStatus::Succeeded),
            Some("error") => Some(RunStatus::Failed),
            _ => None,
        };
        for msg in &entry.messages {
            match msg {
                ServerMessage::ExecutionStart(m) => {
                    run.server_started_ms = run.server_started_ms.or(m.timestamp);
                }
                ServerMessage::ExecutionCached(m) => {
                    for id in &m.nodes {
                        let node = run.node_mut(id);
                        if !node.status.is_done() {
                            node.status = NodeStatus::Cached;
                        }
                    }
                }
                ServerMessage::ExecutionSuccess(m) => {
                    run.server_ended_ms = run.server_ended_ms.or(m.timestamp);
                    status = Some(RunStatus::Succeeded);
                }
                ServerMessage::ExecutionError(m) => {
                    run.server_ended_ms = run.server_ended_ms.or(m.timestamp);
                    if run.error.is_none() {
                        run.error = Some(m.clone());
                    }
                    if let Some(id) = &m.node_id {
                        run.node_mut(id).status = NodeStatus::Failed;
                    }
                    for id in &m.executed {
                        let node = run.node_mut(id);
                        if node.status == NodeStatus::Pending || node.status == NodeStatus::Running
                        {
                            node.status = NodeStatus::Finished;
                        }
                    }
                    status = Some(RunStatus::Failed);
                }
                ServerMessage::ExecutionInterrupted(m) => {
                    run.server_ended_ms = run.server_ended_ms.or(m.timestamp);
                    run.interrupted_node = run.interrupted_node.clone().or(m.node_id.clone());
                    if let Some(id) = &m.node_id {
                        run.node_mut(id).status = NodeStatus::Interrupted;
                    }
                    for id in &m.executed {
                        let node = run.node_mut(id);
                        if node.status == NodeStatus::Pending || node.status == NodeStatus::Running
                        {
                            node.status = NodeStatus::Finished;
                        }
                    }
                    status = Some(RunStatus::Interrupted);
                }
                _ => {}
            }
        }
        if status == Some(RunStatus::Succeeded) {
            // A successful prompt ran every node it needed; those without `executed` or cache
            // notices just had no UI output.
            for node in run.nodes.iter_mut() {
                if !node.status.is_done() {
                    node.status = NodeStatus::Finished;
                }
            }
        }
        let added = add_outputs(run, &entry.outputs);
        let id = entry.prompt_id.clone();
        if added > 0 && !created {
            Self::lifecycle(out, &id, LifecycleKind::Output { artifacts: added }, now_ms);
        }
        out.push(Change::Field(Field::Run(id.clone())));
        let final_status = status.unwrap_or(RunStatus::Unknown);
        let server_end = self.runs.get(&id).and_then(|r| r.server_ended_ms);
        let already = self.runs.get(&id).map(|r| r.status);
        match already {
            Some(s) if s.is_terminal() && s != RunStatus::Unknown => {}
            _ => {
                if created {
                    if let Some(run) = self.runs.get_mut(&id) {
                        run.status = RunStatus::Running;
                    }
                }
                self.finish(&id, final_status, server_end, now_ms, out);
            }
        }
    }

    /// Applies a `/api/system_stats` answer.
    pub fn apply_system_stats(&mut self, stats: SystemStats, now_ms: f64, out: &mut Vec<Change>) {
        let reading = GpuReading::from_system_stats(&stats, now_ms);
        self.gpu.stats = Some(stats);
        self.gpu.stats_at_ms = Some(now_ms);
        self.gpu.stats_failed = false;
        match reading {
            Some(reading) => self.apply_gpu(reading, now_ms, out),
            None => out.push(Change::Field(Field::Gpu)),
        }
    }

    /// `/api/system_stats` failed: VRAM figures will be missing, and the view says so.
    pub fn system_stats_failed(&mut self, out: &mut Vec<Change>) {
        if !self.gpu.stats_failed {
            self.gpu.stats_failed = true;
            out.push(Change::Field(Field::Gpu));
            if let Some(id) = self.current_run().map(|r| r.prompt_id.clone()) {
                out.push(Change::Field(Field::Run(id)));
            }
        }
    }

    /// A VRAM reading from any source: the first one during a run is its "before", the first
    /// one after its end its "after", and the largest use seen in between its peak.
    pub fn apply_gpu(&mut self, reading: GpuReading, now_ms: f64, out: &mut Vec<Change>) {
        let reading = reading.merged_with(self.gpu.latest.as_ref());
        for run in self.runs.values_mut() {
            let during = run.status == RunStatus::Running;
            let just_after = run.status.is_terminal()
                && run.vram_free_after.is_none()
                && (run.vram_free_before.is_some() || run.gpu_name.is_none())
                && run
                    .ended_at_ms
                    .is_some_and(|end| now_ms >= end && now_ms - end < 60_000.0);
            if !(during || just_after) {
                continue;
            }
            if reading.name.is_some() && run.gpu_name.is_none() {
                run.gpu_name = reading.name.clone();
            }
            if !during && run.vram_free_before.is_none() {
                // Too short for a reading during it: the device is known, its VRAM use is not.
                run.cpu_only = reading.cpu_only;
                run.vram_total = reading.vram_total.or(run.vram_total);
                out.push(Change::Field(Field::Run(run.prompt_id.clone())));
                continue;
            }
            run.cpu_only = reading.cpu_only;
            run.vram_total = reading.vram_total.or(run.vram_total);
            if let Some(free) = reading.vram_free {
                if during {
                    run.vram_free_before.get_or_insert(free);
                } else {
                    run.vram_free_after = Some(free);
                }
            }
            if let Some(used) = reading.vram_used() {
                if during || run.vram_peak_used.is_none() {
                    run.vram_peak_used = Some(run.vram_peak_used.map_or(used, |p| p.max(used)));
                }
            }
            out.push(Change::Field(Field::Run(run.prompt_id.clone())));
        }
        self.gpu.latest = Some(reading);
        out.push(Change::Field(Field::Gpu));
    }

    fn hello(&mut self, h: &Hello, now_ms: f64, out: &mut Vec<Change>) {
        self.extension = Some(ExtensionInfo {
            protocol: h.protocol,
            version: h.extension_version.clone(),
            comfyui_version: h.comfyui_version.clone(),
        });
        let snapshot = QueueSnapshot {
            running: h.running.iter().map(queue_item_of).collect(),
            pending: h.pending.iter().map(queue_item_of).collect(),
        };
        let left = self.apply_queue(&snapshot, now_ms, out);
        for id in left {
            self.lost_track(&id, now_ms, out);
        }
        if let Some(prompt) = &h.executing_prompt {
            self.start(prompt, now_ms, out);
            if let Some(node) = &h.executing_node {
                if let Some(run) = self.runs.get_mut(prompt) {
                    run.current_node = Some(node.clone());
                    run.source = RunSource::Stream;
                }
            }
        }
        out.push(Change::Field(Field::Connection));
    }

    /// A run we believed open is gone from the queue and we did not see how it ended.
    fn lost_track(&mut self, prompt_id: &str, now_ms: f64, out: &mut Vec<Change>) {
        let open = self
            .runs
            .get(prompt_id)
            .is_some_and(|r| !r.status.is_terminal());
        if open {
            if let Some(run) = self.runs.get_mut(prompt_id) {
                if run.status == RunStatus::Queued {
                    run.status = RunStatus::Running;
                }
            }
            self.finish(prompt_id, RunStatus::Unknown, None, now_ms, out);
        }
    }

    /// Runs whose history poll is due now, in the order they became due. Each is returned
    /// once until its poll is reported with [`Tracker::apply_history_poll`].
    pub fn due_history_polls(&mut self, now_ms: f64) -> Vec<String> {
        let mut due: Vec<(f64, String)> = self
            .follow_next
            .iter()
            .filter(|(_, at)| **at <= now_ms)
            .map(|(id, at)| (*at, id.clone()))
            .collect();
        due.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, id) in &due {
            self.follow_next.insert(id.clone(), f64::INFINITY);
        }
        due.into_iter().map(|(_, id)| id).collect()
    }

    /// Whether any followed run still needs polling (queue or history).
    pub fn is_following(&self) -> bool {
        self.runs
            .values()
            .any(|r| r.follow.as_ref().is_some_and(|f| !f.is_done()))
    }

    /// Reports a history poll for a followed run: the entry (found), `Ok(None)` (not there
    /// yet) or `Err(())` (the request failed).
    pub fn apply_history_poll(
        &mut self,
        prompt_id: &str,
        result: Result<Option<&HistoryEntry>, ()>,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        let poll = match result {
            Ok(Some(entry)) => {
                self.apply_history(entry, now_ms, out);
                Poll::Found
            }
            Ok(None) => Poll::Missing,
            Err(()) => Poll::Failed,
        };
        let policy = self.policy;
        let Some(run) = self.runs.get_mut(prompt_id) else {
            self.follow_next.remove(prompt_id);
            return;
        };
        let record = run
            .follow
            .get_or_insert_with(|| FollowRecord::new(policy, now_ms));
        match record.on_poll(poll, now_ms) {
            Next::PollAt(at) => {
                self.follow_next.insert(prompt_id.to_owned(), at);
            }
            Next::Done(_) => {
                self.follow_next.remove(prompt_id);
            }
        }
        out.push(Change::Field(Field::Run(prompt_id.to_owned())));
    }

    /// Applies the follow policy's time limits to followed runs that have not been polled
    /// lately (still queued, or waiting between polls).
    pub fn check_follows(&mut self, now_ms: f64, out: &mut Vec<Change>) {
        let mut ended = Vec::new();
        for run in self.runs.values_mut() {
            let Some(record) = run.follow.as_mut() else {
                continue;
            };
            if record.is_done() {
                continue;
            }
            if record.check(now_ms).is_some() {
                ended.push(run.prompt_id.clone());
            }
            out.push(Change::Field(Field::Run(run.prompt_id.clone())));
        }
        for id in ended {
            self.follow_next.remove(&id);
            self.lost_track(&id, now_ms, out);
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

fn seed_status(s: &str) -> RunStatus {
    match s.to_ascii_lowercase().as_str() {
        "queued" | "pending" => RunStatus::Queued,
        "executing" | "running" | "started" => RunStatus::Running,
        "completed" | "complete" | "success" | "succeeded" | "done" => RunStatus::Succeeded,
        "failed" | "error" => RunStatus::Failed,
        "cancelled" | "canceled" | "interrupted" => RunStatus::Interrupted,
        _ => RunStatus::Unknown,
    }
}

fn queue_item_of(q: &QueuedPrompt) -> QueueItem {
    QueueItem {
        number: q.number,
        prompt_id: q.prompt_id.clone(),
        client_id: q.client_id.clone(),
        nodes: q.nodes.clone(),
        outputs_to_execute: Vec::new(),
    }
}
