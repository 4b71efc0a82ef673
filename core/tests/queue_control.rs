//! The pending list, cancelling one prompt, clearing the queue and the drain estimate, through
//! the one door against a fake ComfyUI: what a person sees on the live page's queue card.

mod common;

use common::server::FakeServer;
use serde_json::{json, Value};
use telemetry_core::connection::EndpointKind;
use telemetry_core::input::{Input, Reply};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::run::{Run, RunStatus};
use telemetry_core::tracker::{Field, LifecycleKind, Request};

fn graph() -> Value {
    json!({
        "1": {"class_type": "EmptyImage", "inputs": {}},
        "2": {"class_type": "TelemetrySleep", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0]}}
    })
}

fn ids(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("prompt-{i}")).collect()
}

/// A page connected to `server` over `/ws` (stock ComfyUI), every read answered.
fn connect(server: &mut FakeServer) -> Pipeline {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let step = p.step(
        Input::Connected {
            endpoint: EndpointKind::Ws,
        },
        0.0,
    );
    server.settle(&mut p, step, 0.0);
    p
}

fn pending_ids(p: &Pipeline) -> Vec<String> {
    p.tracker()
        .pending()
        .iter()
        .map(|r| r.prompt_id.clone())
        .collect()
}

fn status(p: &Pipeline, id: &str) -> Option<RunStatus> {
    p.tracker().run(id).map(|r| r.status)
}

fn five_pending() -> (FakeServer, Pipeline) {
    let mut server = FakeServer::new();
    server.graph = graph();
    server.client = Some("0123456789abcdef-raw-socket-id".into());
    server.running = vec!["running-0".into()];
    server.pending = ids(5);
    let p = connect(&mut server);
    (server, p)
}

#[test]
fn every_pending_prompt_is_listed_in_order_with_its_workflow_and_a_client_label() {
    let (_, p) = five_pending();
    assert_eq!(pending_ids(&p), ids(5));
    let queue = p.tracker().pending_queue(1.0);
    let positions: Vec<usize> = queue.items.iter().map(|i| i.position).collect();
    assert_eq!(positions, vec![1, 2, 3, 4, 5]);
    for item in &queue.items {
        assert_eq!(
            item.workflow.as_deref(),
            Some("EmptyImage → TelemetrySleep → SaveImage")
        );
        let client = item.client.as_deref().expect("a label");
        assert!(client.starts_with("c~"), "{client}");
        assert!(!client.contains("raw-socket"), "never the raw id: {client}");
        assert!(!item.cancelling);
        // Stock ComfyUI sends no queue time: when the page first saw it queued.
        assert_eq!(item.queued_ms, Some(0.0));
    }
}

#[test]
fn the_order_is_comfyuis_run_order_by_number_not_the_heap_order_it_lists() {
    let mut p = Pipeline::new("s", 200.0);
    p.step(
        Input::Connected {
            endpoint: EndpointKind::Ws,
        },
        0.0,
    );
    // ComfyUI's queue is a heap: `/api/queue` lists it in heap order. A prompt queued to the
    // front has a negative number and runs first.
    let body = json!({"queue_running": [], "queue_pending": [
        [7, "c", {}, {}, []], [5, "a", {}, {}, []], [-1, "front", {}, {}, []], [6, "b", {}, {}, []]
    ]});
    p.step(
        Input::Answer {
            request: Request::ReadQueue,
            reply: Reply::Body(body.to_string()),
        },
        1.0,
    );
    assert_eq!(pending_ids(&p), vec!["front", "a", "b", "c"]);
}

#[test]
fn cancelling_the_third_removes_exactly_it_and_stores_it_as_cancelled() {
    let (mut server, mut p) = five_pending();
    let third = ids(5)[2].clone();
    let step = p.step(Input::CancelQueued(vec![third.clone()]), 10.0);
    assert_eq!(
        step.requests,
        vec![Request::DeleteQueued(vec![third.clone()])]
    );
    // Until the server answered, the prompt is listed as being cancelled, not as gone.
    let listed = p.tracker().pending_queue(10.0);
    assert!(listed.items[2].cancelling && listed.items.len() == 5);
    server.settle(&mut p, step, 11.0);
    assert_eq!(
        server.pending,
        vec!["prompt-1", "prompt-2", "prompt-4", "prompt-5"]
    );
    assert_eq!(status(&p, &third), Some(RunStatus::Cancelled));
    assert_eq!(pending_ids(&p), server.pending);
    for other in ["prompt-1", "prompt-2", "prompt-4", "prompt-5"] {
        assert_eq!(status(&p, other), Some(RunStatus::Queued), "{other}");
    }
    // Settled by asking: a queue read and a history read followed the delete.
    let after = server
        .asked
        .iter()
        .position(|r| matches!(r, Request::DeleteQueued(_)))
        .expect("deleted");
    assert!(server.asked[after..].contains(&Request::ReadQueue));
    assert!(server.asked[after..].contains(&Request::ReadHistoryEntry(third.clone())));
    let batch = p.take(1e9);
    assert!(batch
        .events
        .iter()
        .any(|e| e.run_id == third && e.kind == LifecycleKind::Cancelled));
    let run = p.tracker().run(&third).expect("kept");
    assert!(run.follow.is_none(), "no time limit may end it again");
    assert!(run.ended_at_ms.is_some() && run.duration_ms(20.0).is_none());
}

