//! The hand-written stored form against serde's derives: same object written, same record
//! read, the same records refused.

use super::*;
use crate::follow::{ExitReason, FollowRecord, QueuePolicy};
use crate::history::series::{MemoryKind, RunSeries, Sample};
use crate::protocol::{Artifact, ArtifactKind, ExecutionError};
use crate::run::{NodeRecord, NodeStatus, RunSource};
use serde_json::json;
use serde_json::Map;

/// A record with every field set to something other than its default.
fn full() -> StoredRun {
    let mut run = Run::new(
        "http://a:8188",
        "p-1",
        RunSource::History,
        1_700_000_000_000.5,
    );
    run.number = Some(-7);
    run.client_id = Some("client 1".into());
    run.status = RunStatus::Failed;
    run.queued_at_ms = Some(1.5);
    run.started_at_ms = Some(2.5);
    run.ended_at_ms = Some(3.5);
    run.server_started_ms = Some(1_700_000_000_123);
    run.server_ended_ms = Some(1_700_000_000_456);
    run.server_queued_ms = Some(1_700_000_000_001);
    run.nodes.push(NodeRecord {
        id: "5.0.0.1".into(),
        class_type: Some("KSampler".into()),
        status: NodeStatus::Interrupted,
        started_ms: Some(10.0),
        finished_ms: Some(20.25),
        value: Some(3.0),
        max: Some(20.0),
        in_prompt: true,
        copies: 4,
        activity: Some("sampling".into()),
        server_seconds: Some(0.125),
        blocked: Some("blocker".into()),
    });
    run.nodes.push(NodeRecord {
        id: "6".into(),
        class_type: None,
        status: NodeStatus::Cached,
        started_ms: None,
        finished_ms: None,
        value: None,
        max: None,
        in_prompt: false,
        copies: 0,
        activity: None,
        server_seconds: None,
        blocked: None,
    });
    run.node_total = Some(12);
    run.current_node = Some("5".into());
    run.outputs.push(Artifact {
        node_id: "9".into(),
        kind: ArtifactKind::Video,
        filename: "a \"b\".mp4".into(),
        subfolder: "sub".into(),
        folder_type: "output".into(),
        format: Some("video/h264-mp4".into()),
        text: Some("t".into()),
        animated: true,
    });
    run.error = Some(ExecutionError {
        prompt_id: "p-1".into(),
        node_id: Some("5".into()),
        node_type: Some("KSampler".into()),
        exception_type: Some("RuntimeError".into()),
        exception_message: Some("boom\nline 2 ✓".into()),
        traceback: vec!["a".into(), "b".into()],
        executed: vec!["1".into()],
        timestamp: Some(1_700_000_000_999),
    });
    run.interrupted_node = Some("5".into());
    run.workflow = Some("wf".into());
    run.progress_text = Some("3/20".into());
    run.last_update_ms = 99.0;
    run.reconstructed = true;
    run.history_attempts = Some(3);
    run.gpu_name = Some("RTX".into());
    run.reported_vram_delta = Some(-1.5e9);
    run.reported_duration_s = Some(12.5);
    run.vram_total = Some(24e9);
    run.vram_free_before = Some(20e9);
    run.vram_free_after = Some(19e9);
    run.vram_peak_used = Some(5e9);
    run.cpu_only = true;
    run.stream_lost = true;
    run.follow = Some(FollowRecord {
        policy: QueuePolicy {
            max_wait_s: 600,
            poll_interval_s: 2,
            max_attempts: 5,
            post_execution_timeout_s: 30,
            retry_budget: 1,
        },
        started_ms: 4.0,
        attempts: 2,
        retries: 1,
        waited_ms: Some(1500.0),
        execution_done_ms: Some(1200.0),
        exit: Some(ExitReason::PostExecution),
    });
    run.notes = vec!["note".into()];
    run.server_node_states = true;
    run.lost_reason = Some("gone".into());
    let mut stored = StoredRun::from_run(&run);
    let mut series = RunSeries::new("p-1", 5.0);
    series.memory = MemoryKind::Ram;
    series.mem_total_mb = Some(1024.0);
    series.peak_mb = Some(512.0);
    series.peak_t_ms = Some(300.0);
    series.interval_ms = 800.0;
    series.samples.push(Sample {
        t_ms: 0.0,
        nodes_done: 1,
        nodes_total: Some(12),
        step: Some(3.0),
        steps: Some(20.0),
        step_rate: Some(1.25),
        mem_mb: Some(100.0),
        progress: Some(0.5),
        gpu2_mb: Some(1.0),
        gpu3_mb: Some(2.0),
        gpu4_mb: Some(3.0),
    });
    series.samples.push(Sample {
        t_ms: 200.0,
        nodes_done: 2,
        nodes_total: None,
        step: None,
        steps: None,
        step_rate: None,
        mem_mb: None,
        progress: None,
        gpu2_mb: None,
        gpu3_mb: None,
        gpu4_mb: None,
    });
    stored.series = Some(series);
    let mut params = Map::new();
    params.insert("steps".into(), json!(20));
    params.insert("sampler".into(), json!({"name": "euler", "x": [1, null]}));
    stored.params = Some(params);
    stored.server_only = true;
    stored
}

