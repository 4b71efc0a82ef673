//! The data of the printable report (`/report`), in one pure function: period and scope, totals
//! and success rate, per-workflow p50/p95 with a daily trend, the slowest node types, failures
//! by class, queue wait per server, memory per device, the findings and the list of runs. The
//! page draws it; the same value serialized is the report's JSON.

use super::evaluate;
use super::facts::{Names, NoExtras, RunFact};
use super::report_data::{Period, ReportData, ReportOptions};
use super::report_sections as sections;
use super::scope::InsightScope;
use crate::history::{HistoryQuery, StoredRun};

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

impl ReportData {
    pub(crate) fn from_facts(
        mut facts: Vec<&RunFact>,
        names: &Names,
        scope: &InsightScope,
        now_ms: f64,
        options: &ReportOptions,
    ) -> ReportData {
        super::sort_facts(&mut facts, names);
        let totals = sections::totals(&facts, now_ms);
        let ended = totals.succeeded + totals.failed + totals.interrupted;
        let (queue_wait, memory) = sections::queue_and_memory(&facts, names);
        let runs = sections::run_list(&facts, names, options);
        ReportData {
            generated_at_ms: now_ms,
            scope: scope.clone(),
            period: Period {
                from_ms: scope.from_ms,
                to_ms: scope.to_ms,
                first_run_ms: facts.first().map(|f| f.start_ms),
                last_run_ms: facts.last().map(|f| f.start_ms),
            },
            success_rate: (ended > 0).then(|| totals.succeeded as f64 / ended as f64),
            totals,
            workflows: sections::workflows(&facts, names, options),
            slowest_nodes: sections::slowest_nodes(&facts, names, options),
            failures: sections::failures(&facts, names),
            queue_wait,
            memory,
            runs_omitted: facts.len() - runs.len(),
            runs,
            findings: evaluate(facts, names, now_ms),
        }
    }

    /// The report as JSON, for download (`report_json.rs`).
    pub fn to_json(&self) -> String {
        super::report_json::report_json(self)
    }
}
