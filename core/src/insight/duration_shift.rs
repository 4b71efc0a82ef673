//! `workflow-slower` / `workflow-faster`: a workflow's run time changed at some point and
//! stayed changed.
//!
//! Series: the workflow's succeeded runs with a known wall time, in start order, fully cached
//! re-runs left out, at most the latest [`MAX_SERIES`]. The change point is the split that
//! minimises the summed squared deviation of log duration within the two segments (log, so a
//! 2× change weighs the same for a 2 s and a 2 min workflow), each segment at least
//! [`MIN_SEGMENT`] runs. It fires when the medians differ by at least [`MIN_RATIO`]× and the
//! Mann–Whitney rank-sum test between the segments, one-sided in the observed direction and
//! Bonferroni-corrected for the number of candidate splits, gives p ≤ 0.05. Confidence uses
//! that p and n = all runs of the series.

use super::facts::RunFact;
use super::finding::MAX_EVIDENCE_RUNS;
use super::finding::{fig, Evidence, Finding, Rule, Severity, Subject, Unit};
use super::stats::{mann_whitney_p, median, significant};
use super::Ctx;
use crate::format::{duration_ms, fixed};

pub const MIN_SEGMENT: usize = 5;
pub const MIN_RATIO: f64 = 1.2;
/// Bounds the work per workflow; older runs say little about a recent change.
pub const MAX_SERIES: usize = 5_000;
/// A slowdown at least this large is a warning.
const WARN_RATIO: f64 = 1.5;

/// Index of the first run of the second segment, minimising within-segment squared deviation.
pub fn best_split(x: &[f64], min_segment: usize) -> Option<usize> {
    let n = x.len();
    if n < 2 * min_segment || min_segment == 0 {
        return None;
    }
    let mut sum = vec![0.0; n + 1];
    let mut sq = vec![0.0; n + 1];
    for (i, v) in x.iter().enumerate() {
        sum[i + 1] = sum[i] + v;
        sq[i + 1] = sq[i] + v * v;
    }
    let cost = |a: usize, b: usize| {
        let (s, q, len) = (sum[b] - sum[a], sq[b] - sq[a], (b - a) as f64);
        q - s * s / len
    };
    (min_segment..=n - min_segment)
        .map(|k| (k, cost(0, k) + cost(k, n)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

pub(super) fn find(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (workflow, runs) in &ctx.workflows {
        let workflow = *workflow;
        let series: Vec<(&RunFact, f64)> = runs
            .iter()
            .filter_map(|f| f.timed_success().map(|d| (*f, d)))
            .collect();
        let series = &series[series.len().saturating_sub(MAX_SERIES)..];
        let logs: Vec<f64> = series.iter().map(|(_, d)| d.max(1.0).ln()).collect();
        let Some(split) = best_split(&logs, MIN_SEGMENT) else {
            continue;
        };
        let before: Vec<f64> = series[..split].iter().map(|(_, d)| *d).collect();
        let after: Vec<f64> = series[split..].iter().map(|(_, d)| *d).collect();
        let (Some(m_before), Some(m_after)) = (median(&before), median(&after)) else {
            continue;
        };
        if m_before <= 0.0 || m_after <= 0.0 {
            continue;
        }
        let ratio = m_after / m_before;
        if !ratio.is_finite() {
            continue;
        }
        let slower = ratio >= MIN_RATIO;
        if !slower && ratio > 1.0 / MIN_RATIO {
            continue;
        }
        let candidates = (series.len() - 2 * MIN_SEGMENT + 1) as f64;
        let Some(p_two) = mann_whitney_p(&before, &after) else {
            continue;
        };
        let p = (p_two / 2.0 * candidates).min(1.0);
        if !significant(p) {
            continue;
        }
        let name = ctx.name(workflow).to_owned();
        let change = series[split].0;
        let when = when(change.start_ms);
        let message = if slower {
            format!(
                "Workflow “{name}” got {}× slower from {when}: median {} before ({} runs), {} after ({} runs). Check what changed then: a ComfyUI or custom-node update, another model or settings, or other load on the server.",
                fixed(ratio, 1),
                duration_ms(m_before),
                before.len(),
                duration_ms(m_after),
                after.len()
            )
        } else {
            format!(
                "Workflow “{name}” got {}× faster from {when}: median {} before ({} runs), {} after ({} runs). Whatever changed then helped; keep it.",
                fixed(1.0 / ratio, 1),
                duration_ms(m_before),
                before.len(),
                duration_ms(m_after),
                after.len()
            )
        };
        let mut runs = vec![ctx.run(change), ctx.run(series[split - 1].0)];
        runs.extend(
            series[split + 1..]
                .iter()
                .take(MAX_EVIDENCE_RUNS - 2)
                .map(|(f, _)| ctx.run(f)),
        );
        let rule = if slower {
            Rule::WorkflowSlower
        } else {
            Rule::WorkflowFaster
        };
        let severity = if slower && ratio >= WARN_RATIO {
            Severity::Warning
        } else {
            Severity::Info
        };
        let evidence = Evidence::of(
            p,
            series.len(),
            runs,
            vec![
                fig("median_before_ms", m_before, Unit::Ms),
                fig("median_after_ms", m_after, Unit::Ms),
                fig("ratio", ratio, Unit::Ratio),
                fig("changed_at", change.start_ms, Unit::EpochMs),
                fig("before_from", series[0].0.start_ms, Unit::EpochMs),
                fig(
                    "after_to",
                    series[series.len() - 1].0.start_ms,
                    Unit::EpochMs,
                ),
                fig("runs_before", before.len() as f64, Unit::Count),
                fig("runs_after", after.len() as f64, Unit::Count),
            ],
        );
        out.push(Finding::new(
            rule,
            severity,
            Subject::workflow(name),
            message,
            evidence,
        ));
    }
}

/// "2026-11-20 14:05 UTC".
pub(crate) fn when(ms: f64) -> String {
    let iso = crate::history::query::format_iso(ms);
    match iso.get(..16) {
        Some(s) => format!("{} UTC", s.replace('T', " ")),
        None => iso,
    }
}
