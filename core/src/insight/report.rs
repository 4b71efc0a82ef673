//! The data of the printable report (`/report`), in one pure function: period and scope, totals
//! and success rate, per-workflow p50/p95 with a daily trend, the slowest node types, failures
//! by class, queue wait per server, memory per device, the findings and the list of runs. The
//! page draws it; the same value serialized is the report's JSON.

use super::aggregates::InsightScope;
use super::error_class::ErrorClass;
use super::facts::{Names, NoExtras, RunFact};
use super::finding::EvidenceRun;
use super::runs_lost::is_lost;
use super::stats::{percentile, sorted_median};
use super::{evaluate, Finding};
use crate::history::series::MemoryKind;
use crate::history::{HistoryQuery, StoredRun};
use crate::run::RunStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Period {
    /// The filter's bounds (epoch ms), when it had them.
    pub from_ms: Option<f64>,
    pub to_ms: Option<f64>,
    /// First and last run start covered.
    pub first_run_ms: Option<f64>,
    pub last_run_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayPoint {
    /// UTC midnight, epoch ms.
    pub day_ms: f64,
    pub runs: usize,
    pub p50_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSummary {
    pub node_type: String,
    pub executions: usize,
    pub cached: usize,
    pub total_ms: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueWaitSummary {
    pub server: String,
    pub runs: usize,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub max_ms: f64,
    pub total_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// The report over the stored runs that match `query` (the history filter, free text too).
pub fn report(
    runs: &[StoredRun],
    query: &HistoryQuery,
    now_ms: f64,
    options: &ReportOptions,
) -> ReportData {
    let mut names = Names::default();
    let facts: Vec<RunFact> = runs
        .iter()
        .filter(|r| query.matches(r))
        .map(|r| RunFact::of(r, &NoExtras, &mut names))
        .collect();
    let scope = InsightScope::from_query(query).unwrap_or_else(|| {
        let mut q = query.clone();
        q.text = None;
        InsightScope {
            query: query.to_query_string(),
            ..InsightScope::from_query(&q).unwrap_or_default()
        }
    });
    ReportData::from_facts(facts.iter().collect(), &names, &scope, now_ms, options)
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

fn p(sorted: &[f64], q: f64) -> Option<f64> {
    crate::history::stats::percentile(sorted, q)
}

impl ReportData {
    pub(crate) fn from_facts(
        mut facts: Vec<&RunFact>,
        names: &Names,
        scope: &InsightScope,
        now_ms: f64,
        options: &ReportOptions,
    ) -> ReportData {
        super::sort_facts(&mut facts, names);
        let name = |s| names.get(s).to_owned();
        let mut totals = Totals {
            runs: facts.len(),
            ..Totals::default()
        };
        for f in &facts {
            match f.status {
                _ if is_lost(f, now_ms) => totals.lost += 1,
                RunStatus::Succeeded => totals.succeeded += 1,
                RunStatus::Failed => totals.failed += 1,
                RunStatus::Interrupted => totals.interrupted += 1,
                RunStatus::Cancelled => totals.cancelled += 1,
                RunStatus::Running => totals.running += 1,
                RunStatus::Queued | RunStatus::Unknown => totals.queued += 1,
            }
            totals.wall_time_ms += f.duration_ms.unwrap_or(0.0);
        }
        let ended = totals.succeeded + totals.failed + totals.interrupted;
        let success_rate = (ended > 0).then(|| totals.succeeded as f64 / ended as f64);

        // Per workflow: counts, percentiles, daily medians.
        type Acc = (usize, usize, usize, Vec<f64>, BTreeMap<i64, Vec<f64>>);
        let mut wf: BTreeMap<&str, Acc> = BTreeMap::new();
        for f in &facts {
            let e = wf.entry(names.get(f.workflow)).or_default();
            e.0 += 1;
            if matches!(
                f.status,
                RunStatus::Succeeded | RunStatus::Failed | RunStatus::Interrupted
            ) {
                e.2 += 1;
            }
            if f.status == RunStatus::Succeeded {
                e.1 += 1;
            }
            if let Some(d) = f.timed_success() {
                e.3.push(d);
                e.4.entry((f.start_ms / 86_400_000.0).floor() as i64)
                    .or_default()
                    .push(d);
            }
        }
        let mut workflows: Vec<WorkflowSummary> = wf
            .into_iter()
            .map(|(w, (runs, ok, ended, d, days))| {
                let d = sorted(d);
                let skip = days.len().saturating_sub(options.max_trend_days);
                WorkflowSummary {
                    workflow: if w.is_empty() {
                        "unknown workflow".into()
                    } else {
                        w.to_owned()
                    },
                    runs,
                    succeeded: ok,
                    success_rate: (ended > 0).then(|| ok as f64 / ended as f64),
                    p50_ms: p(&d, 50.0),
                    p95_ms: p(&d, 95.0),
                    trend: days
                        .into_iter()
                        .skip(skip)
                        .map(|(day, v)| DayPoint {
                            day_ms: day as f64 * 86_400_000.0,
                            runs: v.len(),
                            p50_ms: sorted_median(&sorted(v)).unwrap_or(0.0),
                        })
                        .collect(),
                }
            })
            .collect();
        workflows.sort_by(|a, b| b.runs.cmp(&a.runs).then(a.workflow.cmp(&b.workflow)));

        // Node types by total time.
        let mut nodes: BTreeMap<&str, (usize, Vec<f64>)> = BTreeMap::new();
        for f in &facts {
            for n in &f.nodes {
                let class = names.get(n.class);
                if class.is_empty() {
                    continue;
                }
                let e = nodes.entry(class).or_default();
                if n.cached {
                    e.0 += 1;
                } else if let Some(ms) = n.ms {
                    e.1.push(ms as f64);
                }
            }
        }
        let mut slowest_nodes: Vec<NodeSummary> = nodes
            .into_iter()
            .filter(|(_, (_, t))| !t.is_empty())
            .map(|(c, (cached, t))| {
                let t = sorted(t);
                NodeSummary {
                    node_type: c.to_owned(),
                    executions: t.len(),
                    cached,
                    total_ms: t.iter().sum(),
                    p50_ms: p(&t, 50.0),
                    p95_ms: p(&t, 95.0),
                }
            })
            .collect();
        slowest_nodes.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));
        slowest_nodes.truncate(options.max_nodes);

        // Failures by class.
        let failed: Vec<&RunFact> = facts
            .iter()
            .copied()
            .filter(|f| f.error.is_some())
            .collect();
        let failures = ErrorClass::ALL
            .iter()
            .filter_map(|class| {
                let of: Vec<&RunFact> = failed
                    .iter()
                    .copied()
                    .filter(|f| f.error.as_ref().is_some_and(|e| e.class == *class))
                    .collect();
                let last = of.last()?;
                let mut by_wf: BTreeMap<&str, usize> = BTreeMap::new();
                for f in &of {
                    *by_wf.entry(names.get(f.workflow)).or_default() += 1;
                }
                let mut top: Vec<(&str, usize)> = by_wf.into_iter().collect();
                top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                Some(FailureSummary {
                    class: *class,
                    label: class.label().to_owned(),
                    count: of.len(),
                    share: of.len() as f64 / failed.len() as f64,
                    workflows: top.iter().take(3).map(|(w, _)| (*w).to_owned()).collect(),
                    example: last
                        .error
                        .as_ref()
                        .map_or(String::new(), |e| e.text.to_string()),
                    runs: of
                        .iter()
                        .rev()
                        .take(5)
                        .map(|f| evidence(f, names))
                        .collect(),
                })
            })
            .collect();

        // Queue wait per server, memory per device.
        let mut waits: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        let mut memory: BTreeMap<(&str, &str), (MemoryKind, f64, Vec<f64>)> = BTreeMap::new();
        for f in &facts {
            if let Some(w) = f.queue_wait_ms {
                waits.entry(names.get(f.server)).or_default().push(w);
            }
            if let Some(m) = f.memory {
                let e = memory
                    .entry((names.get(f.server), names.get(f.gpu)))
                    .or_insert((m.kind, m.total, Vec::new()));
                e.1 = e.1.max(m.total);
                e.2.push(m.peak);
            }
        }
        let queue_wait = waits
            .into_iter()
            .map(|(s, w)| {
                let w = sorted(w);
                QueueWaitSummary {
                    server: s.to_owned(),
                    runs: w.len(),
                    p50_ms: p(&w, 50.0),
                    p95_ms: p(&w, 95.0),
                    max_ms: w.last().copied().unwrap_or(0.0),
                    total_ms: w.iter().sum(),
                }
            })
            .collect();
        let memory = memory
            .into_iter()
            .map(|((s, g), (kind, total, peaks))| {
                let peaks = sorted(peaks);
                MemorySummary {
                    server: s.to_owned(),
                    device: g.to_owned(),
                    kind,
                    runs: peaks.len(),
                    total_bytes: total,
                    peak_p50_bytes: p(&peaks, 50.0),
                    peak_p95_bytes: percentile(&peaks, 95.0),
                    peak_max_bytes: peaks.last().copied().unwrap_or(0.0),
                }
            })
            .collect();

        let listed = facts.len().min(options.max_runs);
        let runs = facts
            .iter()
            .rev()
            .take(listed)
            .map(|f| ReportRun {
                prompt_id: f.prompt_id.to_string(),
                server: name(f.server),
                workflow: name(f.workflow),
                status: f.status,
                start_ms: f.start_ms,
                duration_ms: f.duration_ms,
                queue_wait_ms: f.queue_wait_ms,
                error_class: f.error.as_ref().map(|e| e.class),
                peak_bytes: f.memory.map(|m| m.peak),
            })
            .collect();
        let period = Period {
            from_ms: scope.from_ms,
            to_ms: scope.to_ms,
            first_run_ms: facts.first().map(|f| f.start_ms),
            last_run_ms: facts.last().map(|f| f.start_ms),
        };
        let runs_omitted = facts.len() - listed;
        ReportData {
            generated_at_ms: now_ms,
            scope: scope.clone(),
            period,
            totals,
            success_rate,
            workflows,
            slowest_nodes,
            failures,
            queue_wait,
            memory,
            findings: evaluate(facts, names, now_ms),
            runs,
            runs_omitted,
        }
    }

    /// The report as JSON, for download.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

fn evidence(f: &RunFact, names: &Names) -> EvidenceRun {
    EvidenceRun {
        prompt_id: f.prompt_id.to_string(),
        server: names.get(f.server).to_owned(),
        start_ms: f.start_ms,
    }
}
