//! The run model on ComfyUI's real execution semantics (issue 11): frames built from the
//! shapes ComfyUI 0.3.64's execution.py and comfy_execution/progress.py send, fed through
//! the tracker, asserting what a person watching would notice.

use serde_json::json;
use telemetry_core::protocol::http::QueueSnapshot;
use telemetry_core::run::{NodeStatus, Run, RunSource};
use telemetry_core::tracker::{Change, Request};
use telemetry_core::{decode_text, RunStatus, Tracker};

struct T {
    t: Tracker,
    out: Vec<Change>,
    now: f64,
}

impl T {
    fn new() -> T {
        T {
            t: Tracker::new("http://127.0.0.1:8188"),
            out: Vec::new(),
            now: 1_000.0,
        }
    }

    fn send(&mut self, kind: &str, data: serde_json::Value) {
        self.now += 10.0;
        let frame = json!({ "type": kind, "data": data }).to_string();
        let msg = decode_text(&frame).expect("frame decodes");
        self.t.apply(&msg, self.now, &mut self.out);
    }

    fn run(&self, id: &str) -> &Run {
        self.t.run(id).expect("run exists")
    }

    fn lifecycle(&self, id: &str) -> Vec<&'static str> {
        self.out
            .iter()
            .filter_map(|c| match c {
                Change::Lifecycle(l) if l.run_id == id => Some(l.kind.as_str()),
                _ => None,
            })
            .collect()
    }

    fn requests(&mut self) -> Vec<Request> {
        self.t.take_requests(self.now)
    }

    fn queued(&mut self, id: &str, nodes: serde_json::Value) {
        self.send(
            "telemetry.queued",
            json!({"prompt_id": id, "number": 1, "nodes": nodes}),
        );
    }

    fn node_state(&mut self, id: &str, nodes: serde_json::Value) {
        self.send("progress_state", json!({"prompt_id": id, "nodes": nodes}));
    }
}

fn ps(id: &str, state: &str, display: &str, parent: Option<&str>, real: &str) -> serde_json::Value {
    json!({"value": 0, "max": 1, "state": state, "node_id": id, "display_node_id": display,
           "parent_node_id": parent, "real_node_id": real})
}

fn own(id: &str, state: &str) -> serde_json::Value {
    ps(id, state, id, None, id)
}

#[test]
fn catch_up_replay_after_hello_keeps_the_current_prompt_running() {
    let mut t = T::new();
    t.send(
        "telemetry.hello",
        json!({"protocol": 1, "queue": {"running": [{"prompt_id": "B", "number": 2}], "pending": []},
               "executing": {"prompt_id": "B", "node": "2"}}),
    );
    // The catch-up replays the earlier prompt A, then B's start.
    t.send(
        "execution_start",
        json!({"prompt_id": "A", "timestamp": 100}),
    );
    t.send(
        "execution_success",
        json!({"prompt_id": "A", "timestamp": 200}),
    );
    t.send(
        "execution_start",
        json!({"prompt_id": "B", "timestamp": 300}),
    );
    t.send(
        "executing",
        json!({"node": "2", "display_node": "2", "prompt_id": "B"}),
    );
    let b = t.run("B");
    assert_eq!(b.status, RunStatus::Running, "B shows as running");
    assert_eq!(b.current_node.as_deref(), Some("2"));
    assert_eq!(b.server_started_ms, Some(300));
    assert!(
        !t.lifecycle("B").contains(&"lost"),
        "{:?}",
        t.lifecycle("B")
    );
    assert_eq!(t.run("A").status, RunStatus::Succeeded);
    // Its history entry is missing (still running) and the queue lists it: nothing ends.
    t.t.apply_history_entry("B", Ok(None), t.now, &mut t.out);
    assert_eq!(t.run("B").status, RunStatus::Running);
    t.send(
        "execution_success",
        json!({"prompt_id": "B", "timestamp": 900}),
    );
    assert_eq!(t.lifecycle("B"), vec!["queued", "started", "succeeded"]);
    assert_eq!(
        t.run("B").duration_ms(t.now),
        Some(600.0),
        "server timestamps"
    );
}

