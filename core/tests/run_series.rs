//! Each run's chart belongs to it: sampled in the core per run id at every flush, so a fully
//! cached run (it starts and ends within one window) gets its own one-sample chart instead of
//! showing the previous run's. Real recordings: `a_success` then the identical `b_cached`.

mod common;

use common::frames;
use telemetry_core::input::Input;
use telemetry_core::pipeline::Pipeline;
use telemetry_core::run::RunStatus;
use telemetry_core::trace::{Payload, TraceFrame};

/// Feeds frames as the shell's driver would: each flush timer fires before a later frame.
fn play(p: &mut Pipeline, frames: &[TraceFrame]) {
    let mut flush_at: Option<f64> = None;
    for f in frames {
        if let Some(at) = flush_at.filter(|at| *at <= f.t_ms) {
            p.take(at);
        }
        let step = match &f.payload {
            Payload::Text(t) => p.step(Input::Text(t), f.t_ms),
            Payload::Binary(b) => p.step(Input::Binary(b), f.t_ms),
        };
        flush_at = step.flush_at;
    }
    p.take(frames.last().map_or(0.0, |f| f.t_ms));
}

fn run_id(p: &Pipeline, pick: impl Fn(&telemetry_core::Run) -> bool) -> String {
    p.tracker()
        .runs()
        .into_iter()
        .find(|r| pick(r))
        .map(|r| r.prompt_id.clone())
        .expect("run")
}

#[test]
fn a_fully_cached_run_has_its_own_chart_not_the_previous_runs() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let mut all = frames("a_success", "ws_submitter");
    all.extend(frames("b_cached", "ws_submitter"));
    all.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    play(&mut p, &all[..frames("a_success", "ws_submitter").len()]);
    let first = run_id(&p, |r| r.status == RunStatus::Succeeded);
    let before = p.series(&first).expect("the first run's chart").clone();
    assert!(
        before.samples.len() >= 5,
        "sampled while it ran: {}",
        before.samples.len()
    );
    assert!(before.span_ms() > 1000.0);
    assert_eq!(before.latest().and_then(|s| s.progress), Some(1.0));

    play(&mut p, &all[frames("a_success", "ws_submitter").len()..]);
    let cached = run_id(&p, |r| {
        r.prompt_id != first && r.status == RunStatus::Succeeded
    });
    assert_eq!(p.tracker().run(&cached).map(|r| r.nodes_cached()), Some(3));
    let series = p
        .series(&cached)
        .expect("the cached run has a chart of its own");
    assert_eq!(series.prompt_id, cached);
    assert!(
        series.span_ms() < 200.0,
        "took about nothing: {}",
        series.span_ms()
    );
    let last = series.latest().expect("one sample");
    assert_eq!(last.progress, Some(1.0));
    assert_eq!(last.nodes_done, 3);
    // The first run's chart is untouched by the second.
    assert_eq!(p.series(&first), Some(&before));
}

#[test]
fn a_run_seen_only_after_it_ended_has_no_chart() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let entries = common::history("history_prompt_success.json");
    let id = entries[0].prompt_id.clone();
    p.step(
        Input::HistoryEntries {
            entries,
            stored: Vec::new(),
        },
        10.0,
    );
    p.take(10.0);
    assert!(p.tracker().run(&id).is_some());
    assert!(p.series(&id).is_none());
}

#[test]
fn series_memory_is_bounded_and_open_runs_keep_theirs() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let n = telemetry_core::series_book::MAX_SERIES + 40;
    for i in 0..n {
        let t = i as f64 * 1000.0;
        let start =
            format!(r#"{{"type":"execution_start","data":{{"prompt_id":"r{i}","timestamp":1}}}}"#);
        p.step(Input::Text(&start), t);
        p.take(t);
        if i > 0 {
            let end = format!(
                r#"{{"type":"execution_success","data":{{"prompt_id":"r{}","timestamp":2}}}}"#,
                i - 1
            );
            p.step(Input::Text(&end), t + 1.0);
            p.take(t + 1.0);
        }
    }
    assert!(
        p.series(&format!("r{}", n - 1)).is_some(),
        "the open run keeps its chart"
    );
    assert!(
        p.series("r0").is_none(),
        "the oldest closed chart left memory"
    );
    assert!(p.series(&format!("r{}", n - 2)).is_some());
}

#[test]
fn a_reload_mid_run_continues_the_stored_chart() {
    let all = frames("a_success", "ws_submitter");
    let cut = all.len() / 2;
    let mut before = Pipeline::new("http://127.0.0.1:8188", 200.0);
    play(&mut before, &all[..cut]);
    let id = run_id(&before, |r| r.status == RunStatus::Running);
    let stored_run = before.tracker().run(&id).expect("running").clone();
    let stored = before
        .series(&id)
        .expect("sampled before the reload")
        .clone();
    assert!(stored.samples.len() >= 2);

    let mut after = Pipeline::new("http://127.0.0.1:8188", 200.0);
    after.step(Input::Restore(vec![stored_run]), all[cut].t_ms);
    after.step(Input::RestoreSeries(vec![stored.clone()]), all[cut].t_ms);
    play(&mut after, &all[cut..]);
    let series = after.series(&id).expect("continued");
    assert_eq!(series.start_ms, stored.start_ms);
    assert_eq!(
        &series.samples[..stored.samples.len() - 1],
        &stored.samples[..stored.samples.len() - 1]
    );
    assert!(
        series.samples.len() > stored.samples.len(),
        "gained samples"
    );
    assert!(series.samples.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
    assert_eq!(series.latest().and_then(|s| s.progress), Some(1.0));
}
