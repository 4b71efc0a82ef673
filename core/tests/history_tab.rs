//! The history tab's pure logic: URL queries, exports, imports, trends, comparisons.

mod common;
use common::*;
use telemetry_core::follow::ExitReason;
use telemetry_core::history::compare::{aligned_nodes, compare, timeline};
use telemetry_core::history::export::{csv, csv_header, json, CSV_COLUMNS};
use telemetry_core::history::import::{import, ImportError, ImportKind, GEMDIRECT_SERVER};
use telemetry_core::history::query::{format_date, format_iso, parse_date, parse_iso};
use telemetry_core::history::stats::{percentile, TrendsBuilder};
use telemetry_core::history::{HistoryQuery, SortKey, StoredRun, TextArena};
use telemetry_core::run::RunStatus;
use telemetry_core::warnings::{warnings_for, WarningContext};

#[test]
fn query_round_trips_through_the_url() {
    let q = HistoryQuery::from_pairs([
        ("status", "failed"),
        ("q", "probe failure & more"),
        ("from", "2026-11-01"),
        ("to", "2026-11-24"),
        ("exit", "maxWait"),
        ("gpu", "RTX 4090"),
        ("sort", "duration"),
        ("order", "asc"),
        ("bogus", "x"),
    ]);
    assert_eq!(q.status, Some(RunStatus::Failed));
    assert_eq!(q.sort, SortKey::Duration);
    assert!(q.ascending);
    let s = q.to_query_string();
    assert!(s.contains("q=probe%20failure%20%26%20more"), "{s}");
    let decoded: Vec<(String, String)> = s
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("pair");
            (k.to_owned(), percent_decode(v))
        })
        .collect();
    let again = HistoryQuery::from_pairs(decoded.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert_eq!(again, q);
    let junk = HistoryQuery::from_pairs([
        ("status", "nope"),
        ("from", "yesterday"),
        ("exit", "<script>"),
    ]);
    assert!(junk.is_empty(), "unreadable values are dropped, not errors");
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf8")
}

#[test]
fn dates_and_iso_times() {
    assert_eq!(parse_date("1970-01-02"), Some(86_400_000.0));
    assert_eq!(format_date(1_795_525_755_689.0), "2026-11-24");
    assert_eq!(format_iso(1_795_525_755_689.0), "2026-11-24T13:09:15.689Z");
    assert_eq!(
        parse_iso("2026-11-24T13:09:15.689Z"),
        Some(1_795_525_755_689.0)
    );
    assert_eq!(
        parse_iso("2026-11-24T15:09:15.689+02:00"),
        Some(1_795_525_755_689.0)
    );
    assert_eq!(parse_date("2026-13-01"), None);
    assert_eq!(parse_iso("2026-11-24T25:00:00Z"), None);
}

#[test]
fn filters_match_what_a_person_asks_for() {
    let stored: Vec<StoredRun> = scenario_runs().iter().map(StoredRun::from_run).collect();
    let count = |pairs: &[(&str, &str)]| {
        let q = HistoryQuery::from_pairs(pairs.iter().copied());
        stored.iter().filter(|r| q.matches(r)).count()
    };
    assert_eq!(count(&[]), 8);
    assert_eq!(count(&[("status", "failed")]), 1);
    assert_eq!(count(&[("status", "interrupted")]), 1);
    assert_eq!(count(&[("status", "succeeded")]), 6);
    assert_eq!(
        count(&[("q", "BOOM")]),
        1,
        "error text is searchable, case-insensitively"
    );
    assert_eq!(count(&[("q", "failafter")]), 1, "node types are searchable");
    assert_eq!(
        count(&[("q", "probe_40fe31_00001_.png")]),
        2,
        "output file names are searchable"
    );
    assert_eq!(count(&[("q", "f265f327")]), 1);
    assert_eq!(count(&[("exit", "streamed")]), 8);
    assert_eq!(count(&[("from", "2026-11-25")]), 0);
    let mut sorted = stored.clone();
    let q = HistoryQuery::from_pairs([("sort", "duration")]);
    sorted.sort_by(|a, b| q.compare(a, b));
    assert!(
        sorted
            .windows(2)
            .all(|w| w[0].duration_ms >= w[1].duration_ms),
        "longest first"
    );
}

/// The store answers free text from a `TextArena` of the runs' search texts; it must find what
/// the filter finds on the recorded sessions' runs, whatever the query's case.
#[test]
fn the_text_arena_finds_what_the_text_filter_finds() {
    let stored: Vec<StoredRun> = scenario_runs().iter().map(StoredRun::from_run).collect();
    let mut index = TextArena::new();
    for r in &stored {
        index.upsert(&r.key, &r.search);
    }
    for text in [
        "BOOM",
        "failafter",
        "probe_40fe31_00001_.png",
        "f265f327",
        "sa",
        "e",
        "nothing like it",
    ] {
        let q = HistoryQuery::from_pairs([("q", text)]);
        assert!(q.is_text_only());
        let mut want: Vec<&str> = stored
            .iter()
            .filter(|r| q.matches(r))
            .map(|r| r.key.as_str())
            .collect();
        let needle = q.search_needle().expect("free text");
        let mut got: Vec<&str> = Vec::new();
        assert_eq!(index.matching(&needle, |k| got.push(k)), got.len());
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{text}");
    }
    assert!(!HistoryQuery::from_pairs([("q", "x"), ("status", "failed")]).is_text_only());
    assert!(!HistoryQuery::from_pairs([("status", "failed")]).is_text_only());
}

