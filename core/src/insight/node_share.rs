//! `node-dominates`: one node type takes most of a workflow's wall time, so that is where
//! speeding the workflow up pays.
//!
//! Sample: the workflow's succeeded runs with a wall time and at least one timed node (a node's
//! time is the server's measure when sent, else the interval between its start and finish as
//! received; cached nodes take none). The node type with the largest summed time is the
//! candidate; its share is its summed time over the summed wall time. It fires when that share
//! is at least [`MIN_SHARE`] over at least [`MIN_RUNS`] runs and a one-sided z test that the
//! per-run share exceeds [`MIN_SHARE`] (standard deviation floored at 0.02) gives p ≤ 0.05.
//! Confidence uses that p and n = the runs.

use super::facts::{RunFact, Sym};
use super::finding::MAX_EVIDENCE_RUNS;
use super::finding::{fig, pct, Evidence, Finding, Rule, Severity, Subject, SubjectKind, Unit};
use super::stats::{confidence, mean_above_p, median, MAX_P};
use super::Ctx;
use crate::format::duration_ms;

pub const MIN_SHARE: f64 = 0.5;
pub const MIN_RUNS: usize = 5;

/// One run: its fact, wall time and time per node type.
type TimedRun<'a> = (&'a RunFact, f64, Vec<(Sym, f64)>);

/// Time per node type in one run, ms.
fn per_type(f: &RunFact) -> Vec<(Sym, f64)> {
    let mut acc: Vec<(Sym, f64)> = Vec::new();
    for n in &f.nodes {
        let Some(ms) = n.ms else { continue };
        match acc.iter_mut().find(|(c, _)| *c == n.class) {
            Some(e) => e.1 += ms as f64,
            None => acc.push((n.class, ms as f64)),
        }
    }
    acc
}

/// What to do about a node type taking the time.
fn advice(class: &str) -> &'static str {
    let c = class.to_lowercase();
    if c.contains("sampler") {
        "fewer steps, a faster sampler or scheduler, a smaller size or a distilled model speed the whole workflow up most"
    } else if c.contains("loader") {
        "the model is loaded on most runs: keep it cached (run the same workflow back to back, give ComfyUI more RAM, or raise its cache size)"
    } else if c.contains("vae") {
        "a tiled VAE decode or a lighter VAE would save the most"
    } else if c.contains("upscale") {
        "a smaller upscale factor or a faster upscale model would save the most"
    } else {
        "optimising or replacing it saves more than anything else in the workflow"
    }
}

pub(super) fn find(ctx: &Ctx, out: &mut Vec<Finding>) {
    let groups = ctx.group_by(|f| {
        let timed =
            f.timed_success().is_some_and(|d| d > 0.0) && f.nodes.iter().any(|n| n.ms.is_some());
        (timed && !ctx.name(f.workflow).is_empty()).then_some(f.workflow)
    });
    for (workflow, runs) in groups {
        if runs.len() < MIN_RUNS {
            continue;
        }
        let per_run: Vec<TimedRun> = runs
            .iter()
            .filter_map(|f| Some((*f, f.timed_success()?, per_type(f))))
            .collect();
        let wall: f64 = per_run.iter().map(|(_, d, _)| d).sum();
        let mut totals: Vec<(Sym, f64)> = Vec::new();
        for (_, _, types) in &per_run {
            for (c, ms) in types {
                match totals.iter_mut().find(|(t, _)| t == c) {
                    Some(e) => e.1 += ms,
                    None => totals.push((*c, *ms)),
                }
            }
        }
        totals.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| ctx.name(a.0).cmp(ctx.name(b.0)))
        });
        let Some(&(top, top_ms)) = totals.first() else {
            continue;
        };
        let class = ctx.name(top);
        if class.is_empty() || wall <= 0.0 {
            continue;
        }
        let share = (top_ms / wall).min(1.0);
        if share < MIN_SHARE {
            continue;
        }
        let in_run =
            |types: &[(Sym, f64)]| types.iter().find(|(c, _)| *c == top).map_or(0.0, |e| e.1);
        let shares: Vec<f64> = per_run
            .iter()
            .map(|(_, d, types)| (in_run(types) / d).min(1.0))
            .collect();
        let p = mean_above_p(&shares, MIN_SHARE, 0.02);
        if p > MAX_P {
            continue;
        }
        let node_times: Vec<f64> = per_run.iter().map(|(_, _, t)| in_run(t)).collect();
        let walls: Vec<f64> = per_run.iter().map(|(_, d, _)| *d).collect();
        let (med_node, med_wall) = (
            median(&node_times).unwrap_or(0.0),
            median(&walls).unwrap_or(0.0),
        );
        let next_share = totals.get(1).map_or(0.0, |e| (e.1 / wall).min(1.0));
        let name = ctx.name(workflow).to_owned();
        let mut evidence_runs: Vec<&TimedRun> = per_run.iter().collect();
        evidence_runs.sort_by(|a, b| in_run(&b.2).total_cmp(&in_run(&a.2)));
        out.push(Finding {
            rule: Rule::NodeDominates,
            severity: Severity::Info,
            confidence: confidence(p, per_run.len()),
            message: format!(
                "{class} takes {} of the wall time of “{name}” (median {} of {} per run, {} runs; the next node type {}): {}.",
                pct(share),
                duration_ms(med_node),
                duration_ms(med_wall),
                per_run.len(),
                pct(next_share),
                advice(class)
            ),
            subject: Subject {
                kind: SubjectKind::Workflow,
                name,
                server: None,
                detail: Some(class.to_owned()),
            },
            evidence: Evidence {
                runs: evidence_runs
                    .iter()
                    .take(MAX_EVIDENCE_RUNS)
                    .map(|(f, _, _)| ctx.run(f))
                    .collect(),
                figures: vec![
                    fig("share", share, Unit::Share),
                    fig("median_node_ms", med_node, Unit::Ms),
                    fig("median_run_ms", med_wall, Unit::Ms),
                    fig("next_share", next_share, Unit::Share),
                    fig("runs", per_run.len() as f64, Unit::Count),
                ],
                sample: per_run.len(),
                p_value: p,
            },
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn advice_names_the_lever_for_common_node_types() {
        assert!(super::advice("KSampler").contains("steps"));
        assert!(super::advice("CheckpointLoaderSimple").contains("cached"));
        assert!(super::advice("VAEDecode").contains("tiled"));
    }
}
