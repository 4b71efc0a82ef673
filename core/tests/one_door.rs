//! The one door (`Pipeline::step`): every input enters there, every request the shell must
//! perform comes out of it, and each answer goes back tied to the request that asked for it.

mod common;

use common::server::FakeServer;
use common::{frames, http_body};
use telemetry_core::connection::EndpointKind;
use telemetry_core::follow::QueuePolicy;
use telemetry_core::input::{Input, Reply};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::run::RunStatus;
use telemetry_core::trace::Payload;
use telemetry_core::tracker::{Field, Request};

fn pipeline() -> Pipeline {
    Pipeline::new("http://127.0.0.1:8188", 200.0)
}

fn connected() -> Input<'static> {
    Input::Connected {
        endpoint: EndpointKind::Ws,
    }
}

#[test]
fn connecting_asks_what_settles_the_page_and_flushes_the_connection() {
    let mut p = pipeline();
    let step = p.step(connected(), 1000.0);
    assert!(step.requests.contains(&Request::ReadFeatures));
    assert!(step.requests.contains(&Request::ReadQueue));
    assert!(step
        .requests
        .iter()
        .any(|r| matches!(r, Request::ReadHistory { .. })));
    // Nothing was flushed before: the throttle's leading edge, a display frame after the change.
    assert_eq!(step.flush_at, Some(1016.0), "at once after a quiet spell");
    assert_eq!(p.endpoint(), Some(EndpointKind::Ws));
    let batch = p.take(1016.0);
    assert!(batch.fields.contains(&Field::Connection));
}

/// Connects and answers the connect's queue and history reads from an idle server.
fn connected_and_idle(p: &mut Pipeline) {
    let step = p.step(connected(), 0.0);
    for request in step.requests {
        if request != Request::ReadFeatures {
            let reply = FakeServer::new().reply(&request);
            p.step(Input::Answer { request, reply }, 0.5);
        }
    }
}

#[test]
fn features_answered_lead_to_a_jobs_read_and_a_404_to_queue_and_history() {
    let mut p = pipeline();
    connected_and_idle(&mut p);
    let step = p.step(
        Input::Answer {
            request: Request::ReadFeatures,
            reply: Reply::Body("{}".into()),
        },
        1.0,
    );
    assert_eq!(step.requests, vec![Request::ReadJobs]);
    let step = p.step(
        Input::Answer {
            request: Request::ReadJobs,
            reply: Reply::Failed { status: Some(404) },
        },
        2.0,
    );
    assert!(step.requests.contains(&Request::ReadQueue));
    assert_eq!(p.tracker().features.jobs, Some(false));
}

#[test]
fn a_jobs_read_without_any_answer_decides_nothing_about_the_server() {
    let mut p = pipeline();
    connected_and_idle(&mut p);
    let step = p.step(
        Input::Answer {
            request: Request::ReadJobs,
            reply: Reply::Failed { status: None },
        },
        2.0,
    );
    assert_eq!(p.tracker().features.jobs, None, "still unknown");
    assert!(
        step.requests.contains(&Request::ReadQueue),
        "reconciled anyway"
    );
}

#[test]
fn a_recorded_run_through_the_door_ends_as_its_history_says() {
    let mut p = pipeline();
    let mut server = FakeServer::with_history(&http_body("history_prompt_success.json"));
    let first = p.step(connected(), 0.0);
    server.settle(&mut p, first, 0.0);
    let mut last = 0.0;
    for f in frames("a_success", "ws_submitter") {
        let step = match &f.payload {
            Payload::Text(t) => p.step(Input::Text(t), f.t_ms),
            Payload::Binary(b) => p.step(Input::Binary(b), f.t_ms),
        };
        server.settle(&mut p, step, f.t_ms);
        last = f.t_ms;
    }
    let run = p.tracker().current_run().expect("the run is shown");
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.nodes_done(), 3);
    assert!(last > 0.0);
    let batch = p.take(last);
    assert!(batch.events.iter().any(|e| e.kind.is_end()));
}

#[test]
fn a_history_list_adds_only_what_the_store_lacks_but_settles_what_is_open() {
    let entries = common::history("history_prompt_success.json");
    let id = entries[0].prompt_id.clone();
    // Held by the store and unknown to the page: not added again.
    let mut p = pipeline();
    p.step(
        Input::HistoryEntries {
            entries: entries.clone(),
            stored: vec![id.clone()],
        },
        5.0,
    );
    assert!(p.tracker().run(&id).is_none());
    // Held by the store but open on the page (restored as running): settled by the entry.
    let mut open = telemetry_core::run::Run::new(
        "http://127.0.0.1:8188",
        &id,
        telemetry_core::run::RunSource::Stream,
        1.0,
    );
    open.status = RunStatus::Running;
    p.step(Input::Restore(vec![open]), 6.0);
    p.step(
        Input::HistoryEntries {
            entries,
            stored: vec![id.clone()],
        },
        7.0,
    );
    assert_eq!(
        p.tracker().run(&id).map(|r| r.status),
        Some(RunStatus::Succeeded)
    );
}

#[test]
fn restore_and_backfill_enter_through_the_door() {
    let mut p = pipeline();
    let entries = common::history("history_prompt_success.json");
    let id = entries[0].prompt_id.clone();
    let step = p.step(
        Input::HistoryEntries {
            entries: entries.clone(),
            stored: Vec::new(),
        },
        5.0,
    );
    assert_eq!(
        p.tracker().run(&id).map(|r| r.status),
        Some(RunStatus::Succeeded)
    );
    assert_eq!(step.flush_at, Some(21.0));
    let mut open = telemetry_core::run::Run::new(
        "http://127.0.0.1:8188",
        "restored",
        telemetry_core::run::RunSource::Stream,
        1.0,
    );
    open.status = RunStatus::Running;
    let step = p.step(Input::Restore(vec![open]), 6.0);
    assert!(
        step.requests.contains(&Request::ReadQueue),
        "an open run is settled by asking"
    );
    assert!(p.tracker().run("restored").is_some());
}

#[test]
fn the_policy_enters_sanitized() {
    let mut p = pipeline();
    let policy = QueuePolicy {
        poll_interval_s: 0,
        ..QueuePolicy::default()
    };
    p.step(Input::Policy(policy), 0.0);
    assert_eq!(p.tracker().policy.poll_interval_s, 1);
}

#[test]
fn a_flood_of_events_asks_for_an_immediate_flush() {
    let mut p = pipeline();
    // Every queued prompt is a lifecycle event; past the buffer's bound the batch is due now.
    let mut flush_at = None;
    for i in 0..1100 {
        let frame = format!(
            r#"{{"type":"execution_start","data":{{"prompt_id":"p{i}","timestamp":{i}}}}}"#
        );
        flush_at = p.step(Input::Text(&frame), 10.0).flush_at;
    }
    assert_eq!(flush_at, Some(10.0));
}

#[test]
fn a_recording_played_as_the_demo_asks_nothing_of_the_real_server() {
    let mut p = pipeline();
    let step = p.step(
        Input::Connected {
            endpoint: EndpointKind::Demo,
        },
        0.0,
    );
    assert!(step.requests.is_empty());
    for f in frames("e_queue3", "ws_submitter") {
        if let Payload::Text(t) = &f.payload {
            assert!(p.step(Input::Text(t), f.t_ms).requests.is_empty());
        }
    }
    assert!(p
        .step(Input::Tick { hidden: false }, 1e12)
        .requests
        .is_empty());
    assert!(p.tracker().run_count() >= 3, "the recording still plays");
}
