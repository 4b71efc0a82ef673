//! The recommendations over runs replayed from real ComfyUI recordings: a handful of runs is
//! no evidence of anything, so nothing is concluded, and the recorded error is classified.

mod common;
mod insight_support;
use common::*;
use insight_support::report_all;
use telemetry_core::history::StoredRun;
use telemetry_core::insight::{classify, recommend, ErrorClass, InsightAggregates};

fn recorded() -> Vec<StoredRun> {
    scenario_runs().iter().map(StoredRun::from_run).collect()
}

#[test]
fn a_few_recorded_runs_give_no_findings_and_a_complete_report() {
    let runs = recorded();
    assert!(runs.len() >= 6, "{}", runs.len());
    let now = runs.iter().map(|r| r.start_ms).fold(0.0, f64::max) + 1000.0;
    assert_eq!(recommend(&runs, now), Vec::new());
    assert!(InsightAggregates::of(&runs).findings(now).is_empty());
    let data = report_all(&runs, now);
    assert_eq!(data.totals.runs, runs.len());
    assert!(data.totals.failed >= 1 && data.totals.succeeded >= 1);
    // The submitter's stream alone does not name node types: untyped nodes are not listed.
    assert!(data.slowest_nodes.iter().all(|n| !n.node_type.is_empty()));
    assert_eq!(
        data.failures.iter().map(|f| f.count).sum::<usize>(),
        data.totals.failed
    );
}

#[test]
fn the_recorded_error_is_classified() {
    let runs = recorded();
    let failed: Vec<&StoredRun> = runs.iter().filter(|r| r.status == "failed").collect();
    assert!(!failed.is_empty());
    for r in failed {
        let e = r.run.error.as_ref().expect("a failed run has its error");
        let class = classify(e);
        eprintln!(
            "{:?} {:?} -> {class:?}",
            e.exception_type, e.exception_message
        );
        assert_ne!(class, ErrorClass::OutOfMemory, "{e:?}");
    }
}
