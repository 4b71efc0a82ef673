//! `failure-cluster`: the same kind of failure (see [`ErrorClass`]) keeps hitting one workflow,
//! and, when the runs' parameters are known, only in one range of a parameter (out of memory
//! from a batch size up, say).
//!
//! Sample: the workflow's ended runs (succeeded, failed, interrupted). It fires for a class with
//! at least [`MIN_FAILURES`] failures when a one-sided binomial test that the class's rate in
//! the workflow exceeds [`BASELINE_RATE`] (1 run in 20) gives p ≤ 0.05. Confidence uses that p
//! and n = the failures of the class. Critical when the class fails half the workflow's runs.
//!
//! Parameter range: for each numeric parameter known for at least 3 of the cluster's failures
//! and 3 of the workflow's successes, the threshold is the lowest (or highest) value among the
//! failures; the range is reported when at least 90 % of the runs at or beyond it failed with
//! this class and some successes lie on the other side.

use super::error_class::ErrorClass;
use super::facts::{Names, RunFact, Sym};
use super::finding::{fig, pct, Evidence, Finding, Rule, Severity, Subject, Unit};
use super::stats::{proportion_above_p, significant};
use super::Ctx;
use crate::format::number;
use crate::run::RunStatus;

pub const MIN_FAILURES: usize = 3;
pub const BASELINE_RATE: f64 = 0.05;
const MIN_PARAM_RUNS: usize = 3;
const RANGE_PURITY: f64 = 0.9;

/// A parameter range the failures fall in.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamRange {
    pub param: Sym,
    /// `param ≥ threshold` when true, `param ≤ threshold` when false.
    pub at_least: bool,
    pub threshold: f64,
    pub failed_in_range: usize,
    pub succeeded_in_range: usize,
    pub succeeded_outside: usize,
}

/// The best-separating parameter range for `failed` against `succeeded`, if any.
pub fn param_range(
    failed: &[&RunFact],
    succeeded: &[&RunFact],
    names: &Names,
) -> Option<ParamRange> {
    let mut params: Vec<Sym> = failed
        .iter()
        .flat_map(|f| f.params.iter().map(|(k, _)| *k))
        .collect();
    crate::sort::sort_by(&mut params, |a, b| names.get(*a).cmp(names.get(*b)));
    params.dedup();
    let mut best: Option<(f64, ParamRange)> = None;
    for p in params {
        let fv: Vec<f64> = failed.iter().filter_map(|f| f.param(p)).collect();
        let sv: Vec<f64> = succeeded.iter().filter_map(|f| f.param(p)).collect();
        if fv.len() < MIN_PARAM_RUNS || sv.len() < MIN_PARAM_RUNS {
            continue;
        }
        let lo = fv.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = fv.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for (at_least, t) in [(true, lo), (false, hi)] {
            let inside = |v: &f64| if at_least { *v >= t } else { *v <= t };
            let s_in = sv.iter().filter(|v| inside(v)).count();
            let s_out = sv.len() - s_in;
            let purity = fv.len() as f64 / (fv.len() + s_in) as f64;
            if purity < RANGE_PURITY || s_out == 0 {
                continue;
            }
            let range = ParamRange {
                param: p,
                at_least,
                threshold: t,
                failed_in_range: fv.len(),
                succeeded_in_range: s_in,
                succeeded_outside: s_out,
            };
            let score = purity * fv.len() as f64;
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, range));
            }
        }
    }
    best.map(|(_, r)| r)
}

fn advice(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::OutOfMemory => "lower the batch size or resolution, decode with a tiled VAE, or start ComfyUI with --lowvram",
        ErrorClass::MissingModel => "install the missing model or file into ComfyUI's models folder, or fix the name in the workflow",
        ErrorClass::Validation => "fix the inputs the error names before queueing again",
        ErrorClass::CustomNode => "update the custom node, report the error to its author, or replace it",
        ErrorClass::Other => "read the error and traceback of these runs",
    }
}

pub(super) fn find(ctx: &Ctx, out: &mut Vec<Finding>) {
    let ended = |s: RunStatus| {
        matches!(
            s,
            RunStatus::Succeeded | RunStatus::Failed | RunStatus::Interrupted
        )
    };
    for (workflow, all) in &ctx.workflows {
        let workflow = *workflow;
        let runs: Vec<&RunFact> = all.iter().copied().filter(|f| ended(f.status)).collect();
        let n = runs.len();
        let succeeded: Vec<&RunFact> = runs
            .iter()
            .copied()
            .filter(|f| f.status == RunStatus::Succeeded)
            .collect();
        let mut by_class: [Vec<&RunFact>; ErrorClass::ALL.len()] = Default::default();
        for f in &runs {
            if let (RunStatus::Failed, Some(e)) = (f.status, &f.error) {
                let i = ErrorClass::ALL
                    .iter()
                    .position(|c| *c == e.class)
                    .unwrap_or(0);
                by_class[i].push(f);
            }
        }
        for (class, failed) in ErrorClass::ALL.into_iter().zip(by_class) {
            let k = failed.len();
            if k < MIN_FAILURES {
                continue;
            }
            let p = proportion_above_p(k, n, BASELINE_RATE);
            if !significant(p) {
                continue;
            }
            let share = k as f64 / n as f64;
            let name = ctx.name(workflow).to_owned();
            let last = failed[k - 1];
            let example = last.error.as_ref().map_or("", |e| &e.text);
            let node = last
                .error
                .as_ref()
                .map(|e| ctx.name(e.node_type))
                .filter(|t| !t.is_empty());
            let range = param_range(&failed, &succeeded, ctx.names);
            let mut figures = vec![
                fig("failures", k as f64, Unit::Count),
                fig("runs", n as f64, Unit::Count),
                fig("share", share, Unit::Share),
                fig("first_at", failed[0].start_ms, Unit::EpochMs),
                fig("last_at", last.start_ms, Unit::EpochMs),
            ];
            let mut range_text = String::new();
            if let Some(r) = &range {
                let op = if r.at_least { "≥" } else { "≤" };
                range_text = format!(
                    ", all at {} {op} {} ({} of {} runs there failed; {} runs below succeeded)",
                    ctx.name(r.param),
                    number(r.threshold),
                    r.failed_in_range,
                    r.failed_in_range + r.succeeded_in_range,
                    r.succeeded_outside
                );
                if !r.at_least {
                    range_text = range_text.replace("below", "above");
                }
                figures.push(fig("param_threshold", r.threshold, Unit::Value));
                figures.push(fig(
                    "param_failed_in_range",
                    r.failed_in_range as f64,
                    Unit::Count,
                ));
                figures.push(fig(
                    "param_succeeded_in_range",
                    r.succeeded_in_range as f64,
                    Unit::Count,
                ));
            }
            let at_node = node.map(|t| format!(" in {t}")).unwrap_or_default();
            let message = format!(
                "{k} of {n} runs of “{name}” ({}) failed with {}{at_node}{range_text}, e.g. “{example}”: {}.",
                pct(share),
                class.label(),
                advice(class)
            );
            let severity = if share >= 0.5 {
                Severity::Critical
            } else {
                Severity::Warning
            };
            out.push(Finding::new(
                Rule::FailureCluster,
                severity,
                Subject::workflow(name).detail(class.as_str()),
                message,
                Evidence::of(p, k, ctx.latest(failed.iter().copied()), figures),
            ));
        }
    }
}
