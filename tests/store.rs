//! The IndexedDB history store in a real browser. Every test uses its own database name and
//! deletes it afterwards. Queries are checked against an oracle: the same generated runs
//! filtered with `HistoryQuery::matches` and sorted with `HistoryQuery::compare` in memory.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::store::idb::{Database, TransactionMode};
use comfy_dashboard::store::RunStore;
use telemetry_core::history::{HistoryQuery, SortKey, StoredRun};
use telemetry_core::run::{Run, RunSource, RunStatus};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

#[path = "support/store_data.rs"]
mod data;

use data::*;

wasm_bindgen_test_configure!(run_in_browser);

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
                    if q.text.is_some() {
                        // Keys read again with a growing count, then none (a browser that cannot
                        // read keys backwards at once: the records' walk).
                        for (first, how) in [(5, "reads"), (0, "records")] {
                            store.set_first_keys(Some(first));
                            assert_eq!(page_all(&store, &q, 23).await, expected, "{label} {how}");
                        }
                        store.set_first_keys(None);
                    }
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

/// The drain estimate's start-up read (`newest_succeeded`, one walk of the `server` index) gives
/// the runs the history list gives for the same server and status, newest first, cut at its limit.
#[wasm_bindgen_test]
async fn newest_succeeded_runs_are_the_history_lists_own() {
    let store = RunStore::open_named(&db_name("newest")).await.unwrap();
    let all = stored(&generate(300, 11));
    store.put(&all).await.unwrap();
    for server in SERVERS {
        let q = HistoryQuery {
            server: Some(server.to_owned()),
            status: Some(RunStatus::Succeeded),
            ..HistoryQuery::default()
        };
        let expected = oracle(&all, &q);
        assert!(expected.len() > 10, "{server}: {}", expected.len());
        for limit in [0, 1, 10, 1000] {
            let got: Vec<String> = (store.newest_succeeded(server, limit).await.unwrap())
                .into_iter()
                .map(|r| r.key)
                .collect();
            let want: Vec<String> = expected.iter().take(limit).cloned().collect();
            assert_eq!(got, want, "{server} limit {limit}");
        }
    }
    assert!(store
        .newest_succeeded("nowhere", 10)
        .await
        .unwrap()
        .is_empty());
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
    store.clear().await.unwrap();
    assert_eq!(store.count(&HistoryQuery::default()).await.unwrap(), 0);
    cleanup(store).await;
}

/// ComfyUI's history still lists a run the person deleted; the backfill and every reconnect's
/// history read add what `missing` names, so a removed run must not be named: deleted, cleared
/// or removed by retention, it does not come back on the next load.
#[wasm_bindgen_test]
async fn removed_runs_are_not_added_back_from_history() {
    let name = db_name("tombstones");
    let store = RunStore::open_named(&name).await.unwrap();
    let all = stored(&generate(40, 9));
    store.put(&all).await.unwrap();
    let keys: Vec<String> = all.iter().map(|r| r.key.clone()).collect();
    let never = "s|never-stored".to_owned();

    store.delete(&keys[..2]).await.unwrap();
    let asked = vec![
        keys[0].clone(),
        never.clone(),
        keys[1].clone(),
        keys[2].clone(),
    ];
    assert_eq!(
        store.to_backfill(&asked).await.unwrap(),
        vec![never.clone()],
        "deleted runs are not added back, a run never stored is"
    );
    assert_eq!(
        store.missing(&asked).await.unwrap(),
        vec![keys[0].clone(), never.clone(), keys[1].clone()],
        "an import counts a deleted run as new"
    );

    let now = BASE + 100.0 * DAY;
    let removed = store.apply_retention(Some(30), None, now).await.unwrap();
    assert_eq!(removed, 8);
    assert!(
        store.to_backfill(&keys).await.unwrap().is_empty(),
        "runs removed by retention are not added back"
    );

    store.clear().await.unwrap();
    assert!(
        store.to_backfill(&keys).await.unwrap().is_empty(),
        "cleared runs are not added back"
    );
    let buried = meta_entries(&name)
        .await
        .into_iter()
        .filter(|(k, _)| k.starts_with("deleted:"))
        .count();
    assert_eq!(buried, 40, "one tombstone per removed run");

    // Our extension's catch-up replays the newest frames to a new page: the writer's merged
    // write of a finished run that was removed writes nothing.
    let (finished, going): (Vec<StoredRun>, Vec<StoredRun>) = all
        .iter()
        .cloned()
        .partition(|r| r.run.status.is_terminal());
    assert!(finished.len() >= 3 && !going.is_empty());
    assert_eq!(store.put_merged(&finished[..3]).await.unwrap(), 0);
    assert_eq!(store.count(&HistoryQuery::default()).await.unwrap(), 0);
    // Nor its start alone, replayed (it reads as running): it had ended when it was cleared.
    let replayed = &finished[0].run;
    assert_eq!(merge_as(&store, replayed, RunStatus::Running).await, 0);
    // A run removed while still going is written again as it goes on, and its end too.
    assert_eq!(store.put_merged(&going[..1]).await.unwrap(), 1);
    assert_eq!(
        merge_as(&store, &going[0].run, RunStatus::Succeeded).await,
        1
    );
    // The server's run log lists its runs again after a clear.
    assert_eq!(store.put_from_server_log(&finished[3..4]).await.unwrap(), 1);
    // What the person imports comes back, and is then merged into like any run.
    store.put(&finished[..1]).await.unwrap();
    assert_eq!(store.count(&HistoryQuery::default()).await.unwrap(), 3);
    let mut run = finished[0].run.clone();
    run.notes.push("from the stream".into());
    let richer = StoredRun::from_run(&run);
    assert_eq!(store.put_merged(&[richer]).await.unwrap(), 1);
    cleanup(store).await;
}

