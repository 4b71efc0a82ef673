//! Shared by the store's browser tests (`tests/store.rs`, `tests/store_search.rs`, the insight
//! tests and benchmark): generated runs with many ties, the in-memory oracle, paging through a
//! store, a version-1 database, and the `meta` entries as stored.
#![allow(dead_code)]

use comfy_dashboard::store::idb::{Database, TransactionMode};
use comfy_dashboard::store::{PageCursor, RunStore};
use telemetry_core::follow::{ExitReason, FollowRecord, QueuePolicy};
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::run::{NodeRecord, Run, RunSource, RunStatus};
use wasm_bindgen::JsValue;

pub const DAY: f64 = 86_400_000.0;
pub const BASE: f64 = 1_700_000_000_000.0;
pub const SERVERS: [&str; 2] = ["http://a:8188", "http://b:8188"];
pub const GPUS: [&str; 4] = ["RTX 4090", "rtx 4090", "A100", ""];
pub const WORKFLOWS: [&str; 4] = ["txt2img", "upscale", "video", ""];
pub const NODES: [&str; 4] = ["KSampler", "VAEDecode", "SaveImage", "CLIPTextEncode"];

pub fn db_name(test: &str) -> String {
    format!("store-test-{test}-{}", js_sys::Math::random().to_bits())
}

pub async fn cleanup(store: RunStore) {
    let name = store.name().to_owned();
    store.close();
    drop(store);
    let _ = Database::delete(&name).await;
}

pub struct Rng(u64);

impl Rng {
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Varied runs with many ties: start times on a coarse grid, few durations, repeated values.
pub fn generate(count: usize, seed: u64) -> Vec<Run> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|i| {
            let server = SERVERS[rng.next(2) as usize];
            let mut run = Run::new(server, &format!("p{i:04}-{seed}"), RunSource::Stream, BASE);
            run.status = RunStatus::ALL[rng.next(6) as usize];
            let start = BASE + rng.next(60) as f64 * 3_600_000.0;
            run.server_started_ms = Some(start as i64);
            if rng.next(5) > 0 {
                run.server_ended_ms = Some(start as i64 + rng.next(15) as i64 * 1000);
            }
            run.gpu_name = Some(GPUS[rng.next(4) as usize].to_owned()).filter(|g| !g.is_empty());
            run.workflow =
                Some(WORKFLOWS[rng.next(4) as usize].to_owned()).filter(|w| !w.is_empty());
            for (n, class) in NODES.iter().enumerate() {
                if rng.next(2) == 0 {
                    let mut node = NodeRecord::new(&n.to_string());
                    node.class_type = Some((*class).to_owned());
                    run.nodes.push(node);
                }
            }
            match rng.next(4) {
                0 => {}
                1 => run.source = RunSource::Seed,
                _ => {
                    run.follow = Some(FollowRecord {
                        policy: QueuePolicy::default(),
                        started_ms: start,
                        attempts: 1,
                        retries: 0,
                        waited_ms: None,
                        execution_done_ms: None,
                        exit: [Some(ExitReason::Success), Some(ExitReason::MaxWait), None]
                            [rng.next(3) as usize],
                    })
                }
            }
            run
        })
        .collect()
}

pub fn stored(runs: &[Run]) -> Vec<StoredRun> {
    runs.iter().map(StoredRun::from_run).collect()
}

pub fn oracle(all: &[StoredRun], q: &HistoryQuery) -> Vec<String> {
    let mut v: Vec<&StoredRun> = all.iter().filter(|r| q.matches(r)).collect();
    v.sort_by(|a, b| q.compare(a, b));
    v.into_iter().map(|r| r.key.clone()).collect()
}

pub async fn page_all(store: &RunStore, q: &HistoryQuery, limit: usize) -> Vec<String> {
    let mut keys = Vec::new();
    let mut after: Option<PageCursor> = None;
    for _ in 0..10_000 {
        let page = store.page(q, after.as_ref(), limit).await.unwrap();
        assert!(page.runs.len() <= limit);
        keys.extend(page.runs.iter().map(|r| r.key.clone()));
        match page.next {
            Some(next) => {
                assert_eq!(page.runs.len(), limit, "a short page must be the last");
                after = Some(next);
            }
            None => return keys,
        }
    }
    panic!("paging did not end");
}

/// A record as the version-1 build wrote it: few flat fields, and a run without the fields
/// added since (they have serde defaults).
pub fn legacy_record(run: &Run) -> JsValue {
    let mut run_json = serde_json::to_value(run).unwrap();
    let obj = run_json.as_object_mut().unwrap();
    for later in [
        "server_queued_ms",
        "reconstructed",
        "vram_total",
        "vram_free_before",
        "vram_free_after",
        "vram_peak_used",
        "cpu_only",
        "stream_lost",
        "follow",
    ] {
        obj.remove(later);
    }
    let record = serde_json::json!({
        "key": format!("{}|{}", run.server, run.prompt_id),
        "server": run.server,
        "prompt_id": run.prompt_id,
        "start_ms": telemetry_core::history::record::start_ms(run),
        "status": run.status.as_str(),
        "version": 1,
        "run": run_json,
    });
    js_sys::JSON::parse(&record.to_string()).unwrap()
}

pub async fn create_v1(name: &str, runs: &[Run]) {
    let db = Database::open_plain(
        name,
        Some(1),
        Some(comfy_dashboard::store::schema::create_v1),
    )
    .await
    .unwrap();
    let tx = db
        .transaction(&["runs"], TransactionMode::ReadWrite)
        .unwrap();
    let store = tx.store("runs").unwrap();
    store
        .put_all(runs.iter().map(|r| (legacy_record(r), None)))
        .await
        .unwrap();
    tx.done().await.unwrap();
    db.close();
}

/// Every `meta` entry of the database, by key, read through a connection of its own (the
/// store's `meta` holds the schema version, the search epoch and the insight snapshot and log).
pub async fn meta_entries(name: &str) -> Vec<(String, JsValue)> {
    let raw = Database::open_plain(name, None, None)
        .await
        .expect("raw open");
    let tx = raw
        .transaction(&["meta"], TransactionMode::ReadOnly)
        .expect("tx");
    let entries = tx
        .store("meta")
        .expect("meta")
        .scan(None, None, None, None)
        .await
        .expect("meta entries");
    raw.close();
    entries
        .into_iter()
        .filter_map(|(k, v)| Some((k.as_string()?, v)))
        .collect()
}
