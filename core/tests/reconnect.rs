//! The socket drops and comes back (the server restarted, or only the network blinked): every
//! run open at the drop is settled by the server the page reconnected to. A run it knows
//! neither in its queue nor in its history ends `lost` at once (not after a follow policy's
//! patience), a run it still lists goes on, and what ran meanwhile is listed.

mod common;

use common::server::FakeServer;
use telemetry_core::connection::EndpointKind;
use telemetry_core::input::Input;
use telemetry_core::pipeline::Pipeline;
use telemetry_core::run::RunStatus;

fn connect(p: &mut Pipeline, server: &mut FakeServer, endpoint: EndpointKind, now: f64) {
    let step = p.step(Input::Connected { endpoint }, now);
    server.settle(p, step, now);
}

fn text(p: &mut Pipeline, server: &mut FakeServer, frame: &str, now: f64) {
    let step = p.step(Input::Text(frame), now);
    server.settle(p, step, now);
}

fn start(id: &str) -> String {
    format!(r#"{{"type":"execution_start","data":{{"prompt_id":"{id}","timestamp":1000}}}}"#)
}

/// A recorded successful history entry, renamed.
fn entry(id: &str) -> serde_json::Value {
    let body = common::http_body("history_prompt_success.json");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let (old, e) = v
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("one entry");
    serde_json::from_str(&e.to_string().replace(old.as_str(), id)).expect("renamed")
}

#[test]
fn a_running_run_the_restarted_server_no_longer_knows_ends_lost_and_what_ran_since_is_listed() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let mut server = FakeServer::new();
    connect(&mut p, &mut server, EndpointKind::Telemetry, 0.0);
    server.running = vec!["A".into()];
    text(&mut p, &mut server, &start("A"), 10.0);
    assert_eq!(
        p.tracker().run("A").map(|r| r.status),
        Some(RunStatus::Running)
    );
    p.step(Input::Lost, 20.0);
    // Restarted: A is gone; C was queued after the restart, D already ran.
    server.running = vec!["C".into()];
    server.history.insert("D".into(), entry("D"));
    connect(&mut p, &mut server, EndpointKind::Telemetry, 60_000.0);
    let a = p.tracker().run("A").expect("kept");
    assert_eq!(a.status, RunStatus::Lost);
    assert_eq!(a.status.as_str(), "lost");
    // Its duration runs to the last thing heard of it, not to the reconnect a minute later.
    assert!(
        a.duration_ms(60_000.0).is_some_and(|d| d <= 10.0),
        "lost run's duration {:?}",
        a.duration_ms(60_000.0)
    );
    assert!(a
        .lost_reason
        .as_deref()
        .is_some_and(|r| r.contains("no longer knows")));
    assert_eq!(
        p.tracker().run("C").map(|r| r.status),
        Some(RunStatus::Running)
    );
    assert_eq!(
        p.tracker().run("D").map(|r| r.status),
        Some(RunStatus::Succeeded)
    );
    // Nothing left open that the server does not list.
    assert_eq!(p.tracker().open_run_count(), 1);
    let batch = p.take(1e9);
    assert!(batch
        .events
        .iter()
        .any(|e| e.run_id == "A" && e.kind.as_str() == "lost"));
    assert!(p.tracker().index_is_consistent());
}

#[test]
fn a_run_followed_by_polling_on_stock_comfyui_ends_lost_right_after_the_answers() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let mut server = FakeServer::new();
    server.running = vec!["B".into()];
    connect(&mut p, &mut server, EndpointKind::Ws, 0.0);
    let b = p.tracker().run("B").expect("seen in the queue");
    assert!(
        b.follow.is_some(),
        "another client's run on stock: followed"
    );
    p.step(Input::Lost, 20.0);
    server.running.clear();
    connect(&mut p, &mut server, EndpointKind::Ws, 30_000.0);
    // Its history poll comes due on the next tick.
    let step = p.step(Input::Tick { hidden: true }, 31_000.0);
    server.settle(&mut p, step, 31_000.0);
    let b = p.tracker().run("B").expect("kept");
    assert_eq!(b.status, RunStatus::Lost);
    assert!(!p.tracker().is_following(), "no more polls for it");
}

#[test]
fn a_run_the_server_still_runs_goes_on_after_a_blink_and_ends_as_its_history_says() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let mut server = FakeServer::new();
    connect(&mut p, &mut server, EndpointKind::Telemetry, 0.0);
    server.running = vec!["A".into()];
    text(&mut p, &mut server, &start("A"), 10.0);
    p.step(Input::Lost, 20.0);
    connect(&mut p, &mut server, EndpointKind::Telemetry, 2_000.0);
    assert_eq!(
        p.tracker().run("A").map(|r| r.status),
        Some(RunStatus::Running)
    );
    // It ended while the page was away the next time: its history says how.
    p.step(Input::Lost, 3_000.0);
    server.running.clear();
    server.history.insert("A".into(), entry("A"));
    connect(&mut p, &mut server, EndpointKind::Telemetry, 5_000.0);
    assert_eq!(
        p.tracker().run("A").map(|r| r.status),
        Some(RunStatus::Succeeded)
    );
}

#[test]
fn a_server_that_does_not_answer_leaves_runs_open_rather_than_guessing() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let mut server = FakeServer::new();
    connect(&mut p, &mut server, EndpointKind::Telemetry, 0.0);
    server.running = vec!["A".into()];
    text(&mut p, &mut server, &start("A"), 10.0);
    p.step(Input::Lost, 20.0);
    server.down = true;
    connect(&mut p, &mut server, EndpointKind::Telemetry, 2_000.0);
    assert_eq!(
        p.tracker().run("A").map(|r| r.status),
        Some(RunStatus::Running)
    );
    // It answers again on the next connect: settled then.
    server.down = false;
    server.running.clear();
    p.step(Input::Lost, 3_000.0);
    connect(&mut p, &mut server, EndpointKind::Telemetry, 4_000.0);
    assert_eq!(
        p.tracker().run("A").map(|r| r.status),
        Some(RunStatus::Lost)
    );
}
