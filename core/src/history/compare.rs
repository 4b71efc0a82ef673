//! Side-by-side comparison of two to four runs, and the node timeline (waterfall) of one.

use crate::badges::badges;
use crate::run::{node_order, NodeStatus, Run};
use crate::sort::sort_by;

#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    pub field: &'static str,
    pub label: &'static str,
    pub values: Vec<String>,
    /// Not every run has the same value.
    pub differs: bool,
}

/// Every telemetry field of each run, one row per field.
pub fn compare(runs: &[&Run]) -> Vec<CompareRow> {
    let per_run: Vec<Vec<crate::badges::Badge>> = runs
        .iter()
        .map(|r| badges(r, r.ended_at_ms.unwrap_or(r.last_update_ms), None))
        .collect();
    let mut rows = Vec::new();
    let mut push = |field, label, values: Vec<String>| {
        let differs = values.windows(2).any(|w| w[0] != w[1]);
        rows.push(CompareRow {
            field,
            label,
            values,
            differs,
        });
    };
    push(
        "workflow",
        "Workflow",
        runs.iter()
            .map(|r| r.workflow.clone().unwrap_or_else(|| "unknown".into()))
            .collect(),
    );
    push(
        "server",
        "Server",
        runs.iter().map(|r| r.server.clone()).collect(),
    );
    if let Some(first) = per_run.first() {
        for (i, b) in first.iter().enumerate() {
            if b.field == "eta_s" || b.field == "step" {
                continue;
            }
            push(
                b.field,
                b.label,
                per_run
                    .iter()
                    .map(|bs| bs.get(i).map(|x| x.display.clone()).unwrap_or_default())
                    .collect(),
            );
        }
    }
    push(
        "outputs",
        "Outputs",
        runs.iter().map(|r| r.outputs.len().to_string()).collect(),
    );
    push(
        "error",
        "Error",
        runs.iter()
            .map(|r| {
                r.error
                    .as_ref()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            e.exception_type.as_deref().unwrap_or("Error"),
                            e.exception_message.as_deref().unwrap_or("").trim()
                        )
                    })
                    .unwrap_or_else(|| "none".into())
            })
            .collect(),
    );
    rows
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub node_id: String,
    pub class_type: Option<String>,
    /// Offset from the run's first node start, ms; `None` when the node has no timing.
    pub start_ms: Option<f64>,
    pub duration_ms: Option<f64>,
    pub cached: bool,
    pub status: NodeStatus,
    /// Times the node ran (loop iterations, expanded copies); 1 when it ran once.
    pub iterations: u32,
    /// What the node last said it was doing, on servers that send `activity`.
    pub activity: Option<String>,
}

/// The run's nodes as waterfall bars. Times are our receive times (ComfyUI sends no per-node
/// timestamps), so bars are accurate to the socket's delivery, not to the server's clock.
pub fn timeline(run: &Run) -> Vec<Bar> {
    let origin = run
        .nodes
        .iter()
        .filter_map(|n| n.started_ms.or(n.finished_ms))
        .fold(f64::INFINITY, f64::min);
    let mut bars: Vec<Bar> = run
        .nodes
        .iter()
        .map(|n| {
            let start = n
                .started_ms
                .or(n.finished_ms)
                .filter(|_| origin.is_finite())
                .map(|s| s - origin);
            let duration = match (n.started_ms, n.finished_ms) {
                (Some(s), Some(f)) if f >= s => Some(f - s),
                _ => None,
            };
            Bar {
                node_id: n.id.clone(),
                class_type: n.class_type.clone(),
                start_ms: start,
                duration_ms: duration,
                cached: n.status == NodeStatus::Cached,
                status: n.status,
                iterations: crate::run::iterations(n),
                activity: n.activity.clone(),
            }
        })
        .collect();
    sort_by(&mut bars, |a, b| match (a.start_ms, b.start_ms) {
        (Some(x), Some(y)) => x
            .total_cmp(&y)
            .then_with(|| node_order(&a.node_id, &b.node_id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => node_order(&a.node_id, &b.node_id),
    });
    bars
}

/// Node ids across several runs, in a shared order, so their timelines line up row by row.
pub fn aligned_nodes(runs: &[&Run]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for r in runs {
        for n in &r.nodes {
            if !ids.contains(&n.id) {
                ids.push(n.id.clone());
            }
        }
    }
    sort_by(&mut ids, |a, b| node_order(a, b));
    ids
}