#[test]
fn csv_has_a_row_per_run_and_cannot_run_formulas() {
    let mut runs = scenario_runs();
    let mut evil = runs[0].clone();
    evil.prompt_id = "=HYPERLINK(\"http://x\")".into();
    evil.workflow = Some("+cmd, with \"quotes\"".into());
    runs.push(evil);
    let text = csv(&runs);
    assert!(text.starts_with('\u{feff}'));
    assert!(text.starts_with(&csv_header()));
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), runs.len() + 1);
    assert_eq!(
        lines[0].trim_start_matches('\u{feff}').split(',').count(),
        CSV_COLUMNS.len()
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("\"'=HYPERLINK(\"\"http://x\"\")\"")),
        "{lines:?}"
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("\"'+cmd, with \"\"quotes\"\"\"")));
    let error_line = lines
        .iter()
        .find(|l| l.contains(",failed,"))
        .expect("failed run");
    assert!(error_line.contains("RuntimeError") && error_line.contains("probe failure: boom"));
    let success = lines
        .iter()
        .find(|l| l.starts_with("f265f327"))
        .expect("a_success");
    assert!(
        success.contains(",succeeded,streamed,") && success.contains(",2.008,"),
        "{success}"
    );
}

#[test]
fn json_backup_round_trips_without_loss() {
    let runs = scenario_runs();
    let text = json(runs.clone(), 1_795_525_755_689.0);
    let back = import(&text).expect("imports");
    assert_eq!(back.kind, ImportKind::Backup);
    assert_eq!(back.skipped, 0);
    assert_eq!(back.runs, runs);
    assert!(matches!(
        import("{\"x\":1}"),
        Err(ImportError::UnknownFormat)
    ));
    assert!(matches!(import("nope"), Err(ImportError::NotJson(_))));
    let newer = text.replacen("\"version\": 1", "\"version\": 9", 1);
    assert!(matches!(import(&newer), Err(ImportError::TooNew(9))));
}

#[test]
fn gemdirect_metadata_becomes_one_run_per_scene() {
    let path = fixtures().join("../gemdirect1/artifact-metadata.json");
    let text = std::fs::read_to_string(path).expect("gemdirect fixture");
    let imported = import(&text).expect("imports");
    assert_eq!(imported.kind, ImportKind::GemDirect);
    assert_eq!(imported.runs.len(), 1);
    let run = &imported.runs[0];
    assert_eq!(run.server, GEMDIRECT_SERVER);
    assert_eq!(run.prompt_id, "test/scene-001");
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.gpu_name.as_deref(), Some("NVIDIA GeForce RTX 3090"));
    assert_eq!(run.vram_delta(), Some(-603_979_776.0));
    assert_eq!(run.duration_ms(0.0), Some(10_000.0));
    let follow = run.follow.as_ref().expect("policy");
    assert_eq!(follow.exit, Some(ExitReason::Success));
    assert_eq!(follow.attempts, 3);
    assert_eq!(follow.policy.max_attempts, 3);
    assert_eq!(follow.policy.max_wait_s, 600);
    assert_eq!(
        follow.waited_ms, None,
        "not recorded by the producer, so not shown"
    );
    let codes: Vec<_> = warnings_for(run, &WarningContext::default())
        .iter()
        .map(|w| w.code)
        .collect();
    assert!(codes.is_empty(), "a successful scene is clean: {codes:?}");
    let again = import(&text).expect("imports");
    assert_eq!(
        again.runs[0].prompt_id, run.prompt_id,
        "re-importing gives the same key: no duplicates"
    );
}

#[test]
fn trends_use_one_scale_and_nearest_rank_percentiles() {
    assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.0));
    assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 95.0), Some(4.0));
    assert_eq!(percentile(&[], 50.0), None);
    let mut b = TrendsBuilder::default();
    for r in scenario_runs() {
        b.add(&StoredRun::from_run(&r));
    }
    let t = b.finish();
    assert_eq!((t.runs, t.succeeded, t.failed, t.interrupted), (8, 6, 1, 1));
    assert_eq!(t.success_rate(), Some(0.75));
    assert_eq!(t.duration.len(), 6);
    let w = t
        .workflows
        .iter()
        .find(|w| w.runs == 8)
        .expect("all scenario runs share no workflow name");
    assert!(w.p50_ms.is_none() || w.p50_ms <= w.p95_ms);
}

#[test]
fn comparison_highlights_differences_and_timelines_align() {
    let a = replay("a_success", "ws_submitter").tracker.runs()[0].clone();
    let b = replay("b_cached", "ws_submitter").tracker.runs()[0].clone();
    let rows = compare(&[&a, &b]);
    let row = |f: &str| rows.iter().find(|r| r.field == f).expect(f).clone();
    assert!(row("nodes_cached").differs);
    assert_eq!(row("nodes_cached").values, vec!["0", "3"]);
    assert!(!row("status").differs);
    assert!(row("duration_s").differs);
    let bars = timeline(&a);
    assert_eq!(bars.len(), 3);
    assert_eq!(bars[0].node_id, "1");
    assert_eq!(bars[0].start_ms, Some(0.0));
    let sampler = bars.iter().find(|b| b.node_id == "2").expect("node 2");
    assert!(
        sampler.duration_ms.unwrap_or(0.0) > 1500.0,
        "ten 0.2 s steps: {sampler:?}"
    );
    assert!(timeline(&b).iter().all(|bar| bar.cached));
    assert_eq!(aligned_nodes(&[&a, &b]), vec!["1", "2", "3"]);
}
