//! Every recorded scenario, replayed through decoder and tracker, gives the runs a person saw.

mod common;
use common::*;
use telemetry_core::protocol::http::decode_queue;
use telemetry_core::protocol::{ArtifactKind, ImageMime};
use telemetry_core::run::{NodeStatus, RunSource};
use telemetry_core::tracker::{Change, LifecycleKind, Request};
use telemetry_core::{RunStatus, ServerMessage};

fn lifecycle_kinds(changes: &[Change], run: &str) -> Vec<&'static str> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Lifecycle(l) if l.run_id == run => Some(l.kind.as_str()),
            _ => None,
        })
        .collect()
}

fn previews(messages: &[ServerMessage]) -> Vec<&telemetry_core::protocol::Preview> {
    messages
        .iter()
        .filter_map(|m| match m {
            ServerMessage::Preview(p) => Some(p),
            _ => None,
        })
        .collect()
}

#[test]
fn every_recorded_frame_decodes_without_error() {
    let names = scenarios();
    assert!(
        names.len() >= 10,
        "expected the recorded scenarios, found {names:?}"
    );
    for scenario in names {
        for file in trace_files(&scenario, "ws_") {
            let text = std::fs::read_to_string(&file).expect("readable");
            for frame in telemetry_core::trace::parse_trace(&text) {
                let msg = decode(&frame)
                    .unwrap_or_else(|e| panic!("{}: {e} in {:?}", file.display(), frame));
                assert!(
                    !matches!(msg, ServerMessage::Unknown { .. }),
                    "{}: a recorded ComfyUI message decoded as unknown: {msg:?}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn success_run_has_every_node_its_output_and_server_duration() {
    let r = replay("a_success", "ws_submitter");
    assert!(r.errors.is_empty());
    let runs = r.tracker.runs();
    assert_eq!(runs.len(), 1);
    let run = runs[0];
    assert_eq!(run.prompt_id, "f265f327-46cd-4648-b93f-013611d81e1b");
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.source, RunSource::Stream);
    assert_eq!(run.nodes.len(), 3);
    assert_eq!(run.nodes_done(), 3);
    assert_eq!(run.nodes_cached(), 0);
    let sampler = run.node("2").expect("node 2");
    assert_eq!((sampler.value, sampler.max), (Some(10.0), Some(10.0)));
    assert_eq!(run.outputs.len(), 1);
    assert_eq!(run.outputs[0].filename, "probe_40fe31_00001_.png");
    assert_eq!(run.outputs[0].kind, ArtifactKind::Image);
    assert_eq!(run.outputs[0].folder_type, "output");
    // execution_start 1795525755689 → execution_success 1795525757697.
    assert_eq!(run.duration_ms(0.0), Some(2008.0));
    assert_eq!(run.progress(), Some(1.0));
    assert_eq!(
        lifecycle_kinds(&r.changes, &run.prompt_id),
        vec!["started", "output", "succeeded"]
    );
    assert_eq!(r.tracker.queue.remaining, Some(0));
    assert!(r.tracker.active_run().is_none());
}

#[test]
fn cached_run_counts_every_node_as_cached() {
    let r = replay("b_cached", "ws_submitter");
    let runs = r.tracker.runs();
    assert_eq!(runs.len(), 1);
    let run = runs[0];
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.nodes_cached(), 3);
    assert_eq!(run.nodes_done(), 3);
    assert_eq!(run.outputs.len(), 1, "executed is replayed from the cache");
}

#[test]
fn partial_cache_marks_only_the_unchanged_node() {
    let r = replay("b2_partial_cache", "ws_submitter");
    let run = r.tracker.runs()[0].clone();
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.nodes_cached(), 1);
    assert_eq!(run.node("1").map(|n| n.status), Some(NodeStatus::Cached));
    assert_eq!(run.node("2").map(|n| n.status), Some(NodeStatus::Finished));
}

#[test]
fn error_run_keeps_node_exception_and_traceback() {
    let r = replay("c_error", "ws_submitter");
    let run = r.tracker.runs()[0].clone();
    assert_eq!(run.status, RunStatus::Failed);
    let err = run.error.as_ref().expect("error details");
    assert_eq!(err.node_id.as_deref(), Some("3"));
    assert_eq!(err.node_type.as_deref(), Some("FailAfter"));
    assert_eq!(err.exception_type.as_deref(), Some("RuntimeError"));
    assert_eq!(
        err.exception_message.as_deref(),
        Some("probe failure: boom\n")
    );
    assert!(!err.traceback.is_empty());
    assert!(err.traceback.iter().any(|l| l.contains("execution.py")));
    assert_eq!(run.node("3").map(|n| n.status), Some(NodeStatus::Failed));
    assert!(run.outputs.is_empty());
    assert!(matches!(
        r.changes.iter().find_map(|c| match c {
            Change::Lifecycle(l) if l.run_id == run.prompt_id && l.kind.as_str() == "failed" => Some(&l.kind),
            _ => None,
        }),
        Some(LifecycleKind::Failed { message: Some(m) }) if m.contains("boom")
    ));
}

#[test]
fn interrupted_run_stops_at_the_interrupted_node() {
    let r = replay("d_interrupted", "ws_submitter");
    let run = r.tracker.runs()[0].clone();
    assert_eq!(run.status, RunStatus::Interrupted);
    assert_eq!(run.interrupted_node.as_deref(), Some("2"));
    let node = run.node("2").expect("node 2");
    assert_eq!(node.status, NodeStatus::Interrupted);
    assert_eq!(node.max, Some(100.0));
    assert!(node.value.unwrap_or(0.0) >= 10.0 && node.value.unwrap_or(0.0) < 100.0);
    assert_eq!(run.nodes_done(), 1);
    assert!(lifecycle_kinds(&r.changes, &run.prompt_id).ends_with(&["interrupted"]));
}

#[test]
fn queue_of_three_runs_in_order_and_queue_counts_follow_status() {
    let r = replay("e_queue3", "ws_submitter");
    let runs = r.tracker.runs();
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|run| run.status == RunStatus::Succeeded));
    assert!(runs.iter().all(|run| run.outputs.len() == 1));
    assert_eq!(r.queue_seen, vec![0, 1, 1, 2, 3, 2, 2, 1, 1, 0]);
    assert_eq!(r.tracker.queue.remaining, Some(0));
    let observer = replay("e_queue3", "ws_observer");
    assert!(
        observer.tracker.runs().is_empty(),
        "a passive socket sees no runs"
    );
    assert_eq!(observer.queue_seen, r.queue_seen);
}

