//! A run: one ComfyUI prompt as the dashboard knows it, whichever way the facts arrived.

use crate::protocol::{Artifact, ExecutionError};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Interrupted,
    /// The run ended, or vanished, without anything saying how.
    Unknown,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        Some(match s {
            "queued" => RunStatus::Queued,
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "interrupted" => RunStatus::Interrupted,
            "unknown" => RunStatus::Unknown,
            _ => return None,
        })
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded | RunStatus::Failed | RunStatus::Interrupted | RunStatus::Unknown
        )
    }

    pub const ALL: [RunStatus; 6] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::Interrupted,
        RunStatus::Unknown,
    ];
}

/// Where a run's facts came from; shown as a warning when it is not the live stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunSource {
    /// Execution events arrived on our socket.
    Stream,
    /// Seen only in `/api/queue`: queued by another client, no events reach us.
    Polling,
    /// Rebuilt from `/api/history` after it ended.
    History,
    /// The React dashboard's flat telemetry updates.
    Seed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeStatus {
    Pending,
    Running,
    Finished,
    Cached,
    Failed,
    Interrupted,
}

impl NodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Pending => "pending",
            NodeStatus::Running => "running",
            NodeStatus::Finished => "finished",
            NodeStatus::Cached => "cached",
            NodeStatus::Failed => "failed",
            NodeStatus::Interrupted => "interrupted",
        }
    }

    pub fn is_done(self) -> bool {
        matches!(self, NodeStatus::Finished | NodeStatus::Cached)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRecord {
    pub id: String,
    pub class_type: Option<String>,
    pub status: NodeStatus,
    /// Local receive times (epoch ms): the server sends no per-node timestamps.
    pub started_ms: Option<f64>,
    pub finished_ms: Option<f64>,
    pub value: Option<f64>,
    pub max: Option<f64>,
}

impl NodeRecord {
    pub fn new(id: &str) -> NodeRecord {
        NodeRecord {
            id: id.to_owned(),
            class_type: None,
            status: NodeStatus::Pending,
            started_ms: None,
            finished_ms: None,
            value: None,
            max: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub server: String,
    pub prompt_id: String,
    pub number: Option<i64>,
    pub client_id: Option<String>,
    pub status: RunStatus,
    pub source: RunSource,
    /// Local epoch ms when we first learned of it.
    pub first_seen_ms: f64,
    pub queued_at_ms: Option<f64>,
    pub started_at_ms: Option<f64>,
    pub ended_at_ms: Option<f64>,
    /// The server's own `execution_*` timestamps; preferred for durations when both exist.
    pub server_started_ms: Option<i64>,
    pub server_ended_ms: Option<i64>,
    /// From the extension's `telemetry.queued`; with `server_started_ms` it gives an exact
    /// queue wait.
    #[serde(default)]
    pub server_queued_ms: Option<i64>,
    pub nodes: Vec<NodeRecord>,
    /// Known only when the prompt itself was seen (queue, history or the extension).
    pub node_total: Option<u32>,
    pub current_node: Option<String>,
    pub outputs: Vec<Artifact>,
    pub error: Option<ExecutionError>,
    pub interrupted_node: Option<String>,
    pub workflow: Option<String>,
    pub progress_text: Option<String>,
    pub last_update_ms: f64,
    /// Some of what we show (end, status, outputs) came from `/api/history`, not the stream.
    #[serde(default)]
    pub reconstructed: bool,
    /// The React producers' history poll count; `None` for ComfyUI runs.
    pub history_attempts: Option<u32>,
    pub gpu_name: Option<String>,
    /// Reported by a producer (bytes); our own delta comes from system stats.
    pub reported_vram_delta: Option<f64>,
    /// A producer-reported duration in seconds, used when no timestamps exist.
    pub reported_duration_s: Option<f64>,
    /// VRAM of the device in bytes, and free VRAM at the first reading during the run and the
    /// first after its end.
    #[serde(default)]
    pub vram_total: Option<f64>,
    #[serde(default)]
    pub vram_free_before: Option<f64>,
    #[serde(default)]
    pub vram_free_after: Option<f64>,
    #[serde(default)]
    pub vram_peak_used: Option<f64>,
    /// The device was the CPU, so VRAM figures are system RAM.
    #[serde(default)]
    pub cpu_only: bool,
    /// The stream dropped while this run was active.
    #[serde(default)]
    pub stream_lost: bool,
    /// How the run was followed by polling, when it was.
    #[serde(default)]
    pub follow: Option<crate::follow::FollowRecord>,
    /// Fallback notes a producer attached (imported pipelines).
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Run {
    pub fn new(server: &str, prompt_id: &str, source: RunSource, now_ms: f64) -> Run {
        Run {
            server: server.to_owned(),
            prompt_id: prompt_id.to_owned(),
            number: None,
            client_id: None,
            status: RunStatus::Unknown,
            source,
            first_seen_ms: now_ms,
            queued_at_ms: None,
            started_at_ms: None,
            ended_at_ms: None,
            server_started_ms: None,
            server_ended_ms: None,
            server_queued_ms: None,
            nodes: Vec::new(),
            node_total: None,
            current_node: None,
            outputs: Vec::new(),
            error: None,
            interrupted_node: None,
            workflow: None,
            progress_text: None,
            last_update_ms: now_ms,
            reconstructed: false,
            history_attempts: None,
            gpu_name: None,
            reported_vram_delta: None,
            reported_duration_s: None,
            vram_total: None,
            vram_free_before: None,
            vram_free_after: None,
            vram_peak_used: None,
            cpu_only: false,
            stream_lost: false,
            follow: None,
            notes: Vec::new(),
        }
    }

    /// Free VRAM after minus before, in bytes: negative means the run left memory in use.
    pub fn vram_delta(&self) -> Option<f64> {
        match (self.vram_free_before, self.vram_free_after) {
            (Some(b), Some(a)) => Some(a - b),
            _ => self.reported_vram_delta,
        }
    }

    /// Wall time of the run in ms: server timestamps when both ends have one (they do not suffer
    /// from the socket's bursts), else our receive times, else what a producer reported. While
    /// running, measured up to `now_ms`.
    pub fn duration_ms(&self, now_ms: f64) -> Option<f64> {
        if let (Some(s), Some(e)) = (self.server_started_ms, self.server_ended_ms) {
            return Some((e - s).max(0) as f64);
        }
        if let Some(start) = self.started_at_ms {
            let end = match self.ended_at_ms {
                Some(end) => end,
                None if self.status == RunStatus::Running => now_ms,
                None => return self.reported_duration_s.map(|s| s * 1000.0),
            };
            return Some((end - start).max(0.0));
        }
        self.reported_duration_s.map(|s| s * 1000.0)
    }

    /// Time between being queued and starting, when we saw both.
    pub fn queue_wait_ms(&self) -> Option<f64> {
        if let (Some(q), Some(s)) = (self.server_queued_ms, self.server_started_ms) {
            return (s >= q).then(|| (s - q) as f64);
        }
        match (self.queued_at_ms, self.started_at_ms) {
            (Some(q), Some(s)) if s >= q => Some(s - q),
            _ => None,
        }
    }

    pub fn node(&self, id: &str) -> Option<&NodeRecord> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub fn node_mut(&mut self, id: &str) -> &mut NodeRecord {
        let at = match self.nodes.binary_search_by(|n| node_order(&n.id, id)) {
            Ok(at) => at,
            Err(at) => {
                self.nodes.insert(at, NodeRecord::new(id));
                at
            }
        };
        &mut self.nodes[at]
    }

    /// Merges what an earlier record of this run knew (one stored before a reload) into this
    /// one, which was rebuilt since: earlier start times win, missing nodes, outputs and prompt
    /// details are added, and nothing this record measured is overwritten.
    pub fn absorb_earlier(&mut self, earlier: &Run) {
        let min = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        self.first_seen_ms = self.first_seen_ms.min(earlier.first_seen_ms);
        self.queued_at_ms = min(earlier.queued_at_ms, self.queued_at_ms);
        self.started_at_ms = min(earlier.started_at_ms, self.started_at_ms);
        self.server_queued_ms = self.server_queued_ms.or(earlier.server_queued_ms);
        self.server_started_ms = self.server_started_ms.or(earlier.server_started_ms);
        self.number = self.number.or(earlier.number);
        self.client_id = self.client_id.clone().or_else(|| earlier.client_id.clone());
        self.node_total = self.node_total.or(earlier.node_total);
        self.workflow = self.workflow.clone().or_else(|| earlier.workflow.clone());
        self.gpu_name = self.gpu_name.clone().or_else(|| earlier.gpu_name.clone());
        self.vram_total = self.vram_total.or(earlier.vram_total);
        self.vram_free_before = earlier.vram_free_before.or(self.vram_free_before);
        self.vram_peak_used = match (self.vram_peak_used, earlier.vram_peak_used) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.stream_lost |= earlier.stream_lost;
        if earlier.source == RunSource::Stream && self.source == RunSource::Polling {
            self.source = RunSource::Stream;
            if self
                .follow
                .as_ref()
                .is_some_and(|f| f.attempts == 0 && f.exit.is_none())
            {
                self.follow = None;
            }
        }
        for node in &earlier.nodes {
            let mine = self.node_mut(&node.id);
            if mine.class_type.is_none() {
                mine.class_type = node.class_type.clone();
            }
            if mine.status == NodeStatus::Pending {
                mine.status = node.status;
                mine.value = mine.value.or(node.value);
                mine.max = mine.max.or(node.max);
            }
            mine.started_ms = min(node.started_ms, mine.started_ms);
            mine.finished_ms = mine.finished_ms.or(node.finished_ms);
        }
        for output in &earlier.outputs {
            if !self.outputs.contains(output) {
                self.outputs.push(output.clone());
            }
        }
    }

    pub fn nodes_done(&self) -> u32 {
        self.nodes.iter().filter(|n| n.status.is_done()).count() as u32
    }

    pub fn nodes_cached(&self) -> u32 {
        self.nodes
            .iter()
            .filter(|n| n.status == NodeStatus::Cached)
            .count() as u32
    }

    /// The current node's step progress, `(value, max)`.
    pub fn step(&self) -> Option<(f64, f64)> {
        let node = self.node(self.current_node.as_deref()?)?;
        Some((node.value?, node.max?))
    }

    /// Overall progress in 0..=1, only when the node count is known; a succeeded run is complete
    /// even when cached nodes were never listed.
    pub fn progress(&self) -> Option<f64> {
        if self.status == RunStatus::Succeeded {
            return Some(1.0);
        }
        let total = self.node_total.filter(|t| *t > 0)? as f64;
        let mut done = self.nodes_done() as f64;
        if let Some((value, max)) = self.step() {
            if max > 0.0
                && self
                    .current_node
                    .as_deref()
                    .and_then(|n| self.node(n))
                    .is_some_and(|n| !n.status.is_done())
            {
                done += (value / max).clamp(0.0, 1.0);
            }
        }
        Some((done / total).clamp(0.0, 1.0))
    }

    pub fn set_class_types<'a>(&mut self, nodes: impl IntoIterator<Item = &'a (String, String)>) {
        let mut count = 0;
        let mut types = Vec::new();
        for (id, class) in nodes {
            self.node_mut(id).class_type = Some(class.clone());
            types.push(class.clone());
            count += 1;
        }
        if count > 0 {
            self.node_total = Some(count);
            self.workflow = workflow_name(types.iter().map(String::as_str));
        }
    }
}

/// Node ids are usually small integers as strings ("2" < "10"), sometimes `"12:3"` for
/// subgraphs, sometimes arbitrary: order numerically where possible, then as text.
pub fn node_order(a: &str, b: &str) -> Ordering {
    let key = |s: &str| -> Vec<Result<u64, String>> {
        s.split(':')
            .map(|p| p.parse::<u64>().map_err(|_| p.to_owned()))
            .collect()
    };
    let (ka, kb) = (key(a), key(b));
    for (x, y) in ka.iter().zip(kb.iter()) {
        let ord = match (x, y) {
            (Ok(x), Ok(y)) => x.cmp(y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(x), Err(y)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ka.len().cmp(&kb.len()).then_with(|| a.cmp(b))
}

/// Runs of the same graph share a workflow name: its distinct node types in first-use order.
pub fn workflow_name<'a>(types: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut seen: Vec<&str> = Vec::new();
    for t in types {
        if !seen.contains(&t) {
            seen.push(t);
        }
    }
    (!seen.is_empty()).then(|| seen.join(" → "))
}
