//! The report's data (`/report`): what a printed weekly summary says, from the same runs the
//! history filter shows, and the same value as JSON.

mod insight_support;
use insight_support::*;
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::insight::ReportOptions;
use telemetry_core::insight::{
    recommend, report, ErrorClass, InsightAggregates, InsightScope, ReportData, Rule,
};
use telemetry_core::run::RunStatus;

/// A week: a slowdown half way, every fifth run out of memory, a second server with queue
/// waits, one lost run.
fn week() -> Vec<StoredRun> {
    let mut noise = Noise::new(31);
    let mut specs = Vec::new();
    for i in 0..60 {
        let d = if i < 30 { 10_000.0 } else { 20_000.0 };
        let s = Spec::new(
            format!("w{i}"),
            T0 + i as f64 * 3_600_000.0,
            noise.around(d, 0.1),
        )
        .memory(12.0 * GIB, 24.0 * GIB);
        specs.push(if i % 5 == 4 {
            s.failed("torch.OutOfMemoryError", "Allocation on device")
        } else {
            s
        });
    }
    for i in 0..20 {
        specs.push(
            Spec::new(
                format!("b{i}"),
                T0 + i as f64 * 7_200_000.0 + 60_000.0,
                5_000.0,
            )
            .server("http://gpu-b:8188")
            .wait(30_000.0 + i as f64 * 1000.0)
            .nodes(vec![
                ran("1", "LoadImage", 200.0),
                ran("2", "ImageScale", 4_000.0),
            ]),
        );
    }
    specs.push(Spec::new("lost", T0 + 5.0 * DAY, 0.0).status(RunStatus::Unknown));
    build(&specs)
}

fn at() -> f64 {
    T0 + 7.0 * DAY
}

#[test]
fn the_report_has_every_section_of_the_period() {
    let runs = week();
    let data = report_all(&runs, at());
    let t = &data.totals;
    assert_eq!(t.runs, 81);
    assert_eq!((t.succeeded, t.failed, t.lost), (68, 12, 1));
    assert_eq!(
        t.runs,
        t.succeeded + t.failed + t.interrupted + t.cancelled + t.lost + t.running + t.queued
    );
    assert_eq!(data.success_rate, Some(68.0 / 80.0));
    assert_eq!(data.period.first_run_ms, Some(T0));
    assert_eq!(data.period.last_run_ms, Some(T0 + 5.0 * DAY));
    assert_eq!(data.period.from_ms, None);

    let main = &data.workflows[0];
    assert_eq!(
        main.workflow,
        "CheckpointLoaderSimple → KSampler → VAEDecode"
    );
    assert_eq!(
        (main.runs, main.succeeded),
        (61, 48),
        "the lost run counts, not as ended"
    );
    assert_eq!(main.success_rate, Some(0.8));
    let (p50, p95) = (main.p50_ms.expect("p50"), main.p95_ms.expect("p95"));
    assert!(p50 < p95, "{p50} < {p95}");
    assert!((17_000.0..22_000.0).contains(&p95), "{p95}");
    assert_eq!(main.trend.len(), 3, "60 hourly runs span three UTC days");
    assert_eq!(main.trend.iter().map(|d| d.runs).sum::<usize>(), 48);

    assert_eq!(data.slowest_nodes[0].node_type, "KSampler");
    assert!(data
        .slowest_nodes
        .windows(2)
        .all(|w| w[0].total_ms >= w[1].total_ms));

    assert_eq!(data.failures.len(), 1);
    assert_eq!(data.failures[0].class, ErrorClass::OutOfMemory);
    assert_eq!(data.failures[0].count, 12);
    assert_eq!(data.failures[0].runs[0].prompt_id, "w59");

    assert_eq!(data.queue_wait.len(), 1);
    assert_eq!(data.queue_wait[0].server, "http://gpu-b:8188");
    assert_eq!(data.queue_wait[0].max_ms, 49_000.0);

    assert_eq!(data.memory.len(), 1);
    assert_eq!(data.memory[0].total_bytes, 24.0 * GIB);
    assert_eq!(data.memory[0].peak_max_bytes, 12.0 * GIB);

    let rules: Vec<Rule> = data.findings.iter().map(|f| f.rule).collect();
    for rule in [
        Rule::WorkflowSlower,
        Rule::FailureCluster,
        Rule::QueueWaitExceedsRun,
    ] {
        assert!(rules.contains(&rule), "{rule:?} in {rules:?}");
    }
    assert_eq!(data.findings, recommend(&runs, at()));

    assert_eq!(data.runs.len(), 81);
    assert_eq!(data.runs[0].prompt_id, "lost", "newest first");
    assert_eq!(data.runs_omitted, 0);
}

#[test]
fn the_report_follows_the_history_filter() {
    let runs = week();
    let q = HistoryQuery::from_pairs([("server", "http://gpu-b:8188"), ("from", "2026-11-18")]);
    let data = report(&runs, &q, at(), &ReportOptions::default());
    same_json(&data);
    assert_eq!(data.totals.runs, 20);
    assert_eq!(data.period.from_ms, q.from_ms);
    assert_eq!(data.scope.server.as_deref(), Some("http://gpu-b:8188"));
    assert!(
        data.scope.query.contains("server=http"),
        "{}",
        data.scope.query
    );
    // Free text filters too, and stays in the scope's query string.
    let text = HistoryQuery::from_pairs([("q", "outofmemory")]);
    let data = report(&runs, &text, at(), &ReportOptions::default());
    same_json(&data);
    assert_eq!(data.totals.runs, 12);
    assert_eq!(data.scope.query, "q=outofmemory");
    // A long list is cut, and says how much was left out.
    let short = ReportOptions {
        max_runs: 10,
        ..ReportOptions::default()
    };
    let data = report(&runs, &HistoryQuery::default(), at(), &short);
    same_json(&data);
    assert_eq!((data.runs.len(), data.runs_omitted), (10, 71));
}

#[test]
fn the_aggregates_give_the_same_report_without_the_records() {
    let runs = week();
    let q = HistoryQuery::from_pairs([("status", "failed")]);
    let agg = InsightAggregates::of(&runs);
    let scope = InsightScope::from_query(&q).expect("no text");
    let opts = ReportOptions::default();
    assert_eq!(
        agg.report(&scope, at(), &opts),
        report(&runs, &q, at(), &opts)
    );
}

#[test]
fn the_report_is_json_with_its_period_totals_and_findings() {
    let runs = week();
    let data = report_all(&runs, at());
    let json = data.to_json();
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["totals"]["runs"], 81);
    assert_eq!(v["period"]["first_run_ms"], T0);
    assert_eq!(v["failures"][0]["class"], "out-of-memory");
    assert_eq!(v["runs"][0]["status"], "unknown");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"workflow-slower"), "{rules:?}");
    let f = &v["findings"][0];
    for key in ["severity", "confidence", "message", "subject", "evidence"] {
        assert!(!f[key].is_null(), "{key} in {f}");
    }
    assert!(f["evidence"]["runs"][0]["prompt_id"].is_string());
    let back: ReportData = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back.totals, data.totals);
    assert_eq!(back.findings.len(), data.findings.len());
}

#[test]
fn an_empty_history_gives_an_empty_report_and_no_findings() {
    let data = report_all(&[], at());
    assert_eq!(data.totals.runs, 0);
    assert_eq!(data.success_rate, None);
    assert!(data.findings.is_empty() && data.workflows.is_empty() && data.runs.is_empty());
    assert_eq!(data.period.first_run_ms, None);
}
