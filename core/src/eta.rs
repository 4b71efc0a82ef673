//! Time left for a running run. Two honest sources, never a guess: the current node's step
//! rate (how long its remaining steps take at the pace seen so far), and the median duration
//! of past runs of the same workflow.

use crate::run::{Run, RunStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EtaBasis {
    /// Remaining steps of the current node at its measured rate; other nodes not included.
    StepRate,
    /// Median of past runs of the same workflow, minus the time elapsed.
    WorkflowMedian,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eta {
    pub remaining_ms: f64,
    pub basis: EtaBasis,
}

pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    crate::sort::sort_floats(values);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Durations (ms) of past succeeded runs with the same workflow as `run`.
pub fn past_durations<'a>(run: &Run, past: impl IntoIterator<Item = &'a Run>) -> Vec<f64> {
    let Some(workflow) = run.workflow.as_deref() else {
        return Vec::new();
    };
    past.into_iter()
        .filter(|p| p.prompt_id != run.prompt_id && p.status == RunStatus::Succeeded)
        .filter(|p| p.workflow.as_deref() == Some(workflow))
        .filter_map(|p| p.duration_ms(p.ended_at_ms.unwrap_or(0.0)))
        .collect()
}

/// The workflow median when there is history (it covers all nodes), else the step rate.
pub fn eta(run: &Run, now_ms: f64, past: &mut [f64]) -> Option<Eta> {
    if run.status != RunStatus::Running {
        return None;
    }
    if let (Some(m), Some(elapsed)) = (median(past), run.duration_ms(now_ms)) {
        return Some(Eta {
            remaining_ms: (m - elapsed).max(0.0),
            basis: EtaBasis::WorkflowMedian,
        });
    }
    let node = run.node(run.current_node.as_deref()?)?;
    let (value, max, started) = (node.value?, node.max?, node.started_ms?);
    let spent = now_ms - started;
    if value <= 0.0 || max <= 0.0 || spent <= 0.0 || value > max {
        return None;
    }
    Some(Eta {
        remaining_ms: (max - value) * spent / value,
        basis: EtaBasis::StepRate,
    })
}