#[test]
fn a_replayed_run_announces_its_start_and_end_once() {
    let mut t = T::new();
    for _ in 0..2 {
        t.send(
            "execution_start",
            json!({"prompt_id": "A", "timestamp": 100}),
        );
        t.send("executing", json!({"node": "1", "prompt_id": "A"}));
        t.send(
            "executed",
            json!({"node": "1", "prompt_id": "A",
            "output": {"images": [{"filename": "a.png", "subfolder": "", "type": "output"}]}}),
        );
        t.send(
            "execution_success",
            json!({"prompt_id": "A", "timestamp": 200}),
        );
        t.send("executing", json!({"node": null, "prompt_id": "A"}));
    }
    assert_eq!(t.lifecycle("A"), vec!["started", "output", "succeeded"]);
    assert_eq!(t.run("A").outputs.len(), 1);
    let seqs: Vec<u64> = t
        .out
        .iter()
        .filter_map(|c| match c {
            Change::Lifecycle(l) => Some(l.seq),
            _ => None,
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}

#[test]
fn concurrent_async_nodes_overlap_and_do_not_end_each_other() {
    let mut t = T::new();
    t.queued(
        "P",
        json!({"1": "Load", "2": "AsyncA", "3": "AsyncB", "4": "Save"}),
    );
    t.send("execution_start", json!({"prompt_id": "P", "timestamp": 1}));
    t.node_state(
        "P",
        json!({"1": own("1", "finished"), "2": own("2", "running")}),
    );
    t.send(
        "executing",
        json!({"node": "2", "display_node": "2", "prompt_id": "P"}),
    );
    t.node_state(
        "P",
        json!({"1": own("1", "finished"), "2": own("2", "running"), "3": own("3", "running")}),
    );
    t.send(
        "executing",
        json!({"node": "3", "display_node": "3", "prompt_id": "P"}),
    );
    let run = t.run("P");
    assert_eq!(
        run.node("2").map(|n| n.status),
        Some(NodeStatus::Running),
        "2 still runs"
    );
    assert_eq!(run.nodes_running().len(), 2);
    assert_eq!(run.current_node.as_deref(), Some("3"));
    t.node_state(
        "P",
        json!({"1": own("1", "finished"), "2": own("2", "running"), "3": own("3", "finished")}),
    );
    t.node_state(
        "P",
        json!({"1": own("1", "finished"), "2": own("2", "finished"), "3": own("3", "finished")}),
    );
    let run = t.run("P");
    let (n2, n3) = (run.node("2").unwrap(), run.node("3").unwrap());
    assert!(
        n3.started_ms.unwrap() < n2.finished_ms.unwrap(),
        "intervals overlap"
    );
    assert!(
        n3.finished_ms.unwrap() < n2.finished_ms.unwrap(),
        "2 ended after 3"
    );
    assert_eq!(run.nodes_done(), 3);
    let bars = telemetry_core::history::compare::timeline(run);
    let b2 = bars.iter().find(|b| b.node_id == "2").unwrap();
    let b3 = bars.iter().find(|b| b.node_id == "3").unwrap();
    assert!(b3.start_ms.unwrap() < b2.start_ms.unwrap() + b2.duration_ms.unwrap());
}

#[test]
fn expanded_nodes_count_as_their_display_node_never_beyond_the_total() {
    let mut t = T::new();
    t.queued("P", json!({"1": "Load", "5": "Expander", "9": "Save"}));
    t.send("execution_start", json!({"prompt_id": "P", "timestamp": 1}));
    let mut nodes = serde_json::Map::new();
    nodes.insert("1".into(), own("1", "finished"));
    nodes.insert("5".into(), own("5", "running"));
    for i in 0..20 {
        let id = format!("5.0.0.{i}");
        nodes.insert(id.clone(), ps(&id, "finished", "5", Some("5"), "5"));
    }
    t.node_state("P", serde_json::Value::Object(nodes));
    t.send(
        "executing",
        json!({"node": "5.0.0.19", "display_node": "5", "prompt_id": "P"}),
    );
    let run = t.run("P");
    assert_eq!(run.node_total, Some(3));
    assert_eq!(run.nodes.len(), 3, "no node per expanded id");
    assert_eq!(run.node("5").unwrap().copies, 20);
    assert_eq!(run.nodes_done(), 1, "1 of 3, not 21 of 3");
    assert_eq!(run.current_node.as_deref(), Some("5"));
    assert!(run.progress().unwrap() < 1.0);
}

#[test]
fn loop_copies_are_one_node_with_its_iterations() {
    let mut t = T::new();
    t.queued(
        "P",
        json!({"1": "Start", "2": "Body", "7": "Loop", "8": "Save"}),
    );
    t.send("execution_start", json!({"prompt_id": "P", "timestamp": 1}));
    let mut nodes = serde_json::Map::new();
    nodes.insert("7".into(), own("7", "running"));
    for i in 1..=3 {
        let id = format!("7.0.0.2_{i}");
        let state = if i == 3 { "running" } else { "finished" };
        nodes.insert(id.clone(), ps(&id, state, "2", Some("7"), "7"));
        t.node_state("P", serde_json::Value::Object(nodes.clone()));
    }
    let run = t.run("P");
    assert_eq!(run.nodes.len(), 4);
    let body = run.node("2").unwrap();
    assert_eq!(body.copies, 3, "three iterations");
    assert_eq!(body.status, NodeStatus::Running);
    assert!(run.nodes_done() <= 4);
}

#[test]
fn activity_and_seconds_show_on_the_running_node() {
    let mut t = T::new();
    t.queued("P", json!({"1": "Sampler"}));
    t.send("execution_start", json!({"prompt_id": "P"}));
    let mut n = own("1", "running");
    n["activity"] = json!("Loading model");
    n["seconds"] = json!(2.5);
    t.node_state("P", json!({"1": n}));
    let node = t.run("P").node("1").unwrap().clone();
    assert_eq!(node.activity.as_deref(), Some("Loading model"));
    assert_eq!(node.server_seconds, Some(2.5));
    t.node_state("P", json!({"1": own("1", "running")}));
    assert_eq!(t.run("P").node("1").unwrap().activity, None, "cleared");
}

#[test]
fn an_execution_blocker_is_not_a_failure() {
    let mut t = T::new();
    t.queued("P", json!({"1": "Gate", "2": "Save"}));
    t.send("execution_start", json!({"prompt_id": "P", "timestamp": 1}));
    // execution.py execution_block_cb: no timestamp, traceback [], current_inputs a list.
    t.send(
        "execution_error",
        json!({"prompt_id": "P", "node_id": "2", "node_type": "Save",
        "executed": ["1"], "exception_message": "Execution Blocked: gate closed",
        "exception_type": "ExecutionBlocked", "traceback": [], "current_inputs": [],
        "current_outputs": []}),
    );
    assert_eq!(t.run("P").status, RunStatus::Running, "the prompt goes on");
    t.send(
        "execution_success",
        json!({"prompt_id": "P", "timestamp": 5}),
    );
    let run = t.run("P");
    assert_eq!(run.status, RunStatus::Succeeded);
    assert!(run.error.is_none());
    assert_eq!(
        run.node("2").unwrap().blocked.as_deref(),
        Some("Execution Blocked: gate closed")
    );
    assert_eq!(t.lifecycle("P"), vec!["queued", "started", "succeeded"]);
}

#[test]
fn without_client_id_the_current_node_follows_progress_state_and_a_second_prompt_asks_about_the_first(
) {
    let mut t = T::new();
    t.node_state("A", json!({"1": own("1", "running")}));
    assert_eq!(t.run("A").current_node.as_deref(), Some("1"));
    t.node_state(
        "A",
        json!({"1": own("1", "finished"), "2": own("2", "running")}),
    );
    assert_eq!(t.run("A").current_node.as_deref(), Some("2"), "moves on");
    assert!(
        t.requests().contains(&Request::ReadQueue),
        "created from progress: asks"
    );
    t.node_state("B", json!({"1": own("1", "running")}));
    let requests = t.requests();
    assert!(
        requests.contains(&Request::ReadHistoryEntry("A".into())),
        "{requests:?}"
    );
    assert_eq!(t.t.current_run().map(|r| r.prompt_id.as_str()), Some("B"));
    // The server's queue lists only B; A's history says it succeeded.
    let snapshot = QueueSnapshot {
        running: vec![telemetry_core::protocol::http::QueueItem {
            prompt_id: "B".into(),
            ..Default::default()
        }],
        pending: vec![],
    };
    t.t.apply_queue(&snapshot, t.now, &mut t.out);
    let entry = telemetry_core::protocol::http::HistoryEntry {
        prompt_id: "A".into(),
        status_str: Some("success".into()),
        ..Default::default()
    };
    t.t.apply_history_entry("A", Ok(Some(&entry)), t.now, &mut t.out);
    assert_eq!(t.run("A").status, RunStatus::Succeeded);
    assert_eq!(t.run("B").status, RunStatus::Running);
}

#[test]
fn a_run_restored_as_running_on_an_idle_restarted_server_ends_lost() {
    let mut t = T::new();
    let mut stored = Run::new("http://127.0.0.1:8188", "R", RunSource::Stream, 10.0);
    stored.status = RunStatus::Running;
    t.t.restore(stored);
    assert!(t.requests().contains(&Request::ReadQueue));
    t.t.apply_queue(&QueueSnapshot::default(), t.now, &mut t.out);
    assert!(t
        .requests()
        .contains(&Request::ReadHistoryEntry("R".into())));
    t.t.apply_history_entry("R", Ok(None), t.now, &mut t.out);
    let run = t.run("R");
    assert_eq!(run.status, RunStatus::Lost);
    assert!(run
        .lost_reason
        .as_deref()
        .unwrap()
        .contains("no longer knows"));
    assert_eq!(t.lifecycle("R"), vec!["lost"]);
}

#[test]
fn a_missing_history_entry_without_a_newer_queue_read_asks_for_the_queue_first() {
    let mut t = T::new();
    let mut stored = Run::new("s", "R", RunSource::Stream, 10.0);
    stored.status = RunStatus::Running;
    t.t.restore(stored);
    t.requests();
    t.t.apply_history_entry("R", Ok(None), t.now, &mut t.out);
    assert_eq!(t.run("R").status, RunStatus::Running, "not lost on a guess");
    assert_eq!(t.requests(), vec![Request::ReadQueue]);
}

#[test]
fn dropped_messages_and_reconnects_reread_queue_and_history() {
    let mut t = T::new();
    t.send("telemetry.dropped", json!({"count": 12, "total": 12}));
    let requests = t.requests();
    assert!(requests.contains(&Request::ReadQueue));
    assert!(requests
        .iter()
        .any(|r| matches!(r, Request::ReadHistory { offset: None, .. })));
    t.t.connected(&mut t.out);
    let requests = t.requests();
    assert!(requests.contains(&Request::ReadQueue));
    assert!(requests.contains(&Request::ReadFeatures));
}

#[test]
fn a_drained_queue_with_a_run_open_asks_the_server_instead_of_guessing() {
    let mut t = T::new();
    t.node_state("A", json!({"1": own("1", "running")}));
    t.requests();
    t.send(
        "status",
        json!({"status": {"exec_info": {"queue_remaining": 1}}}),
    );
    assert!(
        t.requests().is_empty(),
        "one open run, one in the queue: nothing to ask"
    );
    t.send(
        "status",
        json!({"status": {"exec_info": {"queue_remaining": 0}}}),
    );
    assert_eq!(t.run("A").status, RunStatus::Running);
    let requests = t.requests();
    assert!(requests.contains(&Request::ReadQueue));
    assert!(requests
        .iter()
        .any(|r| matches!(r, Request::ReadHistory { .. })));
}

#[test]
fn a_poorer_replayed_record_never_replaces_what_the_store_knew() {
    let mut t = T::new();
    // The replay got there first after a reload.
    t.send("execution_start", json!({"prompt_id": "A"}));
    t.send("execution_success", json!({"prompt_id": "A"}));
    let mut stored = Run::new("s", "A", RunSource::Stream, 1.0);
    stored.status = RunStatus::Succeeded;
    stored.number = Some(41);
    stored.workflow = Some("Load → Save".into());
    stored.vram_free_before = Some(5.0);
    stored.vram_peak_used = Some(9.0);
    stored.server_started_ms = Some(100);
    stored.server_ended_ms = Some(700);
    stored.started_at_ms = Some(2.0);
    t.t.restore(stored);
    let run = t.run("A");
    assert_eq!(run.number, Some(41));
    assert_eq!(run.workflow.as_deref(), Some("Load → Save"));
    assert_eq!(run.vram_peak_used, Some(9.0));
    assert_eq!(run.duration_ms(0.0), Some(600.0), "server timestamps kept");
    assert_eq!(run.started_at_ms, Some(2.0), "earliest receive time");
    assert_eq!(run.status, RunStatus::Succeeded);
}

#[test]
fn merge_never_moves_a_status_backwards() {
    let mut ended = Run::new("s", "A", RunSource::Stream, 1.0);
    ended.status = RunStatus::Failed;
    ended.ended_at_ms = Some(5.0);
    let mut running = Run::new("s", "A", RunSource::Stream, 1.0);
    running.status = RunStatus::Running;
    let mut a = ended.clone();
    a.merge(&running);
    assert_eq!(a.status, RunStatus::Failed);
    let mut b = running.clone();
    b.merge(&ended);
    assert_eq!(b.status, RunStatus::Failed);
    assert_eq!(b.ended_at_ms, Some(5.0));
    let mut lost = Run::new("s", "A", RunSource::Stream, 1.0);
    lost.status = RunStatus::Unknown;
    lost.merge(&ended);
    assert_eq!(lost.status, RunStatus::Failed, "history beats lost");
}

#[test]
fn history_messages_beat_status_str() {
    let mut t = T::new();
    let body = json!({"X": {"prompt": [3, "X", {"1": {"class_type": "Slow"}}, {}, []],
        "outputs": {}, "status": {"status_str": "error", "completed": false,
        "messages": [["execution_start", {"prompt_id": "X", "timestamp": 1}],
                     ["execution_interrupted", {"prompt_id": "X", "node_id": "1", "executed": [], "timestamp": 9}]]}}});
    let entries = telemetry_core::protocol::http::decode_history(&body.to_string()).unwrap();
    t.t.apply_history(&entries[0], t.now, &mut t.out);
    assert_eq!(t.run("X").status, RunStatus::Interrupted);
    assert_eq!(t.lifecycle("X"), vec!["interrupted"]);
}

#[test]
fn every_start_and_end_asks_for_a_vram_reading() {
    let mut t = T::new();
    t.send("execution_start", json!({"prompt_id": "A"}));
    assert!(t.requests().contains(&Request::ReadGpuSoon));
    t.send("execution_success", json!({"prompt_id": "A"}));
    assert!(t.requests().contains(&Request::ReadGpuSoon));
}

#[test]
fn a_prompt_too_short_for_any_queue_poll_is_read_from_history() {
    // Stock ComfyUI, another client's prompt: only `status` frames reach the page, and the
    // queue read that the first one asks for already finds the queue empty.
    let mut t = T::new();
    t.send(
        "status",
        json!({"status": {"exec_info": {"queue_remaining": 0}}}),
    );
    t.requests();
    t.send(
        "status",
        json!({"status": {"exec_info": {"queue_remaining": 1}}}),
    );
    assert!(t.requests().contains(&Request::ReadQueue));
    t.t.apply_queue(&QueueSnapshot::default(), t.now, &mut t.out);
    t.send(
        "status",
        json!({"status": {"exec_info": {"queue_remaining": 0}}}),
    );
    assert!(
        t.requests()
            .iter()
            .any(|r| matches!(r, Request::ReadHistory { offset: None, .. })),
        "a prompt ended that the page never saw: the history says which"
    );
}

#[test]
fn an_end_seen_on_the_stream_needs_no_history_read() {
    let mut t = T::new();
    t.send(
        "status",
        json!({"status": {"exec_info": {"queue_remaining": 1}}}),
    );
    t.send("execution_start", json!({"prompt_id": "A"}));
    t.requests();
    t.send("execution_success", json!({"prompt_id": "A"}));
    t.send(
        "status",
        json!({"status": {"exec_info": {"queue_remaining": 0}}}),
    );
    assert!(
        !t.requests()
            .iter()
            .any(|r| matches!(r, Request::ReadHistory { .. })),
        "the one prompt that left the queue ended before our eyes"
    );
}

#[test]
fn a_replayed_node_timing_never_replaces_the_one_seen_live() {
    // Seen live: the node ran 1.5 s. Replayed after a reload: start and end at once.
    let mut live = Run::new("s", "A", RunSource::Stream, 1.0);
    let node = live.node_mut("10");
    node.started_ms = Some(100.0);
    node.finished_ms = Some(1_600.0);
    let mut replay = Run::new("s", "A", RunSource::Stream, 9_000.0);
    let node = replay.node_mut("10");
    node.started_ms = Some(9_000.0);
    node.finished_ms = Some(9_001.0);
    replay.merge(&live);
    let node = replay.nodes.iter().find(|n| n.id == "10").unwrap();
    assert_eq!(
        (node.started_ms, node.finished_ms),
        (Some(100.0), Some(1_600.0))
    );
    // The other way round too.
    let mut live2 = live.clone();
    live2.merge(&replay);
    let node = live2.nodes.iter().find(|n| n.id == "10").unwrap();
    assert_eq!(
        (node.started_ms, node.finished_ms),
        (Some(100.0), Some(1_600.0))
    );
}
