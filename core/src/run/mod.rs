//! A run: one ComfyUI prompt as the dashboard knows it, whichever way the facts arrived.

use crate::protocol::{Artifact, ExecutionError};
use serde::{Deserialize, Serialize};

mod current_node;
mod merge;
mod node;

pub use current_node::{current_node, iterations, page_title, CurrentNode};
pub use node::{attribute, expansion_root, node_order, NodeOrigin, NodeRecord, NodeStatus};

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
    /// Cancelled, as newer servers' `/api/jobs` say: not failed and not lost.
    Cancelled,
    /// Went away with its server: it was open when the connection dropped, and the server the
    /// page reconnected to knows it neither in its queue nor in its history (restarted, or its
    /// history cleared). Not a guess: settled by asking.
    Lost,
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
            RunStatus::Cancelled => "cancelled",
            RunStatus::Lost => "lost",
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
            "cancelled" => RunStatus::Cancelled,
            "lost" => RunStatus::Lost,
            _ => return None,
        })
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded
                | RunStatus::Failed
                | RunStatus::Interrupted
                | RunStatus::Unknown
                | RunStatus::Cancelled
                | RunStatus::Lost
        )
    }

    /// How settled a status is. A merge or a late frame never lowers it; `Unknown` and `Lost`
    /// are terminal but give way to what the server's history says.
    pub fn rank(self) -> u8 {
        match self {
            RunStatus::Queued => 0,
            RunStatus::Running => 1,
            RunStatus::Unknown | RunStatus::Lost => 2,
            RunStatus::Succeeded
            | RunStatus::Failed
            | RunStatus::Interrupted
            | RunStatus::Cancelled => 3,
        }
    }

    /// Ended in a way the server said (not merely lost).
    pub fn is_settled(self) -> bool {
        self.rank() == 3
    }

    pub const ALL: [RunStatus; 8] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::Interrupted,
        RunStatus::Unknown,
        RunStatus::Cancelled,
        RunStatus::Lost,
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
    /// `progress_state` reported this run's nodes: from then on it is the truth for each node,
    /// and `executing` only names the node to show.
    #[serde(default)]
    pub server_node_states: bool,
    /// Why the run ended `unknown` or `lost`, when it did (e.g. the server no longer knows it).
    #[serde(default)]
    pub lost_reason: Option<String>,
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
            server_node_states: false,
            lost_reason: None,
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
            return Some(e.saturating_sub(s).max(0) as f64); // hostile input must not overflow
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
            return (s >= q).then(|| s.saturating_sub(q) as f64);
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

    /// The prompt's own nodes when it is known, else every node seen.
    fn counted(&self) -> impl Iterator<Item = &NodeRecord> {
        let known = self.nodes.iter().any(|n| n.in_prompt);
        self.nodes.iter().filter(move |n| n.in_prompt || !known)
    }

    /// Nodes of the prompt that are done; never more than the prompt has.
    pub fn nodes_done(&self) -> u32 {
        let done = self.counted().filter(|n| n.status.is_done()).count() as u32;
        self.node_total.map_or(done, |t| done.min(t))
    }

    /// Nodes running now: several at once when the prompt has async nodes.
    pub fn nodes_running(&self) -> Vec<&NodeRecord> {
        self.nodes
            .iter()
            .filter(|n| n.status == NodeStatus::Running)
            .collect()
    }

    /// The prompt's node an executing id is shown as (see [`attribute`]).
    pub fn attribute(&self, id: &str, origin: NodeOrigin<'_>) -> String {
        let in_prompt = |c: &str| self.node(c).is_some_and(|n| n.in_prompt);
        let known = self.nodes.iter().any(|n| n.in_prompt);
        attribute(
            id,
            origin,
            known.then_some(&in_prompt as &dyn Fn(&str) -> bool),
        )
    }

    pub fn nodes_cached(&self) -> u32 {
        self.nodes
            .iter()
            .filter(|n| n.status == NodeStatus::Cached)
            .count() as u32
    }

    /// Overall progress in 0..=1, only when the node count is known; a succeeded run is complete
    /// even when cached nodes were never listed.
    pub fn progress(&self) -> Option<f64> {
        if self.status == RunStatus::Succeeded {
            return Some(1.0);
        }
        let total = self.node_total.filter(|t| *t > 0)? as f64;
        // `nodes_done` is capped by the total, so progress never passes 100 % early.
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
            let node = self.node_mut(id);
            node.class_type = Some(class.clone());
            node.in_prompt = true;
            types.push(class.clone());
            count += 1;
        }
        if count > 0 {
            self.node_total = Some(count);
            self.workflow = workflow_name(types.iter().map(String::as_str));
            self.fold_foreign_nodes();
        }
    }

    /// Nodes recorded before the prompt was known that are not the prompt's own (expanded ids)
    /// are folded into the prompt node they belong to.
    fn fold_foreign_nodes(&mut self) {
        let foreign: Vec<NodeRecord> = self
            .nodes
            .iter()
            .filter(|n| !n.in_prompt)
            .cloned()
            .collect();
        for node in foreign {
            let home = self.attribute(&node.id, NodeOrigin::default());
            if home == node.id {
                continue;
            }
            self.nodes.retain(|n| n.id != node.id);
            let target = self.node_mut(&home);
            let copies = target.copies + 1;
            let mut folded = node.clone();
            folded.id = home.clone();
            folded.in_prompt = true;
            folded.class_type = None;
            target.merge(&folded);
            target.copies = copies;
        }
    }
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