#[test]
fn legacy_previews_belong_to_the_node_that_ran_last() {
    let r = replay("f_preview_legacy", "ws_submitter");
    let previews = previews(&r.messages);
    assert_eq!(previews.len(), 4);
    assert!(previews
        .iter()
        .any(|p| p.mime == ImageMime::Jpeg && p.bytes.starts_with(&[0xff, 0xd8])));
    assert!(previews
        .iter()
        .any(|p| p.mime == ImageMime::Png && p.bytes.starts_with(&[0x89, b'P', b'N', b'G'])));
    let latest = r.tracker.preview.as_ref().expect("latest preview");
    let run = r.tracker.runs()[0].clone();
    assert_eq!(latest.run_id.as_deref(), Some(run.prompt_id.as_str()));
    assert!(latest.node_id.is_some());
    assert!(run
        .progress_text
        .as_deref()
        .is_some_and(|t| t.contains("width: 64, height: 48")));
    assert_eq!(run.status, RunStatus::Succeeded);
}

#[test]
fn metadata_previews_name_their_prompt_and_node() {
    let r = replay("f_preview_metadata", "ws_submitter");
    let run = r.tracker.runs()[0].clone();
    let previews = previews(&r.messages);
    assert_eq!(previews.len(), 4);
    assert!(previews
        .iter()
        .all(|p| p.prompt_id.as_deref() == Some(run.prompt_id.as_str()) && p.node_id.is_some()));
    assert!(r.tracker.supports_preview_metadata);
}

#[test]
fn prompt_without_client_id_is_seen_through_broadcast_progress_and_needs_history() {
    let mut r = replay("h_no_client_id", "ws_observer");
    let runs = r.tracker.runs();
    assert_eq!(
        runs.len(),
        1,
        "progress is broadcast when the prompt has no client id"
    );
    let run = runs[0].clone();
    // Its end is sent to no one. The old tracker guessed "unknown" when the queue drained;
    // now the drained queue makes it ask the server instead.
    assert_eq!(run.status, RunStatus::Running, "not ended by guessing");
    assert!(r.tracker.is_awaiting(&run.prompt_id));
    let requests = r.tracker.take_requests(run.last_update_ms);
    assert!(requests.contains(&Request::ReadQueue), "{requests:?}");
    assert!(requests
        .iter()
        .any(|q| matches!(q, Request::ReadHistory { .. })));
    // The server's queue is empty: its history entry is read next.
    let mut out = Vec::new();
    let idle = decode_queue(&http_body("queue_idle.json")).expect("queue");
    r.tracker
        .apply_queue(&idle, run.last_update_ms + 10.0, &mut out);
    let requests = r.tracker.take_requests(run.last_update_ms + 10.0);
    assert!(requests.contains(&Request::ReadHistoryEntry(run.prompt_id.clone())));
    // ComfyUI's history says it succeeded (an entry of another recording, renamed).
    let mut entry = history("history_prompt_success.json").remove(0);
    entry.prompt_id = run.prompt_id.clone();
    r.tracker.apply_history_entry(
        &run.prompt_id,
        Ok(Some(&entry)),
        run.last_update_ms + 20.0,
        &mut out,
    );
    let settled = r.tracker.run(&run.prompt_id).expect("run");
    assert_eq!(settled.status, RunStatus::Succeeded);
    assert!(!r.tracker.is_awaiting(&run.prompt_id));
}

