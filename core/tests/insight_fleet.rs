//! Server and device rules of the recommendations (queue wait, memory headroom, lost runs,
//! stream drops), and the incremental aggregates that give the panel its findings without
//! re-reading the store.

mod insight_support;
use insight_support::*;
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::insight::{
    recommend, Finding, InsightAggregates, InsightScope, Rule, Severity, SubjectKind,
};
use telemetry_core::run::RunStatus;

fn queued(n: usize, wait: f64, run: f64) -> Vec<StoredRun> {
    let mut noise = Noise::new(21);
    let specs: Vec<Spec> = (0..n)
        .map(|i| {
            Spec::new(
                format!("q{i}"),
                T0 + i as f64 * 300_000.0,
                noise.around(run, 0.2),
            )
            .wait(noise.around(wait, 0.3))
        })
        .collect();
    build(&specs)
}

#[test]
fn a_server_whose_queue_wait_exceeds_run_time_needs_help() {
    let runs = queued(30, 60_000.0, 20_000.0);
    let found = of(&recommend(&runs, now(&runs)), Rule::QueueWaitExceedsRun);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.subject.kind, SubjectKind::Server);
    assert_eq!(f.subject.name, "http://gpu-a:8188");
    assert_eq!(f.severity, Severity::Warning, "3× the run time");
    let wait = f.evidence.figure("median_wait_ms").expect("wait");
    assert!((50_000.0..70_000.0).contains(&wait), "{wait}");
    assert_eq!(f.evidence.figure("share_waiting_longer"), Some(1.0));
    assert!(f.message.contains("second server"), "{}", f.message);
    assert_eq!(f.evidence.figure("period_from"), Some(T0));
}

#[test]
fn short_waits_or_few_runs_say_nothing_about_the_queue() {
    let runs = queued(40, 2_000.0, 20_000.0);
    assert!(of(&recommend(&runs, now(&runs)), Rule::QueueWaitExceedsRun).is_empty());
    let few = queued(6, 60_000.0, 20_000.0);
    assert!(of(&recommend(&few, now(&few)), Rule::QueueWaitExceedsRun).is_empty());
}

#[test]
fn queue_wait_confidence_grows_with_the_sample() {
    let c = |n| {
        let runs = queued(n, 60_000.0, 20_000.0);
        of(&recommend(&runs, now(&runs)), Rule::QueueWaitExceedsRun)[0].confidence
    };
    assert!(c(12) < c(60), "{} < {}", c(12), c(60));
}

fn memory(n: usize, share: f64, oom_every: Option<usize>) -> Vec<StoredRun> {
    let mut noise = Noise::new(23);
    let specs: Vec<Spec> = (0..n)
        .map(|i| {
            let s = Spec::new(format!("m{i}"), T0 + i as f64 * 300_000.0, 10_000.0)
                .memory(24.0 * GIB * noise.around(share, 0.04).min(1.0), 24.0 * GIB);
            match oom_every {
                Some(k) if i % k == 0 => s.failed("torch.OutOfMemoryError", "Allocation on device"),
                _ => s,
            }
        })
        .collect();
    build(&specs)
}

#[test]
fn memory_peaking_near_the_device_size_is_an_oom_risk() {
    let runs = memory(20, 0.95, None);
    let found = of(&recommend(&runs, now(&runs)), Rule::VramHeadroom);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.subject.kind, SubjectKind::Device);
    assert_eq!(f.subject.name, "NVIDIA RTX 4090");
    assert_eq!(f.subject.detail.as_deref(), Some("near-limit"));
    assert!(f.message.contains("24576 MB"), "{}", f.message);
    assert!(f.evidence.figure("max_share").expect("max") >= 0.95);
    // With out-of-memory failures on the same device it is critical.
    let oom = memory(20, 0.95, Some(5));
    let f = of(&recommend(&oom, now(&oom)), Rule::VramHeadroom)
        .pop()
        .expect("near");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.evidence.figure("oom_failures"), Some(4.0));
}

#[test]
fn memory_far_below_the_device_size_leaves_room() {
    let runs = memory(20, 0.3, None);
    let f = of(&recommend(&runs, now(&runs)), Rule::VramHeadroom)
        .pop()
        .expect("room");
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(f.subject.detail.as_deref(), Some("room"));
    assert!(f.message.contains("larger batches"), "{}", f.message);
    // Peaks known only from the run chart's series count the same.
    let series: Vec<StoredRun> = runs
        .iter()
        .cloned()
        .map(|r| with_series_peak(r, 0.3 * 24_576.0, 24_576.0))
        .collect();
    assert_eq!(
        of(&recommend(&series, now(&series)), Rule::VramHeadroom).len(),
        1
    );
}