#[test]
fn clearing_removes_the_rest() {
    let (mut server, mut p) = five_pending();
    let step = p.step(Input::CancelQueued(vec!["prompt-3".into()]), 10.0);
    server.settle(&mut p, step, 10.0);
    let step = p.step(Input::ClearQueue, 20.0);
    assert_eq!(step.requests, vec![Request::ClearQueue]);
    server.settle(&mut p, step, 20.0);
    assert!(server.pending.is_empty());
    assert!(pending_ids(&p).is_empty());
    for id in ids(5) {
        assert_eq!(status(&p, &id), Some(RunStatus::Cancelled), "{id}");
    }
    assert_eq!(status(&p, "running-0"), Some(RunStatus::Running));
}

#[test]
fn a_prompt_that_started_before_the_delete_runs_on() {
    let (mut server, mut p) = five_pending();
    let step = p.step(Input::CancelQueued(vec!["prompt-1".into()]), 10.0);
    // The server took it meanwhile: the delete finds nothing pending.
    server.running = vec!["prompt-1".into()];
    server.pending.retain(|id| id != "prompt-1");
    server.settle(&mut p, step, 11.0);
    assert_eq!(status(&p, "prompt-1"), Some(RunStatus::Running));
}

#[test]
fn a_prompt_that_ran_before_the_delete_keeps_how_it_ended() {
    let (mut server, mut p) = five_pending();
    let step = p.step(Input::CancelQueued(vec!["prompt-2".into()]), 10.0);
    server.pending.retain(|id| id != "prompt-2");
    server
        .history
        .insert("prompt-2".into(), entry("prompt-2", 1_000, 3_000));
    server.settle(&mut p, step, 11.0);
    assert_eq!(status(&p, "prompt-2"), Some(RunStatus::Succeeded));
}

#[test]
fn a_refused_cancel_says_why_and_changes_nothing() {
    let (mut server, mut p) = five_pending();
    server.refuse_writes = Some(403);
    let step = p.step(Input::CancelQueued(vec!["prompt-3".into()]), 10.0);
    server.settle(&mut p, step, 10.0);
    let error = p.tracker().queue.control_error.clone().expect("an error");
    assert_eq!((error.clear, error.status), (false, Some(403)));
    assert!(error.message().contains("--enable-cors-header"));
    assert_eq!(pending_ids(&p), ids(5));
    // No answer at all (what a browser reports for a CORS refusal).
    server.refuse_writes = None;
    server.down = true;
    let step = p.step(Input::ClearQueue, 20.0);
    server.settle(&mut p, step, 20.0);
    let error = p.tracker().queue.control_error.clone().expect("an error");
    assert_eq!((error.clear, error.status), (true, None));
    assert!(error.message().starts_with("Clearing the queue failed"));
    // The next one that succeeds clears the message.
    server.down = false;
    let step = p.step(Input::CancelQueued(vec!["prompt-3".into()]), 30.0);
    server.settle(&mut p, step, 30.0);
    assert_eq!(p.tracker().queue.control_error, None);
    assert_eq!(status(&p, "prompt-3"), Some(RunStatus::Cancelled));
}

#[test]
fn only_a_prompt_the_page_asked_to_delete_ends_cancelled() {
    let (mut server, mut p) = five_pending();
    // Gone from the queue with no history entry, but nobody here cancelled it.
    server.pending.retain(|id| id != "prompt-4");
    let step = p.step(
        Input::Answer {
            request: Request::ReadQueue,
            reply: server.reply(&Request::ReadQueue),
        },
        10.0,
    );
    server.settle(&mut p, step, 10.0);
    assert_ne!(status(&p, "prompt-4"), Some(RunStatus::Cancelled));
    // Cancelling a prompt that is not pending here asks nothing.
    let step = p.step(Input::CancelQueued(vec!["running-0".into()]), 11.0);
    assert!(step.requests.is_empty());
}

