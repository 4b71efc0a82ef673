//! The report's sections, each computed in one pass over the facts in start order.

use super::error_class::ErrorClass;
use super::facts::{Names, RunFact};
use super::finding::EvidenceRun;
use super::report_data::{
    DayPoint, FailureSummary, MemorySummary, NodeSummary, QueueWaitSummary, ReportOptions,
    ReportRun, Totals, WorkflowSummary,
};
use super::runs_lost::is_lost;
use super::stats::{percentile, sorted_median};
use crate::history::series::MemoryKind;
use crate::run::RunStatus;
use crate::sort::{sort_by, sort_floats};
use std::collections::BTreeMap;

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    sort_floats(&mut v);
    v
}

fn p(sorted: &[f64], q: f64) -> Option<f64> {
    crate::history::stats::percentile(sorted, q)
}

/// Runs by status (lost ones apart) and summed wall time.
pub fn totals(facts: &[&RunFact], now_ms: f64) -> Totals {
    let mut totals = Totals {
        runs: facts.len(),
        ..Totals::default()
    };
    for f in facts {
        match f.status {
            _ if is_lost(f, now_ms) => totals.lost += 1,
            RunStatus::Succeeded => totals.succeeded += 1,
            RunStatus::Failed => totals.failed += 1,
            RunStatus::Interrupted => totals.interrupted += 1,
            RunStatus::Cancelled => totals.cancelled += 1,
            RunStatus::Running => totals.running += 1,
            RunStatus::Lost => totals.lost += 1,
            RunStatus::Queued | RunStatus::Unknown => totals.queued += 1,
        }
        totals.wall_time_ms += f.duration_ms.unwrap_or(0.0);
    }
    totals
}

/// Per workflow: counts, success rate, p50/p95 of succeeded runs, the latest days' medians.
pub fn workflows(
    facts: &[&RunFact],
    names: &Names,
    options: &ReportOptions,
) -> Vec<WorkflowSummary> {
    // Per workflow: counts, percentiles, daily medians.
    type Acc = (usize, usize, usize, Vec<f64>, BTreeMap<i64, Vec<f64>>);
    let mut wf: BTreeMap<&str, Acc> = BTreeMap::new();
    for f in facts {
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
    sort_by(&mut workflows, |a, b| {
        b.runs.cmp(&a.runs).then(a.workflow.cmp(&b.workflow))
    });

    workflows
}

/// Node types by summed time, the slowest first.
pub fn slowest_nodes(
    facts: &[&RunFact],
    names: &Names,
    options: &ReportOptions,
) -> Vec<NodeSummary> {
    // Node types by total time.
    let mut nodes: BTreeMap<&str, (usize, Vec<f64>)> = BTreeMap::new();
    for f in facts {
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
    sort_by(&mut slowest_nodes, |a, b| b.total_ms.total_cmp(&a.total_ms));
    slowest_nodes.truncate(options.max_nodes);

    slowest_nodes
}

/// Failures by class, with the workflows they hit most and the latest runs.
pub fn failures(facts: &[&RunFact], names: &Names) -> Vec<FailureSummary> {
    // Failures by class.
    let failed: Vec<&RunFact> = facts
        .iter()
        .copied()
        .filter(|f| f.error.is_some())
        .collect();
    let failures: Vec<FailureSummary> = ErrorClass::ALL
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
            sort_by(&mut top, |a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
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

    failures
}

/// Queue wait per server and memory per device.
pub fn queue_and_memory(
    facts: &[&RunFact],
    names: &Names,
) -> (Vec<QueueWaitSummary>, Vec<MemorySummary>) {
    // Queue wait per server, memory per device.
    let mut waits: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut memory: BTreeMap<(&str, &str), (MemoryKind, f64, Vec<f64>)> = BTreeMap::new();
    for f in facts {
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
    let queue_wait: Vec<QueueWaitSummary> = waits
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
    let memory: Vec<MemorySummary> = memory
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

    (queue_wait, memory)
}

/// The newest runs, at most `options.max_runs`.
pub fn run_list(facts: &[&RunFact], names: &Names, options: &ReportOptions) -> Vec<ReportRun> {
    let name = |s| names.get(s).to_owned();
    let listed = facts.len().min(options.max_runs);
    let runs: Vec<ReportRun> = facts
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
    runs
}

fn evidence(f: &RunFact, names: &Names) -> EvidenceRun {
    EvidenceRun {
        prompt_id: f.prompt_id.to_string(),
        server: names.get(f.server).to_owned(),
        start_ms: f.start_ms,
    }
}
