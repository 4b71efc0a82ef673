//! The IndexedDB history store in a real browser. Every test uses its own database name and
//! deletes it afterwards. Queries are checked against an oracle: the same generated runs
//! filtered with `HistoryQuery::matches` and sorted with `HistoryQuery::compare` in memory.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::store::{classify, schema, PageCursor, RunStore, StoreError, StoreWriter};
use futures::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::rc::Rc;
use telemetry_core::follow::{ExitReason, FollowRecord, QueuePolicy};
use telemetry_core::history::{HistoryQuery, SortKey, StoredRun};
use telemetry_core::run::{NodeRecord, Run, RunSource, RunStatus};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DAY: f64 = 86_400_000.0;
const BASE: f64 = 1_700_000_000_000.0;
const SERVERS: [&str; 2] = ["http://a:8188", "http://b:8188"];
const GPUS: [&str; 4] = ["RTX 4090", "rtx 4090", "A100", ""];
const WORKFLOWS: [&str; 4] = ["txt2img", "upscale", "video", ""];
const NODES: [&str; 4] = ["KSampler", "VAEDecode", "SaveImage", "CLIPTextEncode"];

fn db_name(test: &str) -> String {
    format!("store-test-{test}-{}", js_sys::Math::random().to_bits())
}

async fn cleanup(store: RunStore) {
    let name = store.name().to_owned();
    store.close();
    drop(store);
    let _ = rexie::Rexie::delete(&name).await;
}

struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Varied runs with many ties: start times on a coarse grid, few durations, repeated values.
fn generate(count: usize, seed: u64) -> Vec<Run> {
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

fn stored(runs: &[Run]) -> Vec<StoredRun> {
    runs.iter().map(StoredRun::from_run).collect()
}

fn oracle(all: &[StoredRun], q: &HistoryQuery) -> Vec<String> {
    let mut v: Vec<&StoredRun> = all.iter().filter(|r| q.matches(r)).collect();
    v.sort_by(|a, b| q.compare(a, b));
    v.into_iter().map(|r| r.key.clone()).collect()
}

async fn page_all(store: &RunStore, q: &HistoryQuery, limit: usize) -> Vec<String> {
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

fn filters() -> Vec<(&'static str, HistoryQuery)> {
    let q = HistoryQuery::default;
    vec![
        ("none", q()),
        (
            "status",
            HistoryQuery {
                status: Some(RunStatus::Failed),
                ..q()
            },
        ),
        (
            "exit",
            HistoryQuery {
                exit_reason: Some("streamed".into()),
                ..q()
            },
        ),
        (
            "exit-maxwait",
            HistoryQuery {
                exit_reason: Some("maxWait".into()),
                ..q()
            },
        ),
        (
            "gpu",
            HistoryQuery {
                gpu: Some("rtx 4090".into()),
                ..q()
            },
        ),
        (
            "server",
            HistoryQuery {
                server: Some(SERVERS[1].into()),
                ..q()
            },
        ),
        (
            "workflow",
            HistoryQuery {
                workflow: Some("upscale".into()),
                ..q()
            },
        ),
        (
            "text",
            HistoryQuery {
                text: Some("KSampler".into()),
                ..q()
            },
        ),
        (
            "text-prompt-id",
            HistoryQuery {
                text: Some("P0042-".into()),
                ..q()
            },
        ),
        (
            "text-short",
            HistoryQuery {
                text: Some("4-".into()),
                ..q()
            },
        ),
        (
            "text+status",
            HistoryQuery {
                text: Some("vaedecode".into()),
                status: Some(RunStatus::Failed),
                ..q()
            },
        ),
        (
            "text-absent",
            HistoryQuery {
                text: Some("no such node".into()),
                ..q()
            },
        ),
        (
            "dates",
            HistoryQuery {
                from_ms: Some(BASE + 10.0 * 3_600_000.0),
                to_ms: Some(BASE + 30.0 * 3_600_000.0),
                ..q()
            },
        ),
        (
            "status+dates",
            HistoryQuery {
                status: Some(RunStatus::Succeeded),
                from_ms: Some(BASE + 5.0 * 3_600_000.0),
                ..q()
            },
        ),
        (
            "workflow+status+gpu",
            HistoryQuery {
                workflow: Some("txt2img".into()),
                status: Some(RunStatus::Queued),
                gpu: Some("A100".into()),
                ..q()
            },
        ),
        (
            "nothing",
            HistoryQuery {
                workflow: Some("nope".into()),
                ..q()
            },
        ),
    ]
}

#[wasm_bindgen_test]
async fn write_get_find_prompt_and_upsert() {
    let store = RunStore::open_named(&db_name("basic")).await.unwrap();
    let runs = stored(&generate(5, 1));
    store.put(&runs).await.unwrap();
    assert_eq!(
        store.get(&runs[2].key).await.unwrap().as_ref(),
        Some(&runs[2])
    );
    assert_eq!(store.get("nope|nope").await.unwrap(), None);
    let found = store.find_prompt(&runs[3].prompt_id).await.unwrap();
    assert_eq!(found.map(|r| r.key), Some(runs[3].key.clone()));
    assert_eq!(store.find_prompt("absent").await.unwrap(), None);

    let mut changed = runs[2].run.clone();
    changed.status = RunStatus::Failed;
    changed.workflow = Some("changed".into());
    store.put(&[StoredRun::from_run(&changed)]).await.unwrap();
    assert_eq!(store.count(&HistoryQuery::default()).await.unwrap(), 5);
    let got = store.get(&runs[2].key).await.unwrap().unwrap();
    assert_eq!(got.status, "failed");
    assert_eq!(got.workflow, "changed");

    let keys = vec![
        runs[0].key.clone(),
        "x|1".to_owned(),
        runs[4].key.clone(),
        "x|2".to_owned(),
    ];
    assert_eq!(
        store.missing(&keys).await.unwrap(),
        vec!["x|1".to_owned(), "x|2".to_owned()]
    );
    cleanup(store).await;
}

#[wasm_bindgen_test]
async fn pages_and_counts_agree_with_the_oracle() {
    let store = RunStore::open_named(&db_name("query")).await.unwrap();
    store.enable_text_index();
    let all = stored(&generate(300, 7));
    store.put(&all).await.unwrap();
    for (name, filter) in filters() {
        let expected_count = oracle(&all, &filter).len() as u64;
        assert_eq!(
            store.count(&filter).await.unwrap(),
            expected_count,
            "count {name}"
        );
        for sort in [SortKey::StartTime, SortKey::Duration, SortKey::Status] {
            for ascending in [false, true] {
                let q = HistoryQuery {
                    sort,
                    ascending,
                    ..filter.clone()
                };
                let expected = oracle(&all, &q);
                let label = format!("{name} {sort:?} asc={ascending}");
                // One big page, then small pages across chunk boundaries, by both strategies.
                let one = store.page(&q, None, 1000).await.unwrap();
                assert!(one.next.is_none(), "{label}");
                let keys: Vec<String> = one.runs.iter().map(|r| r.key.clone()).collect();
                assert_eq!(keys, expected, "{label} single page");
                assert_eq!(page_all(&store, &q, 23).await, expected, "{label} pages");
                // Free text: the text index's few matches (above), or at 0 the index walk.
                if sort != SortKey::StartTime || q.text.is_some() {
                    store.set_sort_in_memory_limit(0);
                    assert_eq!(page_all(&store, &q, 23).await, expected, "{label} walk");
                    store.set_sort_in_memory_limit(2000);
                }
            }
        }
    }
    // Tiny pages once, across every tie.
    for sort in [SortKey::StartTime, SortKey::Duration, SortKey::Status] {
        for ascending in [false, true] {
            let q = HistoryQuery {
                sort,
                ascending,
                ..HistoryQuery::default()
            };
            assert_eq!(
                page_all(&store, &q, 4).await,
                oracle(&all, &q),
                "{sort:?} {ascending}"
            );
        }
    }
    let q = HistoryQuery {
        status: Some(RunStatus::Running),
        sort: SortKey::Duration,
        ..Default::default()
    };
    let mut seen = Vec::new();
    let n = store
        .for_each_matching(&q, |r| seen.push(r.key.clone()))
        .await
        .unwrap();
    assert_eq!(n as usize, seen.len());
    assert_eq!(seen, oracle(&all, &q));
    let n = store
        .for_each_matching(&HistoryQuery::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(n, 300);
    cleanup(store).await;
}

/// The keys a text search finds, by page and by count, checked against each other.
async fn text_hits(store: &RunStore, text: &str) -> Vec<String> {
    let q = HistoryQuery {
        text: Some(text.into()),
        ..Default::default()
    };
    let keys = page_all(store, &q, 7).await;
    assert_eq!(store.count(&q).await.unwrap(), keys.len() as u64, "{text}");
    keys
}

#[wasm_bindgen_test]
async fn text_search_sees_every_tabs_writes_and_deletes() {
    let name = db_name("text-tabs");
    let ours = RunStore::open_named(&name).await.unwrap();
    // Another tab: its own connection and its own text index.
    let theirs = RunStore::open_named(&name).await.unwrap();
    ours.enable_text_index();
    theirs.enable_text_index();
    let all = stored(&generate(120, 5));
    ours.put(&all).await.unwrap();
    let ksampler = |runs: &[StoredRun]| {
        oracle(
            runs,
            &HistoryQuery {
                text: Some("ksampler".into()),
                ..Default::default()
            },
        )
    };
    assert_eq!(text_hits(&ours, "ksampler").await, ksampler(&all));
    assert_eq!(text_hits(&theirs, "ksampler").await, ksampler(&all));

    // The other tab writes a run with new text, then rewrites one without its KSampler.
    let mut fresh = Run::new(SERVERS[0], "fresh-prompt", RunSource::Stream, BASE + DAY);
    fresh.error = Some(telemetry_core::protocol::ExecutionError {
        prompt_id: "fresh-prompt".into(),
        node_id: None,
        node_type: None,
        exception_type: None,
        exception_message: Some("CUDA out of memory".into()),
        traceback: Vec::new(),
        executed: Vec::new(),
        timestamp: None,
    });
    let mut changed = all[0].run.clone();
    changed
        .nodes
        .retain(|n| n.class_type.as_deref() != Some("KSampler"));
    let written = [StoredRun::from_run(&fresh), StoredRun::from_run(&changed)];
    theirs.put(&written).await.unwrap();
    let mut now: Vec<StoredRun> = all.clone();
    now[0] = written[1].clone();
    now.push(written[0].clone());
    assert_eq!(
        text_hits(&ours, "out of memory").await,
        vec![written[0].key.clone()]
    );
    assert_eq!(text_hits(&ours, "ksampler").await, ksampler(&now));

    // The other tab deletes runs; our counts must not remember them.
    let gone: Vec<String> = ksampler(&now).into_iter().take(5).collect();
    theirs.delete(&gone).await.unwrap();
    now.retain(|r| !gone.contains(&r.key));
    assert_eq!(text_hits(&ours, "ksampler").await, ksampler(&now));
    // And our own deletes and clear.
    ours.delete(&[written[0].key.clone()]).await.unwrap();
    assert!(text_hits(&ours, "out of memory").await.is_empty());
    theirs.clear().await.unwrap();
    assert!(text_hits(&ours, "ksampler").await.is_empty());
    theirs.close();
    cleanup(ours).await;
}

/// The live writer's only path, `put_merged`, keeps the search store current: a new run, a
/// node that adds text, a progress write that adds none, retention and deletion.
#[wasm_bindgen_test]
async fn text_search_follows_merged_writes_and_removals() {
    let store = RunStore::open_named(&db_name("text-merged")).await.unwrap();
    store.enable_text_index();
    let mut run = Run::new(SERVERS[0], "merged-prompt", RunSource::Stream, BASE);
    run.status = RunStatus::Running;
    run.server_started_ms = Some(BASE as i64);
    let key = StoredRun::from_run(&run).key;
    let write = |run: &Run| {
        let store = store.clone();
        let record = StoredRun::from_run(run);
        async move { store.put_merged(&[record]).await.unwrap() }
    };
    assert_eq!(write(&run).await, 1);
    assert_eq!(text_hits(&store, "merged-prompt").await, vec![key.clone()]);
    assert!(text_hits(&store, "ksampler").await.is_empty());
    // A node starts: its class becomes searchable at once.
    let mut node = NodeRecord::new("3");
    node.class_type = Some("KSampler".into());
    run.nodes.push(node);
    assert_eq!(write(&run).await, 1);
    assert_eq!(text_hits(&store, "ksampler").await, vec![key.clone()]);
    // Progress adds no text: the record is written, the run is still found, once.
    run.progress_text = Some("step 3".into());
    assert_eq!(write(&run).await, 1);
    assert_eq!(text_hits(&store, "ksampler").await, vec![key.clone()]);
    // Retention takes the run's entry with it.
    let mut old = Run::new(
        SERVERS[1],
        "merged-old",
        RunSource::Stream,
        BASE - 9.0 * DAY,
    );
    old.server_started_ms = Some((BASE - 9.0 * DAY) as i64);
    old.nodes = run.nodes.clone();
    assert_eq!(write(&old).await, 1);
    assert_eq!(text_hits(&store, "ksampler").await.len(), 2);
    let gone = store.apply_retention(None, Some(7), BASE).await.unwrap();
    assert_eq!(gone, 1);
    assert_eq!(text_hits(&store, "ksampler").await, vec![key.clone()]);
    assert!(text_hits(&store, "merged-old").await.is_empty());
    // Deleted, then written again by a late frame: found again.
    store.delete(&[key.clone()]).await.unwrap();
    assert!(text_hits(&store, "ksampler").await.is_empty());
    assert_eq!(write(&run).await, 1);
    assert_eq!(text_hits(&store, "ksampler").await, vec![key]);
    cleanup(store).await;
}

#[wasm_bindgen_test]
async fn unfinished_delete_and_clear() {
    let store = RunStore::open_named(&db_name("unfinished")).await.unwrap();
    let all = stored(&generate(60, 3));
    store.put(&all).await.unwrap();
    let mut expected: Vec<String> = all
        .iter()
        .filter(|r| r.status == "queued" || r.status == "running")
        .map(|r| r.key.clone())
        .collect();
    let mut got: Vec<String> = store
        .unfinished()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .collect();
    expected.sort();
    got.sort();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);

    let gone = vec![all[0].key.clone(), all[1].key.clone()];
    store.delete(&gone).await.unwrap();
    assert_eq!(store.count(&HistoryQuery::default()).await.unwrap(), 58);
    assert_eq!(store.missing(&gone).await.unwrap(), gone);
    store.clear().await.unwrap();
    assert_eq!(store.count(&HistoryQuery::default()).await.unwrap(), 0);
    cleanup(store).await;
}

fn aged(count: usize, now: f64) -> Vec<StoredRun> {
    (0..count)
        .map(|i| {
            let mut run = Run::new("s", &format!("r{i:05}"), RunSource::Stream, now);
            run.status = RunStatus::Succeeded;
            run.started_at_ms = Some(now - i as f64 * DAY / 10.0 - 1.0);
            StoredRun::from_run(&run)
        })
        .collect()
}

#[wasm_bindgen_test]
async fn retention_by_days_and_by_count() {
    let now = BASE;
    let store = RunStore::open_named(&db_name("retention")).await.unwrap();
    let all = aged(1200, now);
    store.put(&all).await.unwrap();
    // 10 runs per day: everything from day 30 on goes.
    let too_old = all.iter().filter(|r| r.start_ms < now - 30.0 * DAY).count() as u32;
    assert_eq!(
        store.apply_retention(None, Some(30), now).await.unwrap(),
        too_old
    );
    assert_eq!(
        store.count(&HistoryQuery::default()).await.unwrap(),
        1200 - u64::from(too_old)
    );
    assert_eq!(store.apply_retention(None, Some(30), now).await.unwrap(), 0);

    assert_eq!(
        store.apply_retention(Some(5), None, now).await.unwrap(),
        1200 - too_old - 5
    );
    let left = store
        .page(&HistoryQuery::default(), None, 100)
        .await
        .unwrap();
    let keys: Vec<String> = left.runs.iter().map(|r| r.key.clone()).collect();
    let newest: Vec<String> = all[..5].iter().map(|r| r.key.clone()).collect();
    assert_eq!(keys, newest);
    assert_eq!(
        store.apply_retention(Some(5), Some(1), now).await.unwrap(),
        0
    );
    cleanup(store).await;
}

/// A record as the version-1 build wrote it: few flat fields, and a run without the fields
/// added since (they have serde defaults).
fn legacy_record(run: &Run) -> JsValue {
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

async fn create_v1(name: &str, runs: &[Run]) {
    let db = rexie::Rexie::builder(name)
        .version(1)
        .add_object_store(
            rexie::ObjectStore::new("runs")
                .key_path("key")
                .add_index(rexie::Index::new("start_ms", "start_ms")),
        )
        .build()
        .await
        .unwrap();
    let tx = db
        .transaction(&["runs"], rexie::TransactionMode::ReadWrite)
        .unwrap();
    let store = tx.store("runs").unwrap();
    store
        .put_all(runs.iter().map(|r| (legacy_record(r), None)))
        .await
        .unwrap();
    tx.done().await.unwrap();
    db.close();
}

fn legacy_runs() -> Vec<Run> {
    // Without follow records: version 1 predates them.
    generate(700, 11)
        .into_iter()
        .map(|mut r| {
            r.follow = None;
            r
        })
        .collect()
}

#[wasm_bindgen_test]
async fn migrates_a_version_1_database() {
    let name = db_name("migrate");
    let runs = legacy_runs();
    create_v1(&name, &runs).await;

    let store = RunStore::open_named(&name).await.unwrap();
    store.enable_text_index();
    let expected = stored(&runs);
    assert_eq!(store.count(&HistoryQuery::default()).await.unwrap(), 700);
    for r in expected.iter().step_by(50) {
        let got = store.get(&r.key).await.unwrap().unwrap();
        assert_eq!(got.version, 2);
        assert_eq!(&got, r);
    }
    let mut all = Vec::new();
    store
        .for_each_matching(&HistoryQuery::default(), |r| all.push(r.clone()))
        .await
        .unwrap();
    assert!(all.iter().all(|r| r.version == 2));
    let q = HistoryQuery {
        status: Some(RunStatus::Failed),
        ..Default::default()
    };
    assert_eq!(page_all(&store, &q, 50).await, oracle(&expected, &q));
    assert_eq!(
        store.count(&q).await.unwrap(),
        oracle(&expected, &q).len() as u64
    );
    // Free text finds the migrated runs, as the scan does.
    let q = HistoryQuery {
        text: Some("savei".into()),
        ..Default::default()
    };
    assert_eq!(page_all(&store, &q, 50).await, oracle(&expected, &q));
    store.close();

    // Opening again finds nothing left to migrate and changes nothing.
    let again = RunStore::open_named(&name).await.unwrap();
    assert_eq!(again.count(&HistoryQuery::default()).await.unwrap(), 700);
    cleanup(again).await;
}

/// Runs already in today's record format, in a database from before the search store: the
/// data migration has nothing to rewrite, so only the backfill can make them searchable.
#[wasm_bindgen_test]
async fn text_search_backfills_runs_stored_before_the_search_store() {
    let name = db_name("backfill");
    let runs = generate(1_100, 13);
    let expected = stored(&runs);
    create_v1(&name, &[]).await;
    let db = rexie::Rexie::builder(&name)
        .version(1)
        .build()
        .await
        .unwrap();
    let tx = db
        .transaction(&["runs"], rexie::TransactionMode::ReadWrite)
        .unwrap();
    let values: Vec<JsValue> = expected
        .iter()
        .map(|r| js_sys::JSON::parse(&serde_json::to_string(r).unwrap()).unwrap())
        .collect();
    tx.store("runs")
        .unwrap()
        .put_all(values.into_iter().map(|v| (v, None)))
        .await
        .unwrap();
    tx.done().await.unwrap();
    db.close();

    let store = RunStore::open_named(&name).await.unwrap();
    store.enable_text_index();
    for text in ["p1042-", "CLIPText", "1-1", "zzz"] {
        let q = HistoryQuery {
            text: Some(text.into()),
            ..Default::default()
        };
        assert_eq!(
            text_hits(&store, text).await,
            oracle(&expected, &q),
            "{text}"
        );
    }
    cleanup(store).await;
}

async fn raw_open(name: &str, version: Option<u32>) -> Result<web_sys::IdbDatabase, JsValue> {
    let factory = web_sys::window().unwrap().indexed_db().unwrap().unwrap();
    let request = match version {
        Some(v) => factory.open_with_u32(name, v)?,
        None => factory.open(name)?,
    };
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise).await?;
    request.result()?.dyn_into()
}

#[wasm_bindgen_test]
async fn blocked_upgrade_gives_up_and_keeps_the_data() {
    let name = db_name("blocked");
    let runs = legacy_runs()[..20].to_vec();
    create_v1(&name, &runs).await;
    // An old tab: a version-1 connection that ignores `versionchange`.
    let old_tab = raw_open(&name, None).await.unwrap();

    let started = js_sys::Date::now();
    let result = RunStore::open_named(&name).await;
    let took = js_sys::Date::now() - started;
    assert_eq!(result.err(), Some(StoreError::Blocked));
    assert!(took < 5_000.0, "gave up after {took} ms");

    old_tab.close();
    let store = RunStore::open_named(&name).await.unwrap();
    assert_eq!(store.count(&HistoryQuery::default()).await.unwrap(), 20);
    for r in stored(&runs) {
        assert_eq!(store.get(&r.key).await.unwrap(), Some(r));
    }
    cleanup(store).await;
}

#[wasm_bindgen_test]
async fn our_connection_never_blocks_another_tab() {
    let name = db_name("yield");
    let store = RunStore::open_named(&name).await.unwrap();
    store.put(&stored(&generate(3, 5))).await.unwrap();
    // A newer build in another tab upgrades; we must step aside at once.
    let newer = match select(
        Box::pin(raw_open(&name, Some(schema::SCHEMA_VERSION + 1))),
        TimeoutFuture::new(2_000),
    )
    .await
    {
        Either::Left((db, _)) => db.unwrap(),
        Either::Right(_) => panic!("our connection blocked the upgrade"),
    };
    assert!(matches!(store.get("x").await, Err(StoreError::Failed(_))));
    newer.close();
    store.close();
    let _ = rexie::Rexie::delete(&name).await;
}

#[wasm_bindgen_test]
async fn unavailable_without_indexeddb() {
    let window: JsValue = web_sys::window().unwrap().into();
    let win: &js_sys::Object = window.unchecked_ref();
    let key = JsValue::from_str("indexedDB");
    let own = js_sys::Object::get_own_property_descriptor(win, &key);
    let hidden = js_sys::Object::new();
    js_sys::Reflect::set(&hidden, &"value".into(), &JsValue::UNDEFINED).unwrap();
    js_sys::Reflect::set(&hidden, &"configurable".into(), &JsValue::TRUE).unwrap();
    js_sys::Object::define_property(win, &key, &hidden);
    let result = RunStore::open_named(&db_name("none")).await;
    if own.is_undefined() {
        js_sys::Reflect::delete_property(win, &key).unwrap();
    } else {
        js_sys::Object::define_property(win, &key, own.unchecked_ref());
    }
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{:?}",
        result.err()
    );
    assert!(web_sys::window().unwrap().indexed_db().unwrap().is_some());
}

#[wasm_bindgen_test]
fn classify_sorts_dom_exceptions() {
    let quota =
        web_sys::DomException::new_with_message_and_name("full", "QuotaExceededError").unwrap();
    assert_eq!(classify(&quota.into()), StoreError::QuotaExceeded);
    let security = web_sys::DomException::new_with_message_and_name("no", "SecurityError").unwrap();
    assert!(matches!(
        classify(&security.into()),
        StoreError::Unavailable(_)
    ));
    let other = web_sys::DomException::new_with_message_and_name("bad", "DataError").unwrap();
    assert_eq!(
        classify(&other.into()),
        StoreError::Failed("DataError: bad".into())
    );
    assert!(matches!(
        classify(&js_sys::Error::new("boom").into()),
        StoreError::Failed(_)
    ));
}

#[wasm_bindgen_test]
async fn writer_writes_new_states_at_once_and_coalesces_progress() {
    let store = RunStore::open_named(&db_name("writer")).await.unwrap();
    let writer = StoreWriter::new(store.clone(), 400);
    let errors = Rc::new(RefCell::new(Vec::new()));
    let sink = errors.clone();
    writer.on_error(move |e| sink.borrow_mut().push(e));

    let mut run = Run::new("s", "live", RunSource::Stream, js_sys::Date::now());
    run.status = RunStatus::Running;
    for step in 0..20 {
        run.progress_text = Some(format!("step {step}"));
        writer.note(&run, None, js_sys::Date::now());
    }
    // A new run's first state goes out at once (a reload right after the start finds it), with
    // whatever arrived before the write: one write for the burst.
    TimeoutFuture::new(100).await;
    assert_eq!(writer.written(), 1);
    let got = store.get("s|live").await.unwrap().unwrap();
    assert_eq!(got.run.progress_text.as_deref(), Some("step 19"));
    // Further progress with the same status waits for the window, collapsed to the latest.
    for step in 20..40 {
        run.progress_text = Some(format!("step {step}"));
        writer.note(&run, None, js_sys::Date::now());
    }
    TimeoutFuture::new(100).await;
    assert_eq!(writer.written(), 1, "written before its window closed");
    TimeoutFuture::new(600).await;
    assert_eq!(writer.written(), 2);
    let got = store.get("s|live").await.unwrap().unwrap();
    assert_eq!(got.run.progress_text.as_deref(), Some("step 39"));

    // A long window, yet the terminal state goes out at once.
    let slow = StoreWriter::new(store.clone(), 60_000);
    let mut other = Run::new("s", "ends", RunSource::Stream, js_sys::Date::now());
    other.status = RunStatus::Running;
    slow.note(&other, None, js_sys::Date::now());
    other.status = RunStatus::Succeeded;
    slow.note(&other, None, js_sys::Date::now());
    TimeoutFuture::new(150).await;
    assert_eq!(
        store.get("s|ends").await.unwrap().map(|r| r.status),
        Some("succeeded".to_owned())
    );
    assert_eq!(slow.written(), 1);
    // Still terminal: back to the window.
    other.progress_text = Some("late output".into());
    slow.note(&other, None, js_sys::Date::now());
    TimeoutFuture::new(150).await;
    assert_eq!(slow.written(), 1);
    slow.flush_now();
    TimeoutFuture::new(150).await;
    assert_eq!(slow.written(), 2);
    assert_eq!(
        store
            .get("s|ends")
            .await
            .unwrap()
            .and_then(|r| r.run.progress_text),
        Some("late output".to_owned())
    );
    assert!(errors.borrow().is_empty());
    assert_eq!(writer.last_error(), None);
    cleanup(store).await;
}

#[wasm_bindgen_test]
async fn a_poorer_write_never_overwrites_a_richer_record() {
    let store = RunStore::open_named(&db_name("merged")).await.unwrap();
    let mut rich = Run::new("s", "p", RunSource::Stream, 1.0);
    rich.status = RunStatus::Succeeded;
    rich.server_started_ms = Some(1_000);
    rich.server_ended_ms = Some(2_400);
    rich.ended_at_ms = Some(2_500.0);
    store
        .put(&[telemetry_core::history::StoredRun::from_run(&rich)])
        .await
        .unwrap();
    // A reload restored it as running, without server times: writing that adds nothing.
    let mut poor = Run::new("s", "p", RunSource::Stream, 1.0);
    poor.status = RunStatus::Running;
    let written = store
        .put_merged(&[telemetry_core::history::StoredRun::from_run(&poor)])
        .await
        .unwrap();
    assert_eq!(written, 0);
    let got = store.get("s|p").await.unwrap().unwrap();
    assert_eq!(got.status, "succeeded");
    assert_eq!(got.duration_ms, 1_400.0, "the server's duration is kept");
    // Something new (progress text) is written, merged: still succeeded, same duration.
    poor.progress_text = Some("late".into());
    let written = store
        .put_merged(&[telemetry_core::history::StoredRun::from_run(&poor)])
        .await
        .unwrap();
    assert_eq!(written, 1);
    let got = store.get("s|p").await.unwrap().unwrap();
    assert_eq!(got.status, "succeeded");
    assert_eq!(got.duration_ms, 1_400.0);
    assert_eq!(got.run.progress_text.as_deref(), Some("late"));
}
