//! Recommendations computed from stored runs: each a conclusion a person can act on, with how
//! sure it is and the runs and numbers it rests on. Pure: runs and the time are arguments.
//!
//! One rule a file. Every rule is silent when its data is lacking; it fires only when its test
//! gives a p-value of at most 0.05 and its effect is large enough to matter (thresholds in each
//! rule's doc comment).
//!
//! **Confidence** (every rule the same way, [`stats::confidence`]):
//! `confidence = (1 − p) · n / (n + 10)`, rounded to three decimals, where `p` is the rule's
//! one-sided p-value from a normal approximation (named in each rule: Mann–Whitney rank sum for
//! a change in duration, a binomial proportion test for rates, a z test on means for shares and
//! memory ratios) and `n` its sample size (runs, or failures for a failure cluster). The first
//! factor is the effect's significance, the second shrinks small samples: the same clear effect
//! in 5 runs gives 0.33, in 30 runs 0.75, in 100 runs 0.91.
//!
//! Two ways in: [`recommend`] over a slice of stored runs (the history filter's runs), and
//! [`InsightAggregates`], which keeps a compact fact per run as runs are written so findings
//! come without re-reading the store.

mod aggregates;
mod cache_miss;
mod duration_shift;
pub mod error_class;
pub mod facts;
mod failure_cluster;
mod finding;
mod node_share;
mod period;
mod queue_wait;
pub mod report;
pub mod report_data;
mod report_json;
mod report_sections;
mod runs_lost;
mod scope;
mod server_rate;
mod snapshot;
pub mod stats;
mod stream_drops;
mod vram_headroom;

pub use aggregates::InsightAggregates;
pub use error_class::{classify, ErrorClass};
pub use facts::{NoExtras, RunExtras};
pub use finding::{
    Evidence, EvidenceRun, Figure, Finding, Rule, Severity, Subject, SubjectKind, Unit,
};
pub use period::ReportPeriod;
pub use report::report;
pub use report_data::{ReportData, ReportOptions};
pub use scope::InsightScope;

use crate::history::StoredRun;
use crate::sort::sort_by;
use facts::{Names, RunFact};

/// Every finding the rules draw from `runs`, most severe and most certain first.
pub fn recommend(runs: &[StoredRun], now_ms: f64) -> Vec<Finding> {
    recommend_with(runs, &NoExtras, now_ms)
}

/// As [`recommend`], with parameters and graph hashes the caller knows.
pub fn recommend_with(runs: &[StoredRun], extras: &dyn RunExtras, now_ms: f64) -> Vec<Finding> {
    let mut names = Names::default();
    let facts: Vec<RunFact> = runs
        .iter()
        .map(|r| RunFact::of(r, extras, &mut names))
        .collect();
    evaluate(facts.iter().collect(), &names, now_ms)
}

/// What every rule sees: the facts in start order, the names and the time.
pub(crate) struct Ctx<'a> {
    pub names: &'a Names,
    pub now_ms: f64,
    /// Runs of each named workflow, in start order.
    pub workflows: Vec<(facts::Sym, Vec<&'a RunFact>)>,
    /// Runs of each server, in start order.
    pub servers: Vec<(facts::Sym, Vec<&'a RunFact>)>,
}

/// Facts grouped by an interned name, groups in order of first appearance: one pass, the
/// name's index into a dense table instead of a hash.
fn group_dense<'a>(
    facts: &[&'a RunFact],
    names: &Names,
    key: impl Fn(&RunFact) -> Option<facts::Sym>,
) -> Vec<(facts::Sym, Vec<&'a RunFact>)> {
    let mut slot: Vec<u32> = vec![u32::MAX; names.len()];
    let mut groups: Vec<(facts::Sym, Vec<&'a RunFact>)> = Vec::new();
    for f in facts {
        let Some(k) = key(f) else { continue };
        let Some(s) = slot.get_mut(k as usize) else {
            continue;
        };
        if *s == u32::MAX {
            *s = groups.len() as u32;
            groups.push((k, Vec::new()));
        }
        groups[*s as usize].1.push(f);
    }
    groups
}

impl Ctx<'_> {
    pub fn name(&self, s: facts::Sym) -> &str {
        self.names.get(s)
    }

    pub fn run(&self, f: &RunFact) -> EvidenceRun {
        EvidenceRun {
            prompt_id: f.prompt_id.to_string(),
            server: self.name(f.server).to_owned(),
            start_ms: f.start_ms,
        }
    }

    /// The evidence runs of facts in start order: the newest first, at most
    /// [`finding::MAX_EVIDENCE_RUNS`].
    pub fn latest<'f>(
        &self,
        facts: impl DoubleEndedIterator<Item = &'f RunFact>,
    ) -> Vec<EvidenceRun> {
        facts
            .rev()
            .take(finding::MAX_EVIDENCE_RUNS)
            .map(|f| self.run(f))
            .collect()
    }
}

/// Start order; ties broken by server and prompt id, so the order (and every finding's
/// evidence) does not depend on the order runs were written in.
pub(crate) fn sort_facts(facts: &mut [&RunFact], names: &Names) {
    sort_by(facts, |a, b| {
        a.start_ms
            .total_cmp(&b.start_ms)
            .then_with(|| names.get(a.server).cmp(names.get(b.server)))
            .then_with(|| a.prompt_id.cmp(&b.prompt_id))
    });
}

/// Runs every rule over the facts (any order; sorted here).
pub(crate) fn evaluate(mut facts: Vec<&RunFact>, names: &Names, now_ms: f64) -> Vec<Finding> {
    sort_facts(&mut facts, names);
    let ctx = Ctx {
        names,
        now_ms,
        workflows: group_dense(&facts, names, |f| {
            (!names.get(f.workflow).is_empty()).then_some(f.workflow)
        }),
        servers: group_dense(&facts, names, |f| Some(f.server)),
    };
    let mut out = Vec::new();
    duration_shift::find(&ctx, &mut out);
    node_share::find(&ctx, &mut out);
    failure_cluster::find(&ctx, &mut out);
    cache_miss::find(&ctx, &mut out);
    queue_wait::find(&ctx, &mut out);
    vram_headroom::find(&ctx, &mut out);
    runs_lost::find(&ctx, &mut out);
    stream_drops::find(&ctx, &mut out);
    sort_by(&mut out, |a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.confidence.total_cmp(&a.confidence))
            .then(a.rule.as_str().cmp(b.rule.as_str()))
            .then(a.subject.name.cmp(&b.subject.name))
    });
    out
}
