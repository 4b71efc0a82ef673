//! The IndexedDB history store in a real browser. Every test uses its own database name and
//! deletes it afterwards. Queries are checked against an oracle: the same generated runs
//! filtered with `HistoryQuery::matches` and sorted with `HistoryQuery::compare` in memory.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::store::{classify, schema, RunStore, StoreError, StoreWriter};
use futures::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::rc::Rc;
use telemetry_core::history::record::RECORD_VERSION;
use telemetry_core::history::{HistoryQuery, SortKey, StoredRun};
use telemetry_core::run::{Run, RunSource, RunStatus};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
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

/// A new database starts at the current data version: its first open has nothing to migrate,
/// so the split build never fetches the migration pass's chunk on a first visit.
#[wasm_bindgen_test]
async fn a_new_database_needs_no_migration() {
    let name = db_name("fresh");
    let store = RunStore::open_named(&name).await.unwrap();
    store.close();
    let version = meta_entries(&name)
        .await
        .into_iter()
        .find(|(k, _)| k == "data_version")
        .and_then(|(_, v)| js_sys::Reflect::get(&v, &"value".into()).ok())
        .and_then(|v| v.as_f64());
    assert_eq!(version, Some(f64::from(RECORD_VERSION)));
    cleanup(RunStore::open_named(&name).await.unwrap()).await;
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
async fn a_flood_of_short_runs_never_piles_up_writes_and_loses_none() {
    // Hundreds of runs a second, each new and at once terminal (due now): while transactions
    // are open (at most two: progress, and new statuses) the rest wait and go together into
    // the next, so IndexedDB never has a pile of them (each holding its records) and nothing
    // is dropped.
    let store = RunStore::open_named(&db_name("flood")).await.unwrap();
    let writer = StoreWriter::new(store.clone(), 400);
    let mut most = 0;
    for i in 0..300 {
        let mut run = Run::new(
            "s",
            &format!("f{i}"),
            RunSource::Stream,
            js_sys::Date::now(),
        );
        run.status = RunStatus::Succeeded;
        writer.note(&run, None, js_sys::Date::now());
        if i % 10 == 9 {
            TimeoutFuture::new(1).await;
        }
        most = most.max(writer.writes_in_flight());
    }
    // Until idle, not only until the 300th run is written: on a loaded machine the writer falls
    // behind and spills, and after the fold that writes the last runs it takes its slot once
    // more to look for another spill entry (`unspill_when_idle`).
    for _ in 0..100 {
        if writer.written() == 300 && writer.writes_in_flight() == 0 {
            break;
        }
        TimeoutFuture::new(50).await;
        most = most.max(writer.writes_in_flight());
    }
    assert_eq!(writer.written(), 300, "every run written");
    assert!(
        (1..=2).contains(&most),
        "at most two writes in flight: {most}"
    );
    assert_eq!(writer.writes_in_flight(), 0);
    assert!(store.get("s|f299").await.unwrap().is_some());
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
