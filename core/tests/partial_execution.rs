//! A successful prompt did not run every node it holds: ComfyUI runs only what its outputs to
//! execute need (`partial_execution_targets`, or every output node), so a node that feeds no such
//! output never runs. Found by the real execution batch (tests/e2e/execution-batch.real.ts): the
//! history showed "4/4" done for a partial execution in which ComfyUI ran 2 of 4 nodes, because a
//! success read from `/history` marked every node finished.

use serde_json::{json, Value};
use telemetry_core::connection::EndpointKind;
use telemetry_core::input::{Input, Reply};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::protocol::http::decode_history;
use telemetry_core::run::RunStatus;
use telemetry_core::tracker::Request;

const ID: &str = "9e0d1c2b-0000-4000-8000-00000000000a";

fn empty() -> Value {
    json!({"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}})
}

fn save(src: &str) -> Value {
    json!({"class_type": "SaveImage", "inputs": {"images": [src, 0], "filename_prefix": "x"}})
}

/// Two independent branches (1 → 3, 2 → 4) and a node (5) that feeds nothing.
fn prompt() -> Value {
    json!({"1": empty(), "2": empty(), "3": save("1"), "4": save("2"), "5": empty()})
}

/// ComfyUI's `/history/{id}` for the prompt run with these outputs to execute.
fn history(outputs_to_execute: &[&str]) -> String {
    let msg = |kind: &str, t: i64| json!([kind, {"prompt_id": ID, "timestamp": t}]);
    let cached = json!(["execution_cached", {"nodes": [], "prompt_id": ID, "timestamp": 1}]);
    let image = |n: &str| json!({"images": [{"filename": format!("{n}.png"), "subfolder": "", "type": "output"}]});
    let outputs: serde_json::Map<String, Value> = outputs_to_execute
        .iter()
        .map(|n| (n.to_string(), image(n)))
        .collect();
    json!({ID: {
        "prompt": [3, ID, prompt(), {"client_id": "other"}, outputs_to_execute],
        "outputs": outputs,
        "status": {"status_str": "success", "completed": true,
                   "messages": [msg("execution_start", 1), cached, msg("execution_success", 40)]},
        "meta": {}
    }})
    .to_string()
}

fn done_of(p: &Pipeline) -> (RunStatus, u32, Option<u32>) {
    let run = p.tracker().run(ID).expect("run shown");
    (run.status, run.nodes_done(), run.node_total)
}

#[test]
fn a_stock_page_counts_done_only_the_nodes_the_executed_outputs_need() {
    for (targets, done) in [(&["3"][..], 2), (&["3", "4"][..], 4)] {
        let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
        p.step(
            Input::Connected {
                endpoint: EndpointKind::Ws,
            },
            0.0,
        );
        let entries = decode_history(&history(targets)).expect("decodes");
        p.step(
            Input::HistoryEntries {
                entries,
                stored: Vec::new(),
            },
            10.0,
        );
        assert_eq!(
            done_of(&p),
            (RunStatus::Succeeded, done, Some(5)),
            "outputs to execute {targets:?}: node 5 feeds nothing and never ran"
        );
    }
}

#[test]
fn a_streamed_partial_run_keeps_its_count_after_reading_its_history() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    p.step(
        Input::Connected {
            endpoint: EndpointKind::Telemetry,
        },
        0.0,
    );
    let frame = |kind: &str, data: Value| json!({"type": kind, "data": data}).to_string();
    let node = |n: Option<&str>| json!({"node": n, "display_node": n, "prompt_id": ID});
    let mut asked = Vec::new();
    for (t, f) in [
        frame("execution_start", json!({"prompt_id": ID, "timestamp": 1})),
        frame(
            "execution_cached",
            json!({"nodes": [], "prompt_id": ID, "timestamp": 1}),
        ),
        frame("executing", node(Some("1"))),
        frame("executing", node(Some("3"))),
        frame("executing", node(None)),
        frame(
            "execution_success",
            json!({"prompt_id": ID, "timestamp": 40}),
        ),
    ]
    .iter()
    .enumerate()
    {
        asked.extend(p.step(Input::Text(f), 1.0 + t as f64).requests);
    }
    // The stream does not name the prompt's nodes: the page reads the entry once.
    let details = Request::ReadHistoryDetails(ID.to_owned());
    assert!(asked.contains(&details), "{asked:?}");
    let reply = Reply::Body(history(&["3"]));
    p.step(
        Input::Answer {
            request: details,
            reply,
        },
        50.0,
    );
    assert_eq!(done_of(&p), (RunStatus::Succeeded, 2, Some(5)));
}

#[test]
fn without_outputs_to_execute_a_success_still_counts_every_node() {
    // Producers that do not say what ran (imports, older servers): a success ran what it needed,
    // and nothing says that was less than everything.
    let body = history(&["3"]).replace(r#",["3"]]"#, "]");
    assert!(
        !body.contains(r#"["3"]"#),
        "outputs to execute removed: {body}"
    );
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let entries = decode_history(&body).expect("decodes");
    p.step(
        Input::HistoryEntries {
            entries,
            stored: Vec::new(),
        },
        10.0,
    );
    assert_eq!(done_of(&p), (RunStatus::Succeeded, 5, Some(5)));
}