#[test]
fn a_cancelled_run_never_moves_back() {
    let (mut server, mut p) = five_pending();
    let step = p.step(Input::CancelQueued(vec!["prompt-3".into()]), 10.0);
    server.settle(&mut p, step, 10.0);
    // A stale queue read that still lists it, and a replayed start.
    let stale = json!({"queue_running": [], "queue_pending": [[102, "prompt-3", {}, {}, []]]});
    p.step(
        Input::Answer {
            request: Request::ReadQueue,
            reply: Reply::Body(stale.to_string()),
        },
        11.0,
    );
    let start =
        json!({"type": "execution_start", "data": {"prompt_id": "prompt-3", "timestamp": 5}});
    p.step(Input::Text(&start.to_string()), 12.0);
    assert_eq!(status(&p, "prompt-3"), Some(RunStatus::Cancelled));
    assert!(!pending_ids(&p).contains(&"prompt-3".to_owned()));
    // Nor does merging an older copy of the record.
    let mut cancelled: Run = p.tracker().run("prompt-3").cloned().expect("run");
    let mut older = cancelled.clone();
    older.status = RunStatus::Queued;
    older.ended_at_ms = None;
    cancelled.merge(&older);
    assert_eq!(cancelled.status, RunStatus::Cancelled);
    older.merge(&cancelled);
    assert_eq!(older.status, RunStatus::Cancelled);
}

/// A history entry of a successful run of [`graph`] from `start` to `end` (server ms).
fn entry(id: &str, start: i64, end: i64) -> Value {
    json!({
        "prompt": [0, id, graph(), {}, ["3"]],
        "outputs": {},
        "status": {"status_str": "success", "completed": true, "messages": [
            ["execution_start", {"prompt_id": id, "timestamp": start}],
            ["execution_success", {"prompt_id": id, "timestamp": end}]
        ]}
    })
}

#[test]
fn the_drain_is_unknown_without_earlier_runs_and_from_their_medians_with_them() {
    let (_, p) = five_pending();
    let queue = p.tracker().pending_queue(1.0);
    assert_eq!(
        queue.drain.total_ms, None,
        "no earlier run of this workflow"
    );
    assert!(queue.drain.starts_ms.iter().all(Option::is_none));

    let mut server = FakeServer::new();
    server.graph = graph();
    for i in 0..10 {
        let id = format!("done-{i}");
        let d = 8_000 + 500 * i;
        server.history.insert(id.clone(), entry(&id, 0, d));
    }
    server.pending = ids(5);
    let p = connect(&mut server);
    let queue = p.tracker().pending_queue(1.0);
    // Median of 8.0 … 12.5 s is 10.25 s; five of them.
    assert_eq!(queue.drain.total_ms, Some(5.0 * 10_250.0));
    assert_eq!(queue.drain.basis_runs, 10);
    assert_eq!(
        queue.drain.starts_ms,
        (0..5)
            .map(|i| Some(i as f64 * 10_250.0))
            .collect::<Vec<_>>()
    );
}

#[test]
fn after_a_reload_the_drain_rests_on_the_stored_runs_of_the_workflow() {
    // A fresh page (a reload): it has seen no run of this workflow; the store has ten.
    let mut server = FakeServer::new();
    server.graph = graph();
    server.pending = ids(5);
    let mut p = connect(&mut server);
    assert_eq!(p.tracker().pending_queue(1.0).drain.total_ms, None);
    p.take(1.0);
    let workflow = "EmptyImage → TelemetrySleep → SaveImage".to_owned();
    let mut stored: Vec<(String, String, f64)> = (0..10)
        .map(|i| {
            (
                workflow.clone(),
                format!("done-{i}"),
                8_000.0 + 500.0 * i as f64,
            )
        })
        .collect();
    // Another workflow's runs are no basis for these prompts.
    stored.push(("Other".into(), "other-1".into(), 1.0));
    let step = p.step(Input::StoredDurations(stored), 2.0);
    assert!(step.flush_at.is_some(), "the queue card is redrawn");
    assert!(p.take(2.0).fields.contains(&Field::Queue));
    let queue = p.tracker().pending_queue(2.0);
    assert_eq!(queue.drain.total_ms, Some(5.0 * 10_250.0));
    assert_eq!(queue.drain.basis_runs, 10);
    assert!(
        queue.drain.text().contains("from 10 earlier runs"),
        "{}",
        queue.drain.text()
    );
}