#[test]
fn memory_in_the_comfortable_middle_says_nothing() {
    let runs = memory(40, 0.7, None);
    assert!(of(&recommend(&runs, now(&runs)), Rule::VramHeadroom).is_empty());
    let few = memory(5, 0.3, None);
    assert!(of(&recommend(&few, now(&few)), Rule::VramHeadroom).is_empty());
    let none = build(&[Spec::new("x", T0, 1_000.0)]);
    assert!(recommend(&none, now(&none)).is_empty());
}

#[test]
fn memory_confidence_grows_with_the_sample() {
    let c = |n| {
        let runs = memory(n, 0.3, None);
        of(&recommend(&runs, now(&runs)), Rule::VramHeadroom)[0].confidence
    };
    assert!(c(10) < c(50), "{} < {}", c(10), c(50));
}

fn with_lost(n: usize, lost_every: usize) -> Vec<Spec> {
    (0..n)
        .map(|i| {
            let s = Spec::new(format!("l{i}"), T0 + i as f64 * 300_000.0, 10_000.0);
            if i % lost_every == 1 {
                s.status(RunStatus::Unknown)
            } else {
                s
            }
        })
        .collect()
}

#[test]
fn runs_lost_with_their_server_are_reported_per_server() {
    let mut specs = with_lost(30, 6);
    // Another, healthy server is not named.
    specs.extend((0..30).map(|i| {
        Spec::new(format!("h{i}"), T0 + i as f64 * 1000.0, 5_000.0).server("http://gpu-b:8188")
    }));
    // A run left "running" for a day counts as lost too.
    specs.push(Spec::new("stale", T0, 0.0).status(RunStatus::Running));
    let runs = build(&specs);
    let found = of(&recommend(&runs, T0 + DAY), Rule::RunsLost);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.subject.name, "http://gpu-a:8188");
    assert_eq!(f.evidence.figure("lost"), Some(6.0));
    assert_eq!(f.evidence.figure("never_finished"), Some(1.0));
    assert!(f.evidence.runs.iter().any(|r| r.prompt_id == "stale"));
    // The same running run, seen a minute ago, is not lost.
    let fresh = of(&recommend(&runs, T0 + 120_000.0), Rule::RunsLost);
    assert_eq!(fresh[0].evidence.figure("lost"), Some(5.0));
}

#[test]
fn a_single_lost_run_in_many_says_nothing() {
    let runs = build(&with_lost(200, 1000));
    assert!(of(&recommend(&runs, now(&runs)), Rule::RunsLost).is_empty());
}

#[test]
fn a_server_that_drops_the_stream_often_is_named() {
    let specs: Vec<Spec> = (0..40)
        .map(|i| {
            let s = Spec::new(format!("d{i}"), T0 + i as f64 * 300_000.0, 10_000.0);
            if i % 5 == 0 {
                s.stream_lost()
            } else {
                s
            }
        })
        .collect();
    let runs = build(&specs);
    let f = of(&recommend(&runs, now(&runs)), Rule::StreamDrops)
        .pop()
        .expect("drops");
    assert_eq!(f.evidence.figure("dropped"), Some(8.0));
    assert!(f.message.contains("network or proxy"), "{}", f.message);
    let rare: Vec<StoredRun> = build(
        &(0..100)
            .map(|i| {
                let s = Spec::new(format!("r{i}"), T0 + i as f64 * 1000.0, 1_000.0);
                if i == 50 {
                    s.stream_lost()
                } else {
                    s
                }
            })
            .collect::<Vec<_>>(),
    );
    assert!(of(&recommend(&rare, now(&rare)), Rule::StreamDrops).is_empty());
}

