//! The report's sections, each computed in one pass over the facts in start order.

use super::error_class::ErrorClass;
use super::facts::{Names, NodeFact, RunFact, Sym};
use super::finding::EvidenceRun;
use super::report_data::{
    DayPoint, FailureSummary, MemorySummary, NodeSummary, QueueWaitSummary, ReportOptions,
    ReportRun, Totals, WorkflowSummary,
};
use super::runs_lost::is_lost;
use super::stats::{percentile, sorted_median};
use crate::run::RunStatus;
use crate::sort::{sort_by, sort_floats};

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

/// Items keyed by one or two names: the item's index, under its keys.
type Keyed<'a> = (&'a str, &'a str, usize);

/// The items grouped by their keys, groups in key order and the items of a group in the order
/// given: what a `BTreeMap` keyed by the names gives, with one copy of the code for every
/// section (a map per key and value type was ~9 kB of the report page's wasm, issue #22).
fn grouped<'a>(mut keyed: Vec<Keyed<'a>>) -> Vec<(&'a str, &'a str, Vec<usize>)> {
    sort_by(&mut keyed, |a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut groups: Vec<(&str, &str, Vec<usize>)> = Vec::new();
    for (k, k2, i) in keyed {
        match groups.last_mut() {
            Some(g) if g.0 == k && g.1 == k2 => g.2.push(i),
            _ => groups.push((k, k2, vec![i])),
        }
    }
    groups
}

/// Each fact under one name of it.
fn by_name<'a>(facts: &[&RunFact], names: &'a Names, name: fn(&RunFact) -> Sym) -> Vec<Keyed<'a>> {
    facts
        .iter()
        .enumerate()
        .map(|(i, f)| (names.get(name(f)), "", i))
        .collect()
}

/// Per workflow: counts, success rate, p50/p95 of succeeded runs, the latest days' medians.
pub fn workflows(
    facts: &[&RunFact],
    names: &Names,
    options: &ReportOptions,
) -> Vec<WorkflowSummary> {
    let mut workflows: Vec<WorkflowSummary> = grouped(by_name(facts, names, |f| f.workflow))
        .into_iter()
        .map(|(w, _, members)| {
            let (mut ok, mut ended) = (0, 0);
            let mut d = Vec::new();
            let mut days: Vec<(i64, f64)> = Vec::new();
            for &i in &members {
                let f = facts[i];
                if matches!(
                    f.status,
                    RunStatus::Succeeded | RunStatus::Failed | RunStatus::Interrupted
                ) {
                    ended += 1;
                }
                if f.status == RunStatus::Succeeded {
                    ok += 1;
                }
                if let Some(t) = f.timed_success() {
                    d.push(t);
                    days.push(((f.start_ms / 86_400_000.0).floor() as i64, t));
                }
            }
            let d = sorted(d);
            // Daily medians, the days in order.
            sort_by(&mut days, |a, b| a.0.cmp(&b.0));
            let mut daily: Vec<(i64, Vec<f64>)> = Vec::new();
            for (day, t) in days {
                match daily.last_mut() {
                    Some(g) if g.0 == day => g.1.push(t),
                    _ => daily.push((day, vec![t])),
                }
            }
            let skip = daily.len().saturating_sub(options.max_trend_days);
            WorkflowSummary {
                workflow: if w.is_empty() {
                    "unknown workflow".into()
                } else {
                    w.to_owned()
                },
                runs: members.len(),
                succeeded: ok,
                success_rate: (ended > 0).then(|| ok as f64 / ended as f64),
                p50_ms: p(&d, 50.0),
                p95_ms: p(&d, 95.0),
                trend: daily
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
    let mut nodes: Vec<&NodeFact> = Vec::new();
    let mut keyed = Vec::new();
    for f in facts {
        for n in &f.nodes {
            let class = names.get(n.class);
            if !class.is_empty() {
                keyed.push((class, "", nodes.len()));
                nodes.push(n);
            }
        }
    }
    let mut slowest_nodes: Vec<NodeSummary> = grouped(keyed)
        .into_iter()
        .filter_map(|(c, _, members)| {
            let mut cached = 0;
            let mut t = Vec::new();
            for i in members {
                let n = nodes[i];
                if n.cached {
                    cached += 1;
                } else if let Some(ms) = n.ms {
                    t.push(ms as f64);
                }
            }
            if t.is_empty() {
                return None;
            }
            let t = sorted(t);
            Some(NodeSummary {
                node_type: c.to_owned(),
                executions: t.len(),
                cached,
                total_ms: t.iter().sum(),
                p50_ms: p(&t, 50.0),
                p95_ms: p(&t, 95.0),
            })
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
            let mut top: Vec<(&str, usize)> = grouped(by_name(&of, names, |f| f.workflow))
                .into_iter()
                .map(|(w, _, members)| (w, members.len()))
                .collect();
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
    let (mut waits, mut devices) = (Vec::new(), Vec::new());
    for (i, f) in facts.iter().enumerate() {
        let server = names.get(f.server);
        if f.queue_wait_ms.is_some() {
            waits.push((server, "", i));
        }
        if f.memory.is_some() {
            devices.push((server, names.get(f.gpu), i));
        }
    }
    let queue_wait: Vec<QueueWaitSummary> = grouped(waits)
        .into_iter()
        .map(|(s, _, members)| {
            let w = sorted(
                members
                    .iter()
                    .filter_map(|&i| facts[i].queue_wait_ms)
                    .collect(),
            );
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
    let memory: Vec<MemorySummary> = grouped(devices)
        .into_iter()
        .filter_map(|(s, g, members)| {
            let all: Vec<_> = members.iter().filter_map(|&i| facts[i].memory).collect();
            // The first run's kind; the largest total (`f64::max`, from the first run's).
            let first = all.first()?;
            let total = all.iter().fold(first.total, |t, m| t.max(m.total));
            let peaks = sorted(all.iter().map(|m| m.peak).collect());
            Some(MemorySummary {
                server: s.to_owned(),
                device: g.to_owned(),
                kind: first.kind,
                runs: peaks.len(),
                total_bytes: total,
                peak_p50_bytes: p(&peaks, 50.0),
                peak_p95_bytes: percentile(&peaks, 95.0),
                peak_max_bytes: peaks.last().copied().unwrap_or(0.0),
            })
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
