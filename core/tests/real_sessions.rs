//! Sessions recorded from a real ComfyUI 0.3.64 (`core/tests/fixtures/real`, made by
//! `tests/comfyui/record.py`) replayed through the pipeline as the dashboard would see them:
//! with the extension (`ws_telemetry`), as a passive stock page (`ws_observer`, status frames
//! only) and as a page opened mid-run (`ws_telemetry_late`). Whatever the view, every prompt
//! must end as ComfyUI's own history entry says, with node counts that never exceed the prompt's.
//! The requests the pipeline makes are answered from the recorded history, as a server would.

use std::path::PathBuf;

use serde_json::Value;
use telemetry_core::connection::EndpointKind;
use telemetry_core::input::{Input, Reply};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::protocol::http::decode_history;
use telemetry_core::run::RunStatus;
use telemetry_core::trace::{merge, parse_trace, Payload, TraceFrame};
use telemetry_core::tracker::Request;

fn real(scenario: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(scenario)
}

fn frames(scenario: &str, file: &str) -> Vec<TraceFrame> {
    let text = std::fs::read_to_string(real(scenario).join(file)).expect("trace readable");
    merge(vec![parse_trace(&text)])
}

/// The recorded `/history/{id}` entries, keyed by prompt id, in the order they were queued.
fn history(scenario: &str) -> (String, Vec<(String, Value)>) {
    let raw = std::fs::read_to_string(real(scenario).join("history.json")).expect("history.json");
    let map: serde_json::Map<String, Value> = serde_json::from_str(&raw).expect("history json");
    let list = map.into_iter().collect();
    (raw, list)
}

/// What the dashboard must show for a history entry: its messages decide, then status_str.
fn expected(entry: &Value) -> RunStatus {
    let types: Vec<&str> = entry["status"]["messages"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x[0].as_str()).collect())
        .unwrap_or_default();
    if types.contains(&"execution_interrupted") {
        RunStatus::Interrupted
    } else if types.contains(&"execution_error") {
        RunStatus::Failed
    } else if entry["status"]["status_str"] == "success" {
        RunStatus::Succeeded
    } else {
        RunStatus::Failed
    }
}

/// The page's pipeline, fed through its one door, and what it asked that the (recorded) server
/// has not answered yet.
struct Page {
    p: Pipeline,
    asked: Vec<Request>,
}

impl Page {
    fn new() -> Page {
        Page {
            p: Pipeline::new("http://127.0.0.1:8188", 200.0),
            asked: Vec::new(),
        }
    }

    fn step(&mut self, input: Input<'_>, now: f64) {
        let step = self.p.step(input, now);
        self.asked.extend(step.requests);
    }

    fn feed(&mut self, frame: &TraceFrame) {
        match &frame.payload {
            Payload::Text(t) => self.step(Input::Text(t), frame.t_ms),
            Payload::Binary(b) => self.step(Input::Binary(b), frame.t_ms),
        }
    }

