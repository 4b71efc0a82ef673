//! What the printable report holds, section by section; built by `report.rs` from the facts
//! (its sections in `report_sections.rs`) and serialized as the report's JSON.

use super::error_class::ErrorClass;
use super::finding::EvidenceRun;
use super::scope::InsightScope;
use super::Finding;
use crate::history::series::MemoryKind;
use crate::run::RunStatus;
use serde::Deserialize;
#[cfg(feature = "serde-reference")]
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct ReportOptions {
    /// Runs listed at most (newest first); the rest are counted in `runs_omitted`.
    pub max_runs: usize,
    /// Days of trend per workflow at most (the latest).
    pub max_trend_days: usize,
    /// Node types listed at most.
    pub max_nodes: usize,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            max_runs: 500,
            max_trend_days: 90,
            max_nodes: 10,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct Period {
    /// The filter's bounds (epoch ms), when it had them.
    pub from_ms: Option<f64>,
    pub to_ms: Option<f64>,
    /// First and last run start covered.
    pub first_run_ms: Option<f64>,
    pub last_run_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct Totals {
    pub runs: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub interrupted: usize,
    pub cancelled: usize,
    /// `unknown`, or left running/queued for hours.
    pub lost: usize,
    pub running: usize,
    pub queued: usize,
    /// Summed wall time of ended runs, ms.
    pub wall_time_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct DayPoint {
    /// UTC midnight, epoch ms.
    pub day_ms: f64,
    pub runs: usize,
    pub p50_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct WorkflowSummary {
    pub workflow: String,
    pub runs: usize,
    pub succeeded: usize,
    pub success_rate: Option<f64>,
    /// Over succeeded runs.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub trend: Vec<DayPoint>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct NodeSummary {
    pub node_type: String,
    pub executions: usize,
    pub cached: usize,
    pub total_ms: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct FailureSummary {
    pub class: ErrorClass,
    pub label: String,
    pub count: usize,
    /// Of all failures in the report.
    pub share: f64,
    /// The workflows it hit most, at most three.
    pub workflows: Vec<String>,
    pub example: String,
    /// The latest, at most five.
    pub runs: Vec<EvidenceRun>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct QueueWaitSummary {
    pub server: String,
    pub runs: usize,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub max_ms: f64,
    pub total_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct MemorySummary {
    pub server: String,
    pub device: String,
    pub kind: MemoryKind,
    pub runs: usize,
    pub total_bytes: f64,
    pub peak_p50_bytes: Option<f64>,
    pub peak_p95_bytes: Option<f64>,
    pub peak_max_bytes: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct ReportRun {
    pub prompt_id: String,
    pub server: String,
    pub workflow: String,
    pub status: RunStatus,
    pub start_ms: f64,
    pub duration_ms: Option<f64>,
    pub queue_wait_ms: Option<f64>,
    pub error_class: Option<ErrorClass>,
    pub peak_bytes: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct ReportData {
    pub generated_at_ms: f64,
    pub scope: InsightScope,
    pub period: Period,
    pub totals: Totals,
    /// Succeeded over succeeded + failed + interrupted, 0–1; `None` with none ended.
    pub success_rate: Option<f64>,
    pub workflows: Vec<WorkflowSummary>,
    pub slowest_nodes: Vec<NodeSummary>,
    pub failures: Vec<FailureSummary>,
    pub queue_wait: Vec<QueueWaitSummary>,
    pub memory: Vec<MemorySummary>,
    pub findings: Vec<Finding>,
    /// Newest first.
    pub runs: Vec<ReportRun>,
    pub runs_omitted: usize,
}