#[test]
fn with_the_extension_prompts_announced_after_the_hello_are_listed_and_cancelled_alike() {
    let mut server = FakeServer::new();
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let step = p.step(
        Input::Connected {
            endpoint: EndpointKind::Telemetry,
        },
        0.0,
    );
    server.settle(&mut p, step, 0.0);
    let hello = r#"{"type":"telemetry.hello","data":{"protocol":1,"extension_version":"0.1.0","comfyui_version":"0.3.64","queue":{"running":[{"prompt_id":"run","number":1,"client_id":"c-aa","node_count":1,"nodes":{"1":"A"}}],"pending":[]},"executing":{"prompt_id":"run","node":"1"},"replay":{"count":0}}}"#;
    let step = p.step(Input::Text(hello), 10.0);
    server.running = vec!["run".into()];
    server.settle(&mut p, step, 10.0);
    // The extension announces each prompt as it is queued; no queue read lists them yet.
    for (n, id) in [(3, "q3"), (2, "q2"), (4, "q4")] {
        let frame = format!(
            r#"{{"type":"telemetry.queued","data":{{"prompt_id":"{id}","number":{n},"client_id":"c-5f3a","node_count":1,"nodes":{{"1":"A"}},"queued_at":1000}}}}"#
        );
        p.step(Input::Text(&frame), 20.0);
        server.pending.push(id.into());
    }
    assert_eq!(pending_ids(&p), vec!["q2", "q3", "q4"]);
    let queue = p.tracker().pending_queue(21.0);
    assert_eq!(queue.items[0].client.as_deref(), Some("c-5f3a"));
    // Queued at the server's own time, not when the page heard of it.
    assert_eq!(queue.items[0].queued_ms, Some(1000.0));
    let step = p.step(Input::CancelQueued(vec!["q3".into()]), 30.0);
    server.settle(&mut p, step, 30.0);
    assert_eq!(status(&p, "q3"), Some(RunStatus::Cancelled));
    assert_eq!(pending_ids(&p), vec!["q2", "q4"]);
    assert_eq!(status(&p, "run"), Some(RunStatus::Running));
}

/// CI on 2026-12-06 (real ComfyUI, `queue.real.ts`): a queue read answered with the server as it
/// was before a prompt the extension announced meanwhile must not drop that prompt from the
/// pending list, nor send the page asking history how it ended.
#[test]
fn a_queue_answer_older_than_an_announced_prompt_keeps_it_pending() {
    let mut server = FakeServer::new();
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    server.running = vec!["run".into()];
    // Connecting sends a queue read out at 0 ms; the server answers with its queue as it was
    // then: `run` running, nothing pending. The answer arrives late.
    let step = p.step(
        Input::Connected {
            endpoint: EndpointKind::Telemetry,
        },
        0.0,
    );
    assert!(
        step.requests.contains(&Request::ReadQueue),
        "{:?}",
        step.requests
    );
    let stale = server.reply(&Request::ReadQueue);
    let hello = r#"{"type":"telemetry.hello","data":{"protocol":1,"extension_version":"0.1.0","comfyui_version":"0.3.64","queue":{"running":[{"prompt_id":"run","number":1,"client_id":"c-aa","node_count":1,"nodes":{"1":"A"}}],"pending":[]},"executing":{"prompt_id":"run","node":"1"},"replay":{"count":0}}}"#;
    p.step(Input::Text(hello), 10.0);
    // Meanwhile the extension announces a prompt queued by another client.
    let queued = r#"{"type":"telemetry.queued","data":{"prompt_id":"q1","number":2,"client_id":"c-5f3a","node_count":1,"nodes":{"1":"A"},"queued_at":1000}}"#;
    p.step(Input::Text(queued), 20.0);
    server.pending.push("q1".into());
    assert_eq!(pending_ids(&p), vec!["q1"]);
    let step = p.step(
        Input::Answer {
            request: Request::ReadQueue,
            reply: stale,
        },
        50.0,
    );
    assert_eq!(pending_ids(&p), vec!["q1"], "the older answer dropped it");
    assert!(
        !step
            .requests
            .contains(&Request::ReadHistoryEntry("q1".into())),
        "{:?}",
        step.requests
    );
    assert_eq!(status(&p, "q1"), Some(RunStatus::Queued));
}
