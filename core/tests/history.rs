//! Runs rebuilt from `/api/history` and `/api/queue`, the only view a passive dashboard has of
//! prompts queued by other clients.

mod common;
use common::*;
use telemetry_core::protocol::http::{decode_queue, decode_system_stats};
use telemetry_core::run::{NodeStatus, RunSource};
use telemetry_core::{RunStatus, Tracker};

fn rebuilt(name: &str) -> telemetry_core::Run {
    let entries = history(name);
    assert_eq!(entries.len(), 1, "{name}");
    let mut tracker = Tracker::new("s");
    let mut out = Vec::new();
    tracker.apply_history(&entries[0], 1000.0, &mut out);
    tracker.run(&entries[0].prompt_id).expect("run").clone()
}

#[test]
fn history_success_is_rebuilt_with_outputs_and_server_times() {
    let run = rebuilt("history_prompt_success.json");
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.source, RunSource::History);
    assert!(run.reconstructed);
    assert_eq!(run.node_total, Some(3));
    assert_eq!(run.nodes_done(), 3);
    assert_eq!(run.outputs.len(), 1);
    assert!(run.duration_ms(0.0).is_some_and(|d| d > 0.0));
    assert_eq!(
        run.workflow.as_deref(),
        Some("EmptyImage → SlowProgress → SaveImage")
    );
}

#[test]
fn history_cached_marks_cached_nodes() {
    let run = rebuilt("history_prompt_cached.json");
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.nodes_cached(), 3);
}

#[test]
fn history_error_keeps_the_exception() {
    let run = rebuilt("history_prompt_error.json");
    assert_eq!(run.status, RunStatus::Failed);
    let err = run.error.clone().expect("error");
    assert_eq!(err.node_type.as_deref(), Some("FailAfter"));
    assert_eq!(run.node("3").map(|n| n.status), Some(NodeStatus::Failed));
}

#[test]
fn history_interrupted_is_told_apart_from_error_by_its_messages() {
    let entries = history("history_prompt_interrupted.json");
    assert_eq!(entries[0].status_str.as_deref(), Some("error"));
    let run = rebuilt("history_prompt_interrupted.json");
    assert_eq!(run.status, RunStatus::Interrupted);
    assert_eq!(run.interrupted_node.as_deref(), Some("2"));
}

#[test]
fn history_list_and_unknown_id() {
    let entries = history("history_max10.json");
    assert!(entries.len() >= 5);
    assert!(history("history_unknown_id.json").is_empty());
}

#[test]
fn history_fills_a_streamed_run_without_replacing_it() {
    let mut r = replay("a_success", "ws_submitter");
    let entry = history("history_prompt_success.json").remove(0);
    assert_eq!(entry.prompt_id, "f265f327-46cd-4648-b93f-013611d81e1b");
    let before = r.tracker.run(&entry.prompt_id).cloned().expect("run");
    let mut out = Vec::new();
    r.tracker.apply_history(&entry, 9e12, &mut out);
    let after = r.tracker.run(&entry.prompt_id).expect("run");
    assert_eq!(after.source, RunSource::Stream);
    assert!(!after.reconstructed, "we saw its end ourselves");
    assert_eq!(after.status, RunStatus::Succeeded);
    assert_eq!(after.outputs, before.outputs, "outputs are not duplicated");
    assert_eq!(
        after.node_total,
        Some(3),
        "the prompt from history gives the node count"
    );
}

#[test]
fn unseen_end_is_resolved_by_history() {
    let mut r = replay("d_interrupted", "ws_observer");
    assert!(r.tracker.runs().is_empty());
    let mut out = Vec::new();
    let queue = decode_queue(&http_body("queue_running.json")).expect("queue");
    let left = r.tracker.apply_queue(&queue, 1.0, &mut out);
    assert!(left.is_empty());
    let id = "c648fb54-0737-4f17-8abe-38eed93bf844";
    let run = r.tracker.run(id).expect("followed run");
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.source, RunSource::Polling);
    assert_eq!(run.node_total, Some(3));
    let idle = decode_queue(&http_body("queue_idle_after.json")).expect("queue");
    let left = r.tracker.apply_queue(&idle, 2.0, &mut out);
    assert_eq!(left, vec![id.to_owned()]);
    r.tracker.apply_history(
        &history("history_prompt_interrupted.json")[0],
        3.0,
        &mut out,
    );
    let run = r.tracker.run(id).expect("run");
    assert_eq!(run.status, RunStatus::Interrupted);
    assert_eq!(run.source, RunSource::Polling);
    assert!(run.reconstructed);
}

#[test]
fn queue_snapshot_counts_running_and_pending() {
    let q = decode_queue(&http_body("queue_pending.json")).expect("queue");
    assert_eq!((q.running.len(), q.pending.len()), (1, 2));
    assert_eq!(q.pending[0].number, Some(6));
    // The raw id is never kept: a short label that groups the client's runs instead.
    assert_eq!(
        q.running[0].client_id.as_deref(),
        Some(
            telemetry_core::protocol::client_label::client_label(
                "674e894ca9d447e5bb4fb9cef33c7cad"
            )
            .as_str()
        )
    );
    assert!(!format!("{q:?}").contains("674e894ca9d447e5bb4fb9cef33c7cad"));
    let mut t = Tracker::new("s");
    let mut out = Vec::new();
    t.apply_queue(&q, 0.0, &mut out);
    assert_eq!((t.queue.running, t.queue.pending), (Some(1), Some(2)));
    assert_eq!(
        t.runs()
            .iter()
            .filter(|r| r.status == RunStatus::Queued)
            .count(),
        2
    );
    let idle = decode_queue(&http_body("queue_idle.json")).expect("idle");
    assert!(idle.running.is_empty() && idle.pending.is_empty());
}

#[test]
fn system_stats_reports_the_device() {
    let s = decode_system_stats(&http_body("system_stats.json")).expect("stats");
    assert_eq!(s.comfyui_version.as_deref(), Some("0.3.64"));
    assert_eq!(s.devices.len(), 1);
    assert_eq!(s.devices[0].name, "cpu");
    assert!(s.devices[0].vram_total.unwrap_or(0.0) > 1e9);
    assert!(decode_system_stats("not json").is_err());
}
