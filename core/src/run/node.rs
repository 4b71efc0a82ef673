//! One node of a run: its state as the server reported it, and how node ids are ordered.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

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

impl NodeStatus {
    /// How far a node has got: a merge or a late frame never moves a node to a lower rank.
    pub fn rank(self) -> u8 {
        match self {
            NodeStatus::Pending => 0,
            NodeStatus::Running => 1,
            NodeStatus::Finished | NodeStatus::Cached => 2,
            NodeStatus::Failed | NodeStatus::Interrupted => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRecord {
    pub id: String,
    pub class_type: Option<String>,
    pub status: NodeStatus,
    /// Local receive times (epoch ms): the server sends no per-node timestamps. Several nodes
    /// may run at once (async nodes), so these intervals can overlap.
    pub started_ms: Option<f64>,
    pub finished_ms: Option<f64>,
    pub value: Option<f64>,
    pub max: Option<f64>,
    /// The node is one of the prompt's own (seen in its queue item or history entry); only
    /// these count towards "nodes done".
    #[serde(default)]
    pub in_prompt: bool,
    /// Expanded or loop copies that ran under this node (ids like `5.0.0.1` or `7.0.0.2_12`
    /// whose display node is this one): for a loop body, one per iteration.
    #[serde(default)]
    pub copies: u32,
    /// What the node says it is doing (`activity` of newer servers' `progress_state`).
    #[serde(default)]
    pub activity: Option<String>,
    /// Seconds the server measured for this node, when it sends them.
    #[serde(default)]
    pub server_seconds: Option<f64>,
    /// An `ExecutionBlocker` stopped this node: not a failure, the prompt still succeeds.
    #[serde(default)]
    pub blocked: Option<String>,
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
            in_prompt: false,
            copies: 0,
            activity: None,
            server_seconds: None,
            blocked: None,
        }
    }

    /// Moves the node forward to `status`, never back; true when it changed.
    pub fn advance(&mut self, status: NodeStatus, now_ms: f64) -> bool {
        if status.rank() <= self.status.rank() {
            return false;
        }
        self.status = status;
        if status == NodeStatus::Running {
            self.started_ms.get_or_insert(now_ms);
        } else if status != NodeStatus::Pending {
            self.finished_ms.get_or_insert(now_ms);
        }
        true
    }

    /// Folds what another record of the same node knew into this one, keeping the furthest
    /// state, the earliest start and every measured value.
    pub fn merge(&mut self, other: &NodeRecord) {
        if other.status.rank() > self.status.rank() {
            self.status = other.status;
        }
        self.class_type = self.class_type.take().or_else(|| other.class_type.clone());
        // Start and finish are one observation: a replay received both at once (a near-zero
        // bar), the live stream saw them apart. The earlier-started observation is the real
        // one, so its pair is kept whole; mixing its start with a replay's finish would stretch
        // the bar over the time between the run and the reload.
        let other_earlier = match (self.started_ms, other.started_ms) {
            (Some(a), Some(b)) => b < a,
            (None, Some(_)) => true,
            _ => false,
        };
        if other_earlier {
            self.started_ms = other.started_ms;
            self.finished_ms = other.finished_ms.or(self.finished_ms);
        } else {
            self.finished_ms = self.finished_ms.or(other.finished_ms);
        }
        self.value = self.value.or(other.value);
        self.max = self.max.or(other.max);
        self.in_prompt |= other.in_prompt;
        self.copies = self.copies.max(other.copies);
        self.activity = self.activity.take().or_else(|| other.activity.clone());
        self.server_seconds = self.server_seconds.or(other.server_seconds);
        self.blocked = self.blocked.take().or_else(|| other.blocked.clone());
    }
}

/// What the server says about where an executing id belongs: `display_node`,
/// `real_node_id` and `parent_node_id` of `progress_state`, `executing` and previews.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeOrigin<'a> {
    pub display: Option<&'a str>,
    pub real: Option<&'a str>,
    pub parent: Option<&'a str>,
}

/// The node of the prompt an executing id is shown as. Expanded nodes (`5.0.0.1`) and loop
/// copies (`7.0.0.2_12`) are attributed to their display node, else their real or parent node,
/// whichever the prompt has; without any of these, an expanded id belongs to the node before
/// its first dot (ComfyUI prefixes expansions with the expanding node's id).
pub fn attribute(
    id: &str,
    origin: NodeOrigin<'_>,
    prompt: Option<&dyn Fn(&str) -> bool>,
) -> String {
    let candidates = [origin.display, origin.real, origin.parent];
    let Some(in_prompt) = prompt else {
        // The prompt is not known yet: trust the server's display node, then the id's prefix.
        if let Some(c) = candidates.iter().flatten().find(|c| **c != id) {
            return (*c).to_owned();
        }
        return expansion_root(id).unwrap_or(id).to_owned();
    };
    if in_prompt(id) {
        return id.to_owned();
    }
    if let Some(c) = candidates.iter().flatten().find(|c| in_prompt(c)) {
        return (*c).to_owned();
    }
    match expansion_root(id) {
        Some(root) if in_prompt(root) => root.to_owned(),
        _ => id.to_owned(),
    }
}

/// `5` for `5.0.0.1` and `7.0.0.2_12`; `None` for an id that is not an expansion.
pub fn expansion_root(id: &str) -> Option<&str> {
    let (root, rest) = id.split_once('.')?;
    (!root.is_empty() && !rest.is_empty()).then_some(root)
}

/// Node ids are usually small integers as strings ("2" < "10"), sometimes `"12:3"` for
/// subgraphs, sometimes arbitrary: order numerically where possible, then as text.
///
/// Allocation-free: every `progress_state` frame sorts its nodes with it.
pub fn node_order(a: &str, b: &str) -> Ordering {
    let part = |p: &str| p.parse::<u64>().map_err(|_| ());
    let (mut pa, mut pb) = (a.split(':'), b.split(':'));
    while let (Some(x), Some(y)) = (pa.next(), pb.next()) {
        let ord = match (part(x), part(y)) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    let parts = |s: &str| s.split(':').count();
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod order_tests {
    use super::*;

    /// The allocating version `node_order` replaced.
    fn node_order_allocating(a: &str, b: &str) -> Ordering {
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

    proptest::proptest! {
        #[test]
        fn node_order_is_the_order_it_replaced(a in "[0-9a:]{0,6}", b in "[0-9a:]{0,6}") {
            proptest::prop_assert_eq!(node_order(&a, &b), node_order_allocating(&a, &b));
        }
    }
}
