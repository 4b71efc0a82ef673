//! A failed or interrupted run never counts fewer nodes done than ComfyUI executed, even when
//! the frame that finished a node never reached the page. Found by the real execution batch
//! (tests/e2e/execution-batch.real.ts, intermittent in CI): the extension's socket to a slow
//! page drops progress frames, the page still had node 2 "running" when the error came, marked
//! it failed, and neither `/history` nor the server run log (which had node 2 finished) could
//! raise it again: the row said 1 done where ComfyUI executed 2. The end message's `executed`
//! names the nodes that ran, and a node a record only inferred as stopped ranks below a node
//! the server said finished.

use serde_json::{json, Value};
use telemetry_core::connection::EndpointKind;
use telemetry_core::history::StoredRun;
use telemetry_core::input::Input;
use telemetry_core::pipeline::Pipeline;
use telemetry_core::run::{NodeStatus, Run, RunSource, RunStatus};

const ID: &str = "0a9d4a0f-688b-4c49-853c-e57cb4ce484b";

fn frame(kind: &str, data: Value) -> String {
    json!({"type": kind, "data": data}).to_string()
}

fn state(nodes: &[(&str, &str)]) -> String {
    let nodes: serde_json::Map<String, Value> = nodes
        .iter()
        .map(|(id, s)| {
            let v = json!({"value": 0, "max": 1, "state": s, "node_id": id, "prompt_id": ID,
                           "display_node_id": id, "parent_node_id": null, "real_node_id": id});
            (id.to_string(), v)
        })
        .collect();
    frame("progress_state", json!({"prompt_id": ID, "nodes": nodes}))
}

/// EmptyImage (1) -> sleep (2) -> fail (3) -> save (4) on `/telemetry`, every frame between
/// node 2 running and the end dropped; `end` is the end message ComfyUI sent, naming
/// `executed`.
fn streamed(end: &str, executed: &[&str]) -> Pipeline {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    p.step(
        Input::Connected {
            endpoint: EndpointKind::Telemetry,
        },
        0.0,
    );
    let data = json!({"prompt_id": ID, "node_id": "3", "node_type": "TelemetryFail",
        "executed": executed, "exception_message": "boom", "exception_type": "RuntimeError",
        "traceback": [], "current_inputs": {}, "current_outputs": {}, "timestamp": 90});
    for (t, f) in [
        frame("execution_start", json!({"prompt_id": ID, "timestamp": 1})),
        frame(
            "execution_cached",
            json!({"nodes": [], "prompt_id": ID, "timestamp": 1}),
        ),
        state(&[("1", "running")]),
        state(&[("1", "finished"), ("2", "running")]),
        frame(end, data),
    ]
    .iter()
    .enumerate()
    {
        p.step(Input::Text(f), 1.0 + t as f64);
    }
    p
}

fn counts(run: &Run) -> (RunStatus, u32, NodeStatus) {
    let two = run.node("2").map_or(NodeStatus::Pending, |n| n.status);
    (run.status, run.nodes_done(), two)
}

#[test]
fn an_error_counts_the_nodes_it_names_as_executed() {
    let p = streamed("execution_error", &["1", "2"]);
    let run = p.tracker().run(ID).expect("run shown");
    assert_eq!(
        counts(run),
        (RunStatus::Failed, 2, NodeStatus::Finished),
        "node 2 ran (the error says so) though its finish was never seen"
    );
    assert_eq!(run.node("3").map(|n| n.status), Some(NodeStatus::Failed));
}

#[test]
fn an_interrupt_counts_the_nodes_it_names_as_executed() {
    let p = streamed("execution_interrupted", &["1", "2"]);
    let run = p.tracker().run(ID).expect("run shown");
    assert_eq!(
        counts(run),
        (RunStatus::Interrupted, 2, NodeStatus::Finished)
    );
}

#[test]
fn without_executed_a_node_running_at_the_error_is_stopped_not_failed() {
    // A producer that does not send `executed`: node 2 was still running, so it stopped with
    // the run; the error names node 3 as the one that failed.
    let p = streamed("execution_error", &[]);
    let run = p.tracker().run(ID).expect("run");
    assert_eq!(counts(run), (RunStatus::Failed, 1, NodeStatus::Interrupted));
    assert_eq!(run.node("3").map(|n| n.status), Some(NodeStatus::Failed));
    // A record that saw node 2 finish (the server's run log) raises it when merged.
    let mut log = run.clone();
    log.node_mut("2").status = NodeStatus::Finished;
    let mut merged = run.clone();
    merged.merge(&log);
    assert_eq!(
        counts(&merged),
        (RunStatus::Failed, 2, NodeStatus::Finished)
    );
}

/// A record in which node 2 stopped with its run (the page that missed its finish).
fn inferred_stopped(status: NodeStatus) -> Run {
    let mut run = Run::new("srv", ID, RunSource::Stream, 1.0);
    run.status = RunStatus::Failed;
    run.node_total = Some(4);
    for (id, s) in [
        ("1", NodeStatus::Finished),
        ("2", status),
        ("3", NodeStatus::Failed),
        ("4", NodeStatus::Pending),
    ] {
        let n = run.node_mut(id);
        n.in_prompt = true;
        n.status = s;
    }
    run
}

#[test]
fn merging_two_records_never_counts_fewer_done_than_either() {
    let poorer = inferred_stopped(NodeStatus::Interrupted);
    let richer = inferred_stopped(NodeStatus::Finished);
    assert_eq!((poorer.nodes_done(), richer.nodes_done()), (1, 2));
    // Either way round, in memory and through the store's merge.
    for (a, b) in [(&poorer, &richer), (&richer, &poorer)] {
        let mut merged = a.clone();
        merged.merge(b);
        assert_eq!(merged.nodes_done(), 2);
        let stored = StoredRun::from_run(b);
        let written = StoredRun::from_run(a).merged_into(Some(&stored));
        let kept = written.map_or(stored.run.nodes_done(), |w| w.run.nodes_done());
        assert_eq!(kept, 2);
    }
    // The node the server said failed stays failed whatever the other record says.
    let mut merged = richer.clone();
    let mut other = richer.clone();
    other.node_mut("3").status = NodeStatus::Finished;
    merged.merge(&other);
    assert_eq!(merged.node("3").map(|n| n.status), Some(NodeStatus::Failed));
}
