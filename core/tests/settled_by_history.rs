//! A run that ended knowing less than the server's history holds is completed from it, and a
//! record only gains information across a reload. Recorded with the extension on a real
//! ComfyUI 0.3.64 (`q_burst`: ten short prompts, three nodes each), then cut where a reload's
//! catch-up or a dropped message would cut it.

mod common;

use common::server::FakeServer;
use serde_json::Value;
use std::path::PathBuf;
use telemetry_core::input::Input;
use telemetry_core::pipeline::Pipeline;
use telemetry_core::run::{Run, RunStatus};
use telemetry_core::trace::{parse_trace, Payload};
use telemetry_core::tracker::Request;

fn real(file: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/real/q_burst")
            .join(file),
    )
    .expect("recording readable")
}

/// The text frames of one prompt, in order, with the type of each.
fn frames_of(prompt: &str) -> Vec<(String, Value)> {
    parse_trace(&real("ws_telemetry.jsonl"))
        .into_iter()
        .filter_map(|f| match f.payload {
            Payload::Text(t) => Some(t),
            Payload::Binary(_) => None,
        })
        .filter_map(|t| {
            let v: Value = serde_json::from_str(&t).ok()?;
            (v["data"]["prompt_id"] == prompt).then_some((t, v))
        })
        .collect()
}

fn prompts() -> Vec<(String, Value)> {
    let history: serde_json::Map<String, Value> =
        serde_json::from_str(&real("history.json")).expect("history");
    history.into_iter().collect()
}

/// The server's own duration of a history entry, ms.
fn server_duration(entry: &Value) -> f64 {
    let stamp = |kind: &str| {
        entry["status"]["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|x| x[0] == kind))
            .and_then(|x| x[1]["timestamp"].as_i64())
            .expect("stamp")
    };
    (stamp("execution_success") - stamp("execution_start")) as f64
}

/// A page connected before the prompts ran; by the time it asks, the server's history has
/// them.
fn page() -> (Pipeline, FakeServer) {
    let (p, mut server) = FakeServer::connected();
    server.history = FakeServer::with_history(&real("history.json")).history;
    (p, server)
}

fn feed(p: &mut Pipeline, server: &mut FakeServer, frames: &[&(String, Value)], t: &mut f64) {
    for (text, _) in frames {
        *t += 1.0;
        let step = p.step(Input::Text(text), *t);
        server.settle(p, step, *t);
    }
}

#[test]
fn a_run_whose_middle_was_lost_ends_with_every_node_comfyui_ran_and_its_server_duration() {
    for (id, entry) in prompts() {
        let (mut p, mut server) = page();
        let all = frames_of(&id);
        // A catch-up that kept the announcement and the end, not the start or the nodes.
        let cut: Vec<&(String, Value)> = all
            .iter()
            .filter(|(_, v)| {
                let kind = v["type"].as_str().unwrap_or("");
                kind == "telemetry.queued"
                    || kind == "executed"
                    || kind == "execution_success"
                    || (kind == "executing" && v["data"]["node"].is_null())
            })
            .collect();
        let mut t = 1000.0;
        feed(&mut p, &mut server, &cut, &mut t);
        let run = p.tracker().run(&id).expect("shown");
        assert_eq!(run.status, RunStatus::Succeeded);
        assert_eq!(run.node_total, Some(3));
        assert_eq!(run.nodes_done(), 3, "{id}: ComfyUI ran or cached all three");
        assert_eq!(
            run.duration_ms(t),
            Some(server_duration(&entry)),
            "{id}: the server's duration, not receive times"
        );
        assert_eq!(
            server.count(|r| *r == Request::ReadHistoryDetails(id.clone())),
            1,
            "read once"
        );
    }
}

#[test]
fn a_run_that_streamed_in_full_is_not_read_again() {
    let (id, _) = prompts().remove(0);
    let (mut p, mut server) = page();
    let all = frames_of(&id);
    let refs: Vec<&(String, Value)> = all.iter().collect();
    let mut t = 1000.0;
    feed(&mut p, &mut server, &refs, &mut t);
    assert_eq!(p.tracker().run(&id).map(Run::nodes_done), Some(3));
    assert_eq!(
        server.count(|r| matches!(r, Request::ReadHistoryDetails(_))),
        0
    );
}

/// The stored record of a run at the moment of a reload mid-run, and the frames after it.
fn reload_mid_run(id: &str) -> (Run, Vec<(String, Value)>) {
    let all = frames_of(id);
    let cut = all
        .iter()
        .position(|(_, v)| v["type"] == "executed")
        .expect("executed frame");
    let mut before = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let mut t = 100.0;
    for (text, _) in &all[..cut] {
        t += 1.0;
        before.step(Input::Text(text), t);
    }
    let stored = before.tracker().run(id).expect("stored").clone();
    assert_eq!(stored.status, RunStatus::Running);
    assert!(stored.server_started_ms.is_some());
    (stored, all[cut..].to_vec())
}

#[test]
fn a_reload_mid_run_keeps_the_server_duration_whichever_arrives_first() {
    let (id, entry) = prompts().remove(3);
    for restore_first in [true, false] {
        let (stored, after) = reload_mid_run(&id);
        let (mut p, mut server) = page();
        let refs: Vec<&(String, Value)> = after.iter().collect();
        let mut t = 5000.0;
        if restore_first {
            let step = p.step(Input::Restore(vec![stored.clone()]), t);
            server.settle(&mut p, step, t);
        }
        feed(&mut p, &mut server, &refs, &mut t);
        if !restore_first {
            let step = p.step(Input::Restore(vec![stored.clone()]), t);
            server.settle(&mut p, step, t);
        }
        let run = p.tracker().run(&id).expect("kept");
        assert_eq!(run.status, RunStatus::Succeeded);
        assert_eq!(run.server_started_ms, stored.server_started_ms);
        assert_eq!(
            run.duration_ms(t),
            Some(server_duration(&entry)),
            "restore first: {restore_first}"
        );
        assert_eq!(run.nodes_done(), 3);
        assert!(
            run.started_at_ms <= stored.started_at_ms,
            "earliest receive time kept"
        );
    }
}