#[test]
fn lost_and_dropped_confidence_grows_with_the_sample() {
    let lost = |n| {
        let runs = build(&with_lost(n, 6));
        of(&recommend(&runs, now(&runs)), Rule::RunsLost)[0].confidence
    };
    assert!(lost(12) < lost(120), "{} < {}", lost(12), lost(120));
    let dropped = |n: usize| {
        let specs: Vec<Spec> = (0..n)
            .map(|i| {
                let s = Spec::new(format!("d{i}"), T0 + i as f64 * 1000.0, 1_000.0);
                if i % 4 == 0 {
                    s.stream_lost()
                } else {
                    s
                }
            })
            .collect();
        let runs = build(&specs);
        of(&recommend(&runs, now(&runs)), Rule::StreamDrops)[0].confidence
    };
    assert!(
        dropped(12) < dropped(120),
        "{} < {}",
        dropped(12),
        dropped(120)
    );
    let near = |n| {
        let runs = memory(n, 0.95, None);
        of(&recommend(&runs, now(&runs)), Rule::VramHeadroom)[0].confidence
    };
    assert!(near(4) < near(40), "{} < {}", near(4), near(40));
}

fn mixed_history() -> Vec<StoredRun> {
    let mut runs = build(&with_lost(30, 6));
    runs.extend(queued(30, 60_000.0, 20_000.0));
    runs.extend(memory(20, 0.95, Some(5)));
    runs
}

#[test]
fn aggregates_kept_as_runs_are_written_give_the_same_findings() {
    let runs = mixed_history();
    let at = now(&runs);
    let mut agg = InsightAggregates::new();
    for r in &runs {
        // Each run is written several times as it goes (started, progress, ended).
        let mut early = r.clone();
        early.status = "running".into();
        early.duration_ms = -1.0;
        agg.add(&early);
        agg.add(r);
        agg.add(r);
    }
    assert_eq!(agg.len(), runs.len());
    let expected = recommend(&runs, at);
    assert!(!expected.is_empty());
    assert_eq!(agg.findings(at), expected);
    // Deleting runs forgets them.
    for r in runs.iter().filter(|r| r.status == "unknown") {
        assert!(agg.remove(&r.server, &r.prompt_id));
    }
    assert!(!agg.remove("http://nowhere", "x"));
    assert!(of(&agg.findings(at), Rule::RunsLost).is_empty());
    let kept: Vec<StoredRun> = runs
        .iter()
        .filter(|r| r.status != "unknown")
        .cloned()
        .collect();
    assert_eq!(agg.findings(at), recommend(&kept, at));
    // A snapshot restores to the same aggregates, and so to the same findings.
    let text = agg.to_snapshot();
    let back = InsightAggregates::from_snapshot(&text).expect("decodes");
    assert_eq!(back, agg);
    let gist = |f: Vec<Finding>| -> Vec<(Rule, Severity, String, String, f64)> {
        f.into_iter()
            .map(|f| {
                (
                    f.rule,
                    f.severity,
                    f.message.clone(),
                    f.run_ids(),
                    f.confidence,
                )
            })
            .collect()
    };
    assert_eq!(back.len(), agg.len());
    assert_eq!(gist(back.findings(at)), gist(agg.findings(at)));
}

#[test]
fn a_scope_gives_the_findings_of_the_filtered_runs() {
    let runs = mixed_history();
    let at = now(&runs);
    let agg = InsightAggregates::of(&runs);
    let query = HistoryQuery::from_pairs([("status", "failed")]);
    let scope = InsightScope::from_query(&query).expect("no text");
    let filtered: Vec<StoredRun> = runs.iter().filter(|r| query.matches(r)).cloned().collect();
    assert_eq!(agg.findings_in(&scope, at), recommend(&filtered, at));
    let later = HistoryQuery::from_pairs([("from", "2026-11-18")]);
    let scope = InsightScope::from_query(&later).expect("no text");
    let filtered: Vec<StoredRun> = runs.iter().filter(|r| later.matches(r)).cloned().collect();
    assert_eq!(agg.findings_in(&scope, at), recommend(&filtered, at));
    assert!(InsightScope::from_query(&HistoryQuery::from_pairs([("q", "oom")])).is_none());
}

#[test]
fn a_finding_concerns_its_runs_and_its_subject() {
    let runs = memory(20, 0.95, Some(5));
    let findings = recommend(&runs, now(&runs));
    let cluster = of(&findings, Rule::FailureCluster).pop().expect("cluster");
    let failed = runs.iter().find(|r| r.prompt_id == "m15").expect("run");
    assert!(cluster.concerns(failed));
    assert!(cluster.run_ids().split(',').any(|id| id == "m15"));
    let elsewhere = Spec::new("z", T0, 1.0)
        .server("http://other")
        .nodes(vec![ran("1", "Other", 1.0)])
        .build();
    assert!(!cluster.concerns(&elsewhere));
}
