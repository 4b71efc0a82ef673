//! A frame's cost does not grow with what the session has seen (issue 22): real recorded
//! frames with fresh prompt ids, looped, and no server answering anything. Runs that never
//! settle (prompts without client id send no end) pile up as open; each later start must not
//! ask about every one of them again, nor walk them. Counted in requests and in work the
//! pipeline reports, never in time.

mod common;

use common::{fixtures, frames};
use telemetry_core::input::Input;
use telemetry_core::pipeline::Pipeline;
use telemetry_core::trace::Payload;

/// Every recorded socket stream, as (text frames, prompt ids in them).
fn templates() -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    for scenario in common::scenarios() {
        let prompts = fixtures().join(&scenario).join("prompts.json");
        let Ok(raw) = std::fs::read_to_string(prompts) else {
            continue;
        };
        let ids: Vec<String> = raw
            .match_indices("\"prompt_id\": \"")
            .map(|(at, m)| raw[at + m.len()..at + m.len() + 36].to_owned())
            .collect();
        let texts: Vec<String> = frames(&scenario, "ws_submitter")
            .into_iter()
            .chain(frames(&scenario, "ws_observer"))
            .filter_map(|f| match f.payload {
                Payload::Text(t) => Some(t),
                Payload::Binary(_) => None,
            })
            .collect();
        if !ids.is_empty() && !texts.is_empty() {
            out.push((texts, ids));
        }
    }
    assert!(out.len() >= 5, "recordings found: {}", out.len());
    out
}

/// Plays every template once with fresh ids; returns how many requests the pipeline asked.
fn play_loop(
    p: &mut Pipeline,
    templates: &[(Vec<String>, Vec<String>)],
    round: usize,
    t: &mut f64,
) -> usize {
    let mut asked = 0;
    for (k, (texts, ids)) in templates.iter().enumerate() {
        for text in texts {
            let mut frame = text.clone();
            for (i, id) in ids.iter().enumerate() {
                frame = frame.replace(id, &format!("{round:08}-{k:04}-{i:04}-fresh-run-000000000"));
            }
            *t += 1.0;
            // What the page asks through the door. Nothing is answered: each read stays in
            // flight (reads about one run are kinds of their own), as with a server that hangs.
            asked += p.step(Input::Text(&frame), *t).requests.len();
            if (*t as u64) % 200 == 0 {
                p.take(*t);
            }
        }
    }
    asked
}

#[test]
fn requests_per_frame_stay_flat_when_the_server_settles_nothing() {
    // And through the door, nothing is ever asked twice while in flight.
    let mut door = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let mut asked = std::collections::HashSet::new();
    for i in 0..200 {
        let frame = format!(r#"{{"type":"execution_start","data":{{"prompt_id":"d{i}"}}}}"#);
        for r in door.step(Input::Text(&frame), i as f64).requests {
            // By its debug form: `Request` has no `Hash` (its set in the tracker needs none).
            assert!(
                asked.insert(format!("{r:?}")),
                "{r:?} asked again while in flight"
            );
        }
    }
    let templates = templates();
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let mut t = 0.0;
    let rounds = 40;
    let per_round: Vec<usize> = (0..rounds)
        .map(|round| play_loop(&mut p, &templates, round, &mut t))
        .collect();
    let open = p.tracker().open_run_count();
    assert!(
        open >= rounds,
        "runs that never settle pile up ({open}): the test needs them"
    );
    // Each round asks about its own runs only, however many earlier rounds left open: after
    // the first rounds (the queue and history reads settle into their pattern) every round
    // asks the same.
    let steady = &per_round[5..];
    let (low, high) = (steady.iter().min(), steady.iter().max());
    assert_eq!(low, high, "requests per round grew: {per_round:?}");
    assert!(p.tracker().index_is_consistent());
}

#[test]
fn a_start_asks_about_a_run_left_open_once_not_at_every_later_start() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    // 300 prompts without client id (progress only, never an end), each followed by another
    // prompt's start: the open one is asked about once.
    let mut entry_reads = 0;
    let mut t = 0.0;
    for i in 0..300 {
        let progress = format!(
            r#"{{"type":"progress_state","data":{{"prompt_id":"silent{i}","nodes":{{"1":{{"value":0,"max":1,"state":"running","node_id":"1","prompt_id":"silent{i}","display_node_id":"1","parent_node_id":null,"real_node_id":"1"}}}}}}}}"#
        );
        let start = format!(
            r#"{{"type":"execution_start","data":{{"prompt_id":"loud{i}","timestamp":{i}}}}}"#
        );
        let end = format!(
            r#"{{"type":"execution_success","data":{{"prompt_id":"loud{i}","timestamp":{i}}}}}"#
        );
        for frame in [&progress, &start, &end] {
            t += 1.0;
            entry_reads += p
                .step(Input::Text(frame), t)
                .requests
                .iter()
                .filter(|r| matches!(r, telemetry_core::tracker::Request::ReadHistoryEntry(_)))
                .count();
        }
    }
    assert!(p.tracker().open_run_count() >= 300);
    assert!(
        entry_reads <= 300,
        "each silent run is asked about at most once: {entry_reads} reads"
    );
    assert!(p.tracker().index_is_consistent());
}

#[test]
fn ends_waiting_for_an_after_reading_stay_bounded_when_the_stats_never_answer() {
    // 2 000 short runs ending within a minute, and no VRAM reading ever arrives (the server's
    // system stats fail): the runs awaiting their "after" reading are no more than the runs
    // kept, not every end seen.
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    for i in 0..2000 {
        for kind in ["execution_start", "execution_success"] {
            let frame = format!(r#"{{"type":"{kind}","data":{{"prompt_id":"r{i}"}}}}"#);
            p.step(Input::Text(&frame), i as f64);
        }
    }
    let footprint = p.footprint();
    let len = |name: &str| footprint.iter().find(|(n, _)| *n == name).map(|(_, l)| *l);
    assert_eq!(len("runs"), Some(500));
    assert!(len("recent_ends") <= Some(500), "{footprint:?}");
}
