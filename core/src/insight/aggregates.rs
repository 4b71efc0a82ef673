//! The insight state kept as runs are written: one compact [`RunFact`] per run (about 150 bytes
//! plus 16 per node, names interned), so the panel's findings come from memory instead of a
//! re-read of every stored record. Writing a run again (each status change, each progress
//! write) replaces its fact: adding is idempotent, and the latest write of a run is the most
//! complete one because records only gain information.
//!
//! Written as text (`snapshot.rs`), so the shell can keep a snapshot and start from it after a
//! reload.

use super::facts::{Names, NoExtras, RunExtras, RunFact, Sym};
use super::report_data::{ReportData, ReportOptions};
use super::scope::InsightScope;
use super::{evaluate, Finding};
use crate::history::StoredRun;
use crate::str_map::StrSet;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InsightAggregates {
    names: Names,
    facts: Vec<RunFact>,
    /// Each fact's [`key`] at the fact's own position in `facts`: a [`StrSet`] moves its last
    /// key into a removed one's place as `Vec::swap_remove` does. Its table code is the one the
    /// live path already has (bytes, issue #22).
    index: StrSet,
}

/// A fact's key: its prompt id and its server's name number.
fn key(server: Sym, prompt_id: &str) -> String {
    format!("{prompt_id}\0{server}")
}

impl InsightAggregates {
    /// The aggregates of these names and facts (a snapshot read back); the index is rebuilt.
    pub(super) fn from_parts(names: Names, facts: Vec<RunFact>) -> InsightAggregates {
        let mut a = InsightAggregates {
            names,
            facts: Vec::with_capacity(facts.len()),
            index: StrSet::new(),
        };
        for f in facts {
            a.put(f);
        }
        a
    }

    /// What a snapshot keeps: the names and the facts.
    pub(super) fn parts(&self) -> (&Names, &[RunFact]) {
        (&self.names, &self.facts)
    }

    pub fn new() -> InsightAggregates {
        InsightAggregates::default()
    }

    /// Builds the aggregates of many runs at once.
    pub fn of(runs: &[StoredRun]) -> InsightAggregates {
        let mut a = InsightAggregates::new();
        for r in runs {
            a.add(r);
        }
        a
    }

    /// Takes in a run as it is written (again): its fact replaces any earlier one.
    pub fn add(&mut self, run: &StoredRun) {
        self.add_with(run, &NoExtras);
    }

    /// As [`add`](Self::add), with the parameters and graph hash the caller knows.
    pub fn add_with(&mut self, run: &StoredRun, extras: &dyn RunExtras) {
        let fact = RunFact::of(run, extras, &mut self.names);
        self.put(fact);
    }

    fn put(&mut self, fact: RunFact) {
        let i = self
            .index
            .position_or_insert(&key(fact.server, &fact.prompt_id));
        match self.facts.get_mut(i) {
            Some(known) => *known = fact,
            None => self.facts.push(fact),
        }
    }

    /// Forgets a deleted run; true when it was known.
    pub fn remove(&mut self, server: &str, prompt_id: &str) -> bool {
        let Some(s) = self.names.lookup(server) else {
            return false;
        };
        let Some(i) = self.index.remove_position(&key(s, prompt_id)) else {
            return false;
        };
        self.facts.swap_remove(i);
        true
    }

    pub fn clear(&mut self) {
        *self = InsightAggregates::default();
    }

    /// Runs known.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// Every finding over every run known.
    pub fn findings(&self, now_ms: f64) -> Vec<Finding> {
        evaluate(self.facts.iter().collect(), &self.names, now_ms)
    }

    /// The findings over the runs in a scope (the history filter's).
    pub fn findings_in(&self, scope: &InsightScope, now_ms: f64) -> Vec<Finding> {
        evaluate(self.in_scope(scope), &self.names, now_ms)
    }

    /// The report's data over the runs in a scope.
    pub fn report(&self, scope: &InsightScope, now_ms: f64, options: &ReportOptions) -> ReportData {
        ReportData::from_facts(self.in_scope(scope), &self.names, scope, now_ms, options)
    }

    fn in_scope(&self, scope: &InsightScope) -> Vec<&RunFact> {
        self.facts
            .iter()
            .filter(|f| scope.matches(f, &self.names))
            .collect()
    }
}