#[test]
fn reconnect_mid_run_continues_the_same_run() {
    let r = replay("i_reconnect", "ws_submitter");
    let runs = r.tracker.runs();
    assert_eq!(runs.len(), 1);
    let run = runs[0];
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.outputs.len(), 1);
    assert_eq!(run.nodes_done() as usize, run.nodes.len());
    // The bare `executing` after the reconnect has no prompt id and must not create a run.
    assert!(r.messages.iter().any(
        |m| matches!(m, ServerMessage::Executing(e) if e.prompt_id.is_none() && e.node.is_some())
    ));
}

#[test]
fn logs_are_decoded() {
    let r = replay("j_logs", "ws_submitter");
    let entries: usize = r
        .messages
        .iter()
        .map(|m| match m {
            ServerMessage::Logs(l) => l.entries.len(),
            _ => 0,
        })
        .sum();
    assert!(entries > 0);
    assert_eq!(r.tracker.runs()[0].status, RunStatus::Succeeded);
}

#[test]
fn shared_client_id_socket_still_decodes_the_run() {
    let r = replay("k_shared_client_id", "ws_dashboard");
    assert_eq!(r.tracker.runs().len(), 1);
    assert_eq!(r.tracker.runs()[0].status, RunStatus::Succeeded);
    let ui = replay("k_shared_client_id", "ws_ui");
    assert!(
        ui.tracker.runs().is_empty(),
        "the replaced socket goes silent"
    );
}

#[test]
fn crystools_samples_hide_unavailable_gpu_values() {
    let r = replay("crystools_monitor", "ws_observer");
    let sample = r.tracker.gpu.monitor.as_ref().expect("monitor sample");
    assert!(sample.cpu_utilization.is_some());
    assert!(sample.ram_total.unwrap_or(0.0) > 0.0);
    assert_eq!(sample.device_type.as_deref(), Some("cpu"));
    assert_eq!(sample.gpus.len(), 1);
    let gpu = &sample.gpus[0];
    assert_eq!(
        (
            gpu.utilization,
            gpu.vram_total,
            gpu.vram_used,
            gpu.temperature
        ),
        (None, None, None, None)
    );
}

#[test]
fn validation_errors_produce_no_runs() {
    let r = replay("g_validation_error", "ws_submitter");
    assert!(r.tracker.runs().is_empty());
    assert!(r.errors.is_empty());
}

#[test]
fn every_scenario_replays_twice_to_the_same_runs() {
    for scenario in scenarios() {
        for prefix in ["ws_submitter", "ws_observer"] {
            if trace_files(&scenario, prefix).is_empty() {
                continue;
            }
            let a = replay(&scenario, prefix);
            let b = replay(&scenario, prefix);
            let (ra, rb) = (a.tracker.runs(), b.tracker.runs());
            assert_eq!(ra, rb, "{scenario}/{prefix} is not deterministic");
            assert!(a.errors.is_empty(), "{scenario}/{prefix}: {:?}", a.errors);
            for run in ra {
                // Ended, or being read from the server (a prompt whose end nobody is sent).
                assert!(
                    run.status.is_terminal() || a.tracker.is_awaiting(&run.prompt_id),
                    "{scenario}: run {} left {:?}",
                    run.prompt_id,
                    run.status
                );
            }
        }
    }
}

#[test]
fn event_log_folds_interleaved_progress_and_keeps_milestones() {
    let mut log = telemetry_core::event_log::EventLog::new(200);
    for frame in frames("a_success", "ws_submitter") {
        if let Ok(msg) = decode(&frame) {
            log.record(&msg, frame.t_ms);
        }
    }
    let kinds: Vec<&str> = log.lines().map(|l| l.kind.as_str()).collect();
    assert!(
        kinds.len() < 20,
        "34 frames fold into a short log: {kinds:?}"
    );
    for milestone in [
        "execution_start",
        "executing",
        "executed",
        "execution_success",
    ] {
        assert!(
            kinds.contains(&milestone),
            "{milestone} missing from {kinds:?}"
        );
    }
    let progress = log
        .lines()
        .find(|l| l.kind == "progress")
        .expect("progress line");
    assert_eq!(progress.repeat, 10);
    assert_eq!(progress.text, "node 2 step 10/10");
}