/// A run removed after it ended stays out even when a replay shows it running again (the
/// extension's catch-up split over two batches: its start alone reads as running); one removed
/// while it ran comes back as it goes on.
#[wasm_bindgen_test]
async fn a_removed_run_returns_only_if_it_was_still_going() {
    let store = RunStore::open_named(&db_name("tomb-kinds")).await.unwrap();
    let mut ended = Run::new("s", "ended", RunSource::Stream, BASE);
    ended.status = RunStatus::Succeeded;
    let mut going = Run::new("s", "going", RunSource::Stream, BASE);
    going.status = RunStatus::Running;
    let (ended_rec, going_rec) = (StoredRun::from_run(&ended), StoredRun::from_run(&going));
    store
        .put(&[ended_rec.clone(), going_rec.clone()])
        .await
        .unwrap();
    store
        .delete(&[ended_rec.key.clone(), going_rec.key.clone()])
        .await
        .unwrap();
    assert_eq!(
        merge_as(&store, &ended, RunStatus::Running).await,
        0,
        "a run removed after it ended stays out"
    );
    assert_eq!(
        store.put_merged(&[going_rec]).await.unwrap(),
        1,
        "a run removed while it ran comes back as it goes on"
    );
    assert_eq!(store.count(&HistoryQuery::default()).await.unwrap(), 1);
    cleanup(store).await;
}

/// A merged write of `run` with `status` (a replayed or a later state of it): records written.
async fn merge_as(store: &RunStore, run: &Run, status: RunStatus) -> usize {
    let mut run = run.clone();
    run.status = status;
    store
        .put_merged(&[StoredRun::from_run(&run)])
        .await
        .unwrap()
}

/// Tombstones are bounded: past twice the limit, the oldest go.
#[wasm_bindgen_test]
async fn tombstones_are_pruned_oldest_first() {
    let name = db_name("tombstone-prune");
    let store = RunStore::open_named(&name).await.unwrap();
    // 20 000 old tombstones, as if written long ago.
    {
        let raw = Database::open_plain(&name, None, None).await.unwrap();
        let tx = raw
            .transaction(&["meta"], TransactionMode::ReadWrite)
            .unwrap();
        let old = (0..20_000).map(|i| {
            let entry = js_sys::Object::new();
            let name = JsValue::from_str(&format!("deleted:s|old-{i:05}"));
            js_sys::Reflect::set(&entry, &"name".into(), &name).unwrap();
            js_sys::Reflect::set(
                &entry,
                &"value".into(),
                &JsValue::from_f64(1_000.0 + i as f64),
            )
            .unwrap();
            (entry.into(), None)
        });
        tx.store("meta").unwrap().put_all(old).await.unwrap();
        tx.done().await.unwrap();
        raw.close();
    }
    let runs = stored(&generate(3, 4));
    store.put(&runs).await.unwrap();
    let keys: Vec<String> = runs.iter().map(|r| r.key.clone()).collect();
    store.delete(&keys).await.unwrap();
    let left: Vec<String> = meta_entries(&name)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("deleted:"))
        .collect();
    assert_eq!(left.len(), 10_000, "pruned to the limit");
    assert!(
        left.contains(&"deleted:s|old-19999".to_owned()),
        "the newest old one stays"
    );
    assert!(
        !left.contains(&"deleted:s|old-09999".to_owned()),
        "the oldest went"
    );
    assert!(
        store.to_backfill(&keys).await.unwrap().is_empty(),
        "the new ones stay"
    );
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
