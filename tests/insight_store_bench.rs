//! The insight aggregates at 100 000 stored runs (run by `bench/history.sh`, not by the test
//! suite): how long the panel waits for its first findings when the aggregates come from the
//! stored snapshot, against rebuilding them from every record and against just reading and
//! decoding every record (what any approach that re-reads the store pays at least), all
//! measured in the same run. Also the snapshot save (once per burst of writes) and its size.
#![cfg(all(target_arch = "wasm32", feature = "bench"))]

use comfy_dashboard::store::idb::Database;
use comfy_dashboard::store::{InsightLoad, RunStore};
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::protocol::ExecutionError;
use telemetry_core::run::{NodeRecord, NodeStatus, Run, RunSource, RunStatus};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/bench.rs"]
mod bench;
use bench::{chunks, now, Draws};
#[path = "support/store_data.rs"]
mod data;
use data::meta_entries;

const RUNS: usize = 100_000;
const CHUNK: usize = 2_000;
const WORKFLOWS: [&str; 8] = [
    "txt2img",
    "upscale",
    "video",
    "inpaint",
    "controlnet",
    "sdxl",
    "flux",
    "hires",
];

/// Runs of 8 workflows on 3 servers with node timings, a failure in 20 (some out of memory),
/// and one workflow twice as slow in the second half.
fn generate(i: usize) -> Run {
    let mut draws = Draws::of(i);
    let mut next = |n: u64| draws.next(n);
    let start = 1_760_000_000_000.0 + i as f64 * 60_000.0;
    let server = format!("http://10.0.0.{}:8188", next(3));
    let mut run = Run::new(&server, &format!("bench-{i:06}"), RunSource::Stream, start);
    let wf = next(8) as usize;
    let slow = if wf == 2 && i > RUNS / 2 { 2 } else { 1 };
    let dur = (2_000 + next(20_000) as i64) * slow;
    run.status = match next(20) {
        0 => RunStatus::Failed,
        1 => RunStatus::Interrupted,
        _ => RunStatus::Succeeded,
    };
    if run.status == RunStatus::Failed {
        let oom = next(2) == 0;
        run.error = Some(ExecutionError {
            prompt_id: run.prompt_id.clone(),
            node_id: Some("1".into()),
            node_type: Some("KSampler".into()),
            exception_type: Some(
                if oom {
                    "torch.OutOfMemoryError"
                } else {
                    "ValueError"
                }
                .into(),
            ),
            exception_message: Some(
                if oom {
                    "CUDA out of memory"
                } else {
                    "bad input"
                }
                .into(),
            ),
            traceback: Vec::new(),
            executed: Vec::new(),
            timestamp: None,
        });
    }
    run.server_started_ms = Some(start as i64);
    run.server_ended_ms = Some(start as i64 + dur);
    run.workflow = Some(WORKFLOWS[wf].to_owned());
    run.gpu_name = Some("RTX 4090".to_owned());
    let mut t = start;
    for (n, class) in ["CheckpointLoader", "KSampler", "VAEDecode", "SaveImage"]
        .iter()
        .enumerate()
    {
        let mut node = NodeRecord::new(&n.to_string());
        node.class_type = Some((*class).to_owned());
        node.status = NodeStatus::Finished;
        let share = if n == 1 { 0.7 } else { 0.1 };
        node.started_ms = Some(t);
        t += dur as f64 * share;
        node.finished_ms = Some(t);
        run.nodes.push(node);
    }
    run.node_total = Some(4);
    run
}

#[wasm_bindgen_test]
async fn insight_aggregates_at_100k_runs() {
    let name = "bench-insight-100k";
    let _ = Database::delete(name).await;
    let store = RunStore::open_named(name).await.expect("store opens");
    let fill_start = now();
    for records in chunks(RUNS, CHUNK, generate) {
        store.put(&records).await.expect("put");
    }
    let fill_ms = now() - fill_start;
    store.close();

    // Baseline: read and decode every record (a fresh handle, nothing in memory).
    let fresh = RunStore::open_named(name).await.expect("reopen");
    let t = now();
    let n = fresh
        .for_each_matching(&HistoryQuery::default(), |_| {})
        .await
        .expect("walk");
    let decode_ms = now() - t;
    assert_eq!(n as usize, RUNS);
    fresh.close();

    // No snapshot yet (the fill never loaded the aggregates): rebuilt from the runs, then saved.
    let first = RunStore::open_named(name).await.expect("reopen");
    let t = now();
    let how = first.load_insight().await.expect("load");
    let rebuild_ms = now() - t;
    assert_eq!(how, InsightLoad::Rebuilt);
    first.close();

    // What the panel does after a reload: the snapshot, then the findings.
    let store = RunStore::open_named(name).await.expect("reopen");
    let t = now();
    let how = store.load_insight().await.expect("load");
    let snapshot_ms = now() - t;
    assert_eq!(how, InsightLoad::Snapshot);
    let t = now();
    let findings = store
        .with_insight(|a| a.findings(2_000_000_000_000.0))
        .await
        .expect("findings");
    let findings_ms = now() - t;
    assert!(!findings.is_empty(), "the planted slowdown is found");

    // A burst of writes, then the save that follows it.
    let t = now();
    let changed: Vec<StoredRun> = (0..50)
        .map(|i| StoredRun::from_run(&generate(RUNS + i)))
        .collect();
    store.put_merged(&changed).await.expect("write");
    let write_ms = now() - t;
    let t = now();
    store.save_insight().await.expect("save");
    let save_ms = now() - t;

    let entry = meta_entries(name)
        .await
        .into_iter()
        .find_map(|(k, v)| (k == "insight").then_some(v))
        .expect("snapshot stored");
    let bytes = js_sys::Reflect::get(&entry, &"json".into())
        .ok()
        .and_then(|v| v.as_string())
        .map_or(0, |s| s.len());

    let first_findings = snapshot_ms + findings_ms;
    for l in [
        format!(
            "insight: store filled with {RUNS} runs in {:.1} s",
            fill_ms / 1000.0
        ),
        "| measure | ms | × decoding every record |".to_owned(),
        "|---|---|---|".to_owned(),
        format!("| read and decode every record (baseline) | {decode_ms:.0} | 1 |"),
        format!(
            "| first findings after a reload: snapshot load + findings | {first_findings:.0} | {:.3} |",
            first_findings / decode_ms
        ),
        format!(
            "| of which the snapshot load | {snapshot_ms:.0} | {:.3} |",
            snapshot_ms / decode_ms
        ),
        format!(
            "| of which `findings` ({} findings) | {findings_ms:.0} | {:.3} |",
            findings.len(),
            findings_ms / decode_ms
        ),
        format!(
            "| rebuild from every record + first save (once, no snapshot) | {rebuild_ms:.0} | {:.3} |",
            rebuild_ms / decode_ms
        ),
        format!(
            "| write 50 runs (`put_merged`, touch entries included) | {write_ms:.0} | {:.4} |",
            write_ms / decode_ms
        ),
        format!(
            "| save the snapshot after them | {save_ms:.0} | {:.3} |",
            save_ms / decode_ms
        ),
        format!(
            "insight: snapshot {:.1} MB ({:.0} B a run)",
            bytes as f64 / 1e6,
            bytes as f64 / RUNS as f64
        ),
    ] {
        console_log!("{l}");
    }
    store.close();
    let _ = Database::delete(name).await;
}