    /// Answers the requests as the (now idle) server would, until it asks nothing more.
    fn settle(&mut self, history_body: &str, now: f64) {
        let recorded: Value = serde_json::from_str(history_body).expect("json");
        for round in 0..20 {
            let requests = std::mem::take(&mut self.asked);
            if requests.is_empty() {
                break;
            }
            for request in requests {
                let reply = match &request {
                    Request::ReadQueue => {
                        Reply::Body(r#"{"queue_running":[],"queue_pending":[]}"#.to_owned())
                    }
                    Request::ReadHistory { .. } | Request::ReadDetailsPage { .. } => {
                        Reply::Body(history_body.to_owned())
                    }
                    Request::ReadHistoryEntry(id) | Request::ReadHistoryDetails(id) => {
                        Reply::Body(match recorded.get(id.as_str()) {
                            Some(e) => serde_json::json!({ id.clone(): e }).to_string(),
                            None => "{}".to_owned(),
                        })
                    }
                    Request::ReadFeatures => Reply::Body("{}".to_owned()),
                    // 0.3.64 has no jobs API.
                    Request::ReadJobs => Reply::Failed { status: Some(404) },
                    // Not part of this check: left unanswered.
                    Request::ReadGpuSoon | Request::ReadSystemStats => continue,
                    // Nobody cancels in these recordings.
                    Request::DeleteQueued(_) | Request::ClearQueue => continue,
                };
                self.step(Input::Answer { request, reply }, now + round as f64);
            }
        }
    }
}

/// Replays one view of a scenario and checks every prompt against ComfyUI's history.
fn check_view(scenario: &str, file: &str) {
    let (body, entries) = history(scenario);
    assert!(decode_history(&body).is_ok(), "recorded history decodes");
    let mut page = Page::new();
    let frames = frames(scenario, file);
    // The socket opened just before its first frame, as the stream manager says.
    let endpoint = if file.contains("telemetry") {
        EndpointKind::Telemetry
    } else {
        EndpointKind::Ws
    };
    page.step(
        Input::Connected { endpoint },
        frames.first().map_or(0.0, |f| f.t_ms - 1.0),
    );
    let mut end = 0.0;
    for f in &frames {
        page.feed(f);
        end = f.t_ms;
    }
    page.settle(&body, end + 1000.0);
    let p = &page.p;
    assert!(
        p.tracker().index_is_consistent(),
        "{scenario}/{file}: run indexes"
    );
    for (id, entry) in &entries {
        let run = p
            .tracker()
            .run(id)
            .unwrap_or_else(|| panic!("{scenario}/{file}: prompt {id} never shown"));
        assert_eq!(
            run.status,
            expected(entry),
            "{scenario}/{file}: status of {id}"
        );
        let prompt_nodes = entry["prompt"][2].as_object().map(|o| o.len() as u32);
        if let (Some(total), Some(want)) = (run.node_total, prompt_nodes) {
            assert_eq!(total, want, "{scenario}/{file}: node total of {id}");
        }
        if let Some(total) = run.node_total {
            assert!(
                run.nodes_done() <= total,
                "{scenario}/{file}: {id} shows {} of {total} nodes done",
                run.nodes_done()
            );
        }
        // Never fewer done than ComfyUI ran: all of a successful prompt's nodes (each ran or
        // was cached), and at least those an error or interrupt lists as executed.
        let ran = match expected(entry) {
            RunStatus::Succeeded => prompt_nodes.unwrap_or(0) as usize,
            _ => entry["status"]["messages"]
                .as_array()
                .and_then(|m| {
                    m.iter()
                        .find(|x| x[0] == "execution_error" || x[0] == "execution_interrupted")
                })
                .and_then(|x| x[1]["executed"].as_array())
                .map_or(0, |e| e.len()),
        };
        assert!(
            run.nodes_done() as usize >= ran,
            "{scenario}/{file}: {id} shows {} done, ComfyUI ran {ran}",
            run.nodes_done()
        );
        let images = entry["outputs"]
            .as_object()
            .map(|o| {
                o.values()
                    .map(|v| v["images"].as_array().map(|a| a.len()).unwrap_or(0))
                    .sum::<usize>()
            })
            .unwrap_or(0);
        assert_eq!(
            run.outputs.len(),
            images,
            "{scenario}/{file}: outputs of {id}"
        );
    }
}

const SCENARIOS: &[&str] = &[
    "l_parallel_async",
    "m_expansion",
    "n_blocked",
    "o_no_client_id_pair",
    "p_catch_up_mid_run",
    "q_burst",
    "r_cached_partial",
    "s_error_interrupt",
    "t_validation",
];

#[test]
fn with_the_extension_every_prompt_ends_as_comfyui_says() {
    for s in SCENARIOS {
        check_view(s, "ws_telemetry.jsonl");
    }
}

#[test]
fn a_passive_stock_page_settles_every_prompt_by_reconciliation() {
    for s in SCENARIOS {
        check_view(s, "ws_observer.jsonl");
    }
}

#[test]
fn the_submitters_own_socket_gives_the_same_runs() {
    for s in SCENARIOS {
        check_view(s, "ws_submitter.jsonl");
    }
}

#[test]
fn a_page_opened_mid_run_shows_the_running_prompt_as_running_at_once() {
    let scenario = "p_catch_up_mid_run";
    let (_, entries) = history(scenario);
    let running = &entries[1].0;
    let frames = frames(scenario, "ws_telemetry_late.jsonl");
    let mut page = Page::new();
    // The hello, then `replay.count` catch-up frames: after those the second prompt runs.
    let mut count = None;
    let mut fed = 0usize;
    for f in &frames {
        page.feed(f);
        if let Payload::Text(t) = &f.payload {
            let v: Value = serde_json::from_str(t).expect("json");
            if v["type"] == "telemetry.hello" {
                count = v["data"]["replay"]["count"].as_u64();
                fed = 0;
                continue;
            }
        }
        fed += 1;
        if count.is_some_and(|c| fed as u64 >= c) {
            break;
        }
    }
    assert!(count.is_some(), "the late subscriber got a hello");
    let run = page
        .p
        .tracker()
        .run(running)
        .expect("the running prompt is shown");
    assert_eq!(run.status, RunStatus::Running, "right after the catch-up");
    assert!(
        run.server_started_ms.is_some(),
        "its start has the server's timestamp"
    );
    check_view(scenario, "ws_telemetry_late.jsonl");
}

#[test]
fn concurrent_async_nodes_overlap_in_time() {
    let mut page = Page::new();
    for f in &frames("l_parallel_async", "ws_telemetry.jsonl") {
        page.feed(f);
    }
    let (_, entries) = history("l_parallel_async");
    let run = page.p.tracker().run(&entries[0].0).expect("run");
    let spans: Vec<(f64, f64)> = ["10", "11", "12"]
        .iter()
        .map(|id| {
            let n = run.node(id).expect("async node recorded");
            (n.started_ms.expect("start"), n.finished_ms.expect("end"))
        })
        .collect();
    let latest_start = spans.iter().map(|s| s.0).fold(f64::MIN, f64::max);
    let earliest_end = spans.iter().map(|s| s.1).fold(f64::MAX, f64::min);
    assert!(
        latest_start < earliest_end,
        "all three async nodes were running at once: {spans:?}"
    );
}

#[test]
fn expanded_nodes_count_as_their_display_node() {
    let mut page = Page::new();
    for f in &frames("m_expansion", "ws_telemetry.jsonl") {
        page.feed(f);
    }
    let (_, entries) = history("m_expansion");
    let run = page.p.tracker().run(&entries[0].0).expect("run");
    assert_eq!(run.node_total, Some(3));
    assert_eq!(run.nodes_done(), 3);
    assert!(
        run.nodes.iter().all(|n| !n.id.contains('.')),
        "no expanded id is listed as a node of its own: {:?}",
        run.nodes.iter().map(|n| &n.id).collect::<Vec<_>>()
    );
}
