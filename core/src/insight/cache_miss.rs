//! `cache-miss`: a server ran a node again although nothing it depends on had changed and
//! earlier runs had it cached, so ComfyUI's cache is losing it between runs.
//!
//! Opportunities: two back-to-back runs on one server (nothing else ran there between them, as
//! far as we saw) of the same workflow, the first succeeded, with unchanged inputs. Inputs are
//! unchanged when both runs' prompt-graph hashes are known and equal (then every node counts);
//! without hashes, when both have the same node ids, and only loader nodes count (class name
//! containing `Loader`: their inputs are file names, which rarely change between such runs,
//! and reloading a model is the costliest miss). A miss is such a node executed in the second
//! run, a hit is it cached there.
//!
//! Per server, workflow and node type it fires with at least [`MIN_MISSES`] misses after a hit
//! when a one-sided binomial test that the miss rate exceeds [`BASELINE_MISS_RATE`] gives
//! p ≤ 0.05. Confidence uses that p and n = the opportunities.

use super::facts::{RunFact, Sym};
use super::finding::{fig, Evidence, Finding, Rule, Severity, Subject, Unit};
use super::stats::{median, proportion_above_p, significant};
use super::Ctx;
use crate::format::duration_ms;
use crate::hash::HashMap;
use crate::run::RunStatus;

pub const MIN_MISSES: usize = 3;
pub const BASELINE_MISS_RATE: f64 = 0.1;

#[derive(Default)]
struct Tally<'a> {
    opportunities: usize,
    hits: usize,
    /// Misses that came after a hit: runs and the time each re-execution took.
    misses: Vec<(&'a RunFact, Option<f32>)>,
    hashed: bool,
}

fn same_inputs(a: &RunFact, b: &RunFact) -> Option<bool> {
    if a.workflow != b.workflow || a.status != RunStatus::Succeeded || b.nodes.is_empty() {
        return None;
    }
    match (a.graph_hash, b.graph_hash) {
        (Some(x), Some(y)) => (x == y).then_some(true),
        _ => {
            let same = a.nodes.len() == b.nodes.len()
                && a.nodes.iter().zip(&b.nodes).all(|(x, y)| x.id == y.id);
            same.then_some(false)
        }
    }
}

pub(super) fn find(ctx: &Ctx, out: &mut Vec<Finding>) {
    let is_loader = |c: Sym| {
        let n = ctx.name(c);
        n.contains("Loader") || n.contains("loader")
    };
    for (server, runs) in &ctx.servers {
        let server = *server;
        // (workflow, node type) → its tally's index; the tallies in the order first seen. A
        // `u64 → u32` table is the one the search arena already compiles (bytes, issue #22).
        let mut slots: HashMap<u64, u32> = HashMap::default();
        let mut tallies: Vec<((Sym, Sym), Tally)> = Vec::new();
        for pair in runs.windows(2) {
            let (prev, next) = (pair[0], pair[1]);
            if ctx.name(next.workflow).is_empty() {
                continue;
            }
            let Some(hashed) = same_inputs(prev, next) else {
                continue;
            };
            for node in &next.nodes {
                if !(hashed || is_loader(node.class)) || !(node.cached || node.executed) {
                    continue;
                }
                let before = prev.nodes.iter().find(|n| n.id == node.id);
                if !before.is_some_and(|b| b.cached || b.executed) {
                    continue;
                }
                let key = (next.workflow, node.class);
                let slot = *slots
                    .entry(u64::from(key.0) << 32 | u64::from(key.1))
                    .or_insert_with(|| {
                        tallies.push((key, Tally::default()));
                        (tallies.len() - 1) as u32
                    });
                let t = &mut tallies[slot as usize].1;
                t.opportunities += 1;
                t.hashed |= hashed;
                if node.cached {
                    t.hits += 1;
                } else if t.hits > 0 {
                    t.misses.push((next, node.ms));
                }
            }
        }
        for (key, t) in &tallies {
            let m = t.misses.len();
            if m < MIN_MISSES {
                continue;
            }
            let p = proportion_above_p(m, t.opportunities, BASELINE_MISS_RATE);
            if !significant(p) {
                continue;
            }
            let (workflow, class) = (ctx.name(key.0).to_owned(), ctx.name(key.1).to_owned());
            let times: Vec<f64> = t
                .misses
                .iter()
                .filter_map(|(_, ms)| ms.map(f64::from))
                .collect();
            let spent: f64 = times.iter().sum();
            let med = median(&times);
            let cost = med
                .map(|m| {
                    format!(
                        " (median {} each, {} in all)",
                        duration_ms(m),
                        duration_ms(spent)
                    )
                })
                .unwrap_or_default();
            let inputs = if t.hashed {
                "with unchanged inputs"
            } else {
                "with the same nodes"
            };
            let server_name = ctx.name(server).to_owned();
            let message = format!(
                "On {server_name}, {class} of “{workflow}” ran again in {m} of {} back-to-back runs {inputs}, though earlier runs had it cached{cost}: ComfyUI is losing its cache between runs. Give it more RAM, and check that it is not started with --cache-none or a small --cache-lru.",
                t.opportunities
            );
            let evidence = Evidence::of(
                p,
                t.opportunities,
                ctx.latest(t.misses.iter().map(|(f, _)| *f)),
                vec![
                    fig("misses", m as f64, Unit::Count),
                    fig("hits", t.hits as f64, Unit::Count),
                    fig("opportunities", t.opportunities as f64, Unit::Count),
                    fig("miss_share", m as f64 / t.opportunities as f64, Unit::Share),
                    fig("median_miss_ms", med.unwrap_or(0.0), Unit::Ms),
                    fig("spent_ms", spent, Unit::Ms),
                ],
            );
            out.push(Finding::new(
                Rule::CacheMiss,
                Severity::Warning,
                Subject::workflow(workflow).on(server_name).detail(class),
                message,
                evidence,
            ));
        }
    }
}