fn minimal() -> StoredRun {
    StoredRun::from_run(&Run::new("s", "p", RunSource::Stream, 0.0))
}

#[test]
fn writes_the_object_serde_writes() {
    for record in [full(), minimal()] {
        let serde = serde_json::to_value(&record).expect("encodes");
        assert_eq!(to_value(&record), serde);
        // And the same text, so a record looks the same whoever wrote it.
        assert_eq!(to_value(&record).to_string(), serde.to_string());
    }
}

#[test]
fn reads_back_what_it_wrote_and_what_serde_wrote() {
    for record in [full(), minimal()] {
        assert_eq!(from_value(&to_value(&record)).as_ref(), Some(&record));
        let serde = serde_json::to_value(&record).expect("encodes");
        assert_eq!(from_value(&serde).as_ref(), Some(&record));
        assert_eq!(run_from_value(&serde["run"]).as_ref(), Some(&record.run));
    }
}

#[test]
fn a_record_written_before_later_fields_existed_reads_with_their_defaults() {
    let mut v = serde_json::to_value(full()).expect("encodes");
    let o = v.as_object_mut().expect("object");
    for k in ["series", "params", "server_only"] {
        o.remove(k);
    }
    let run = o["run"].as_object_mut().expect("run");
    for k in [
        "server_queued_ms",
        "reconstructed",
        "vram_total",
        "vram_free_before",
        "vram_free_after",
        "vram_peak_used",
        "cpu_only",
        "stream_lost",
        "follow",
        "notes",
        "server_node_states",
        "lost_reason",
        // Options without a default read as `None` when absent, as serde reads them.
        "number",
        "gpu_name",
    ] {
        run.remove(k);
    }
    for node in run["nodes"].as_array_mut().expect("nodes") {
        let node = node.as_object_mut().expect("node");
        for k in [
            "in_prompt",
            "copies",
            "activity",
            "server_seconds",
            "blocked",
        ] {
            node.remove(k);
        }
    }
    let expected: StoredRun = serde_json::from_value(v.clone()).expect("serde reads it");
    assert_eq!(from_value(&v), Some(expected));

    let mut s = serde_json::to_value(full().series).expect("encodes");
    for k in ["memory", "interval_ms"] {
        s.as_object_mut().expect("series").remove(k);
    }
    for sample in s["samples"].as_array_mut().expect("samples") {
        for k in ["progress", "gpu2_mb", "gpu3_mb", "gpu4_mb"] {
            sample.as_object_mut().expect("sample").remove(k);
        }
    }
    let expected: RunSeries = serde_json::from_value(s.clone()).expect("serde reads it");
    assert_eq!(series_from_value(&s), Some(expected));
}

#[test]
fn refuses_what_serde_refuses() {
    let good = serde_json::to_value(full()).expect("encodes");
    let broken: &[fn(&mut Value)] = &[
        |v| v["key"] = Value::Null,
        |v| drop(v.as_object_mut().expect("o").remove("run")),
        |v| drop(v["run"].as_object_mut().expect("o").remove("nodes")),
        |v| v["version"] = json!(-1),
        |v| v["run"]["status"] = json!("finished"),
        |v| v["run"]["source"] = json!("Stream"),
        |v| v["run"]["number"] = json!(1.5),
        |v| v["run"]["cpu_only"] = Value::Null,
        |v| v["run"]["nodes"][0]["status"] = json!(3),
        |v| v["run"]["nodes"][0]["copies"] = json!(5_000_000_000u64),
        |v| v["run"]["outputs"][0]["kind"] = json!("picture"),
        |v| v["run"]["error"]["traceback"] = json!([1]),
        |v| v["run"]["follow"]["exit"] = json!("never"),
        |v| v["series"]["memory"] = json!("disk"),
        |v| v["series"]["samples"][0]["nodes_done"] = Value::Null,
        |v| v["params"] = json!([1]),
        |v| *v = json!([]),
    ];
    for (i, breaks) in broken.iter().enumerate() {
        let mut v = good.clone();
        breaks(&mut v);
        assert!(
            serde_json::from_value::<StoredRun>(v.clone()).is_err(),
            "case {i}: serde reads it"
        );
        assert_eq!(from_value(&v), None, "case {i}");
    }
}
