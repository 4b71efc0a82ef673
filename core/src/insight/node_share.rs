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
use super::finding::{fig, pct, Evidence, Finding, Rule, Severity, Subject, Unit};
use super::stats::{mean_above_p, median, significant, top_k};
use super::Ctx;
use crate::format::duration_ms;
use crate::sort::sort_by;

pub const MIN_SHARE: f64 = 0.5;
pub const MIN_RUNS: usize = 5;

/// Time of node type `class` in one run, ms.
fn time_of(f: &RunFact, class: Sym) -> f64 {
    f.nodes
        .iter()
        .filter(|n| n.class == class)
        .filter_map(|n| n.ms)
        .map(f64::from)
        .sum()
}

/// What to do about a node type taking the time.
fn advice(class: &str) -> &'static str {
    let c = crate::lowercase::to_lowercase(class);
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
    // Summed time per node type, indexed by the type's name; reset after each workflow.
    let mut totals: Vec<Option<f64>> = Vec::new();
    let mut touched: Vec<Sym> = Vec::new();
    for (workflow, all) in &ctx.workflows {
        let workflow = *workflow;
        // One pass: which runs count, their wall time, and time per node type.
        let mut runs: Vec<&RunFact> = Vec::new();
        let mut walls: Vec<f64> = Vec::new();
        for f in all {
            let Some(d) = f.timed_success().filter(|d| *d > 0.0) else {
                continue;
            };
            let mut timed = false;
            for n in &f.nodes {
                let Some(ms) = n.ms else { continue };
                timed = true;
                let i = n.class as usize;
                if i >= totals.len() {
                    totals.resize(i + 1, None);
                }
                let total = totals[i].get_or_insert_with(|| {
                    touched.push(n.class);
                    0.0
                });
                *total += ms as f64;
            }
            if timed {
                runs.push(f);
                walls.push(d);
            }
        }
        let wall: f64 = walls.iter().sum();
        let mut ranked: Vec<(Sym, f64)> = touched
            .drain(..)
            .filter_map(|c| Some((c, totals[c as usize].take()?)))
            .collect();
        if runs.len() < MIN_RUNS {
            continue;
        }
        sort_by(&mut ranked, |a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| ctx.name(a.0).cmp(ctx.name(b.0)))
        });
        let Some(&(top, top_ms)) = ranked.first() else {
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
        let node_times: Vec<f64> = runs.iter().map(|f| time_of(f, top)).collect();
        let shares: Vec<f64> = node_times
            .iter()
            .zip(&walls)
            .map(|(t, d)| (t / d).min(1.0))
            .collect();
        let p = mean_above_p(&shares, MIN_SHARE, 0.02);
        if !significant(p) {
            continue;
        }
        let (med_node, med_wall) = (
            median(&node_times).unwrap_or(0.0),
            median(&walls).unwrap_or(0.0),
        );
        let next_share = ranked.get(1).map_or(0.0, |e| (e.1 / wall).min(1.0));
        let name = ctx.name(workflow).to_owned();
        let by_time = top_k((0..runs.len()).collect(), MAX_EVIDENCE_RUNS, |i| {
            node_times[*i]
        });
        let message = format!(
                "{class} takes {} of the wall time of “{name}” (median {} of {} per run, {} runs; the next node type {}): {}.",
                pct(share),
                duration_ms(med_node),
                duration_ms(med_wall),
                runs.len(),
                pct(next_share),
                advice(class)
        );
        let evidence = Evidence::of(
            p,
            runs.len(),
            by_time.iter().map(|i| ctx.run(runs[*i])).collect(),
            vec![
                fig("share", share, Unit::Share),
                fig("median_node_ms", med_node, Unit::Ms),
                fig("median_run_ms", med_wall, Unit::Ms),
                fig("next_share", next_share, Unit::Share),
                fig("runs", runs.len() as f64, Unit::Count),
            ],
        );
        out.push(Finding::new(
            Rule::NodeDominates,
            Severity::Info,
            Subject::workflow(name).detail(class),
            message,
            evidence,
        ));
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
