//! The insight aggregates the store keeps (`src/store/insight_book.rs`), in a real IndexedDB:
//! rebuilt once when there is no snapshot, then loaded from the snapshot plus the touch log, so
//! every write and delete since the snapshot is seen after a reload, whichever path wrote it.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::store::idb::{Database, TransactionMode};
use comfy_dashboard::store::{InsightLoad, RunStore};
use telemetry_core::history::StoredRun;
use telemetry_core::run::{Run, RunSource, RunStatus};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/store_data.rs"]
mod data;
use data::{db_name, meta_entries};

const BASE: f64 = 1_700_000_000_000.0;

fn run(i: usize, ms: i64, workflow: &str) -> StoredRun {
    let mut r = Run::new(
        "http://a:8188",
        &format!("p{i:04}"),
        RunSource::Stream,
        BASE,
    );
    r.status = RunStatus::Succeeded;
    let start = BASE as i64 + i as i64 * 60_000;
    r.server_started_ms = Some(start);
    r.server_ended_ms = Some(start + ms);
    r.workflow = Some(workflow.to_owned());
    StoredRun::from_run(&r)
}

/// 20 runs of 10 s, then 20 of 30 s: a slowdown the rules find.
fn slowing() -> Vec<StoredRun> {
    (0..40)
        .map(|i| run(i, if i < 20 { 10_000 } else { 30_000 }, "wf"))
        .collect()
}

/// Runs known and rules fired, through a fresh handle (nothing in memory), and how it loaded.
async fn reopen(name: &str) -> (usize, Vec<String>, InsightLoad) {
    let store = RunStore::open_named(name).await.expect("open");
    let how = store.load_insight().await.expect("load");
    let (n, rules) = store
        .with_insight(|a| {
            let rules = a
                .findings(BASE + 1e9)
                .iter()
                .map(|f| f.rule.as_str().to_owned())
                .collect::<Vec<_>>();
            (a.len(), rules)
        })
        .await
        .expect("read");
    store.close();
    (n, rules, how)
}

#[wasm_bindgen_test]
async fn snapshot_and_touch_log_survive_reloads() {
    let name = db_name("reload");
    let store = RunStore::open_named(&name).await.expect("open");
    store.put_merged(&slowing()).await.expect("write");
    store.close();

    // No snapshot yet: rebuilt from the runs (and saved).
    let (n, rules, how) = reopen(&name).await;
    assert_eq!((n, how), (40, InsightLoad::Rebuilt));
    assert!(rules.contains(&"workflow-slower".to_owned()), "{rules:?}");

    // Writes and deletes by handles that never loaded the aggregates reach the next load
    // through the touch log.
    let store = RunStore::open_named(&name).await.expect("open");
    store
        .put(&[run(100, 5_000, "other")])
        .await
        .expect("import path");
    store
        .put_merged(&[run(101, 5_000, "other")])
        .await
        .expect("writer path");
    store
        .delete(&[run(0, 0, "").key, run(1, 0, "").key])
        .await
        .expect("delete");
    store.close();
    let (n, _, how) = reopen(&name).await;
    assert_eq!((n, how), (40, InsightLoad::Snapshot));

    // Retention deletes go through the log too.
    let store = RunStore::open_named(&name).await.expect("open");
    let gone = store
        .apply_retention(Some(30), None, BASE)
        .await
        .expect("retention");
    assert_eq!(gone, 10);
    store.close();
    let (n, _, how) = reopen(&name).await;
    assert_eq!((n, how), (30, InsightLoad::Snapshot));

    // A loaded handle saves on demand; the next load needs no touch entries.
    let store = RunStore::open_named(&name).await.expect("open");
    store.load_insight().await.expect("load");
    store
        .put_merged(&[run(102, 5_000, "other")])
        .await
        .expect("write");
    assert_eq!(store.with_insight(|a| a.len()).await.expect("read"), 31);
    store.save_insight().await.expect("save");
    let insight_keys: Vec<String> = meta_entries(&name)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("insight"))
        .collect();
    assert_eq!(insight_keys, vec!["insight".to_owned()]);
    store.clear().await.expect("clear");
    assert_eq!(store.with_insight(|a| a.len()).await.expect("read"), 0);
    store.close();
    let (n, _, how) = reopen(&name).await;
    assert_eq!((n, how), (0, InsightLoad::Rebuilt));
    let _ = Database::delete(&name).await;
}

#[wasm_bindgen_test]
async fn a_snapshot_of_another_version_is_rebuilt() {
    let name = db_name("version");
    let store = RunStore::open_named(&name).await.expect("open");
    store.put_merged(&slowing()).await.expect("write");
    assert_eq!(
        store.load_insight().await.expect("load"),
        InsightLoad::Rebuilt
    );
    store.close();
    let raw = Database::open_plain(&name, None, None).await.expect("raw");
    let tx = raw
        .transaction(&["meta"], TransactionMode::ReadWrite)
        .expect("tx");
    let entry = js_sys::Object::new();
    for (k, v) in [
        ("name", JsValue::from_str("insight")),
        ("version", JsValue::from_f64(1.0)),
        ("json", JsValue::from_str("{\"names\":[],\"facts\":[]}")),
    ] {
        js_sys::Reflect::set(&entry, &k.into(), &v).expect("set");
    }
    tx.store("meta")
        .expect("meta")
        .put(&entry, None)
        .await
        .expect("put");
    tx.done().await.expect("commit");
    raw.close();
    let (n, _, how) = reopen(&name).await;
    assert_eq!((n, how), (40, InsightLoad::Rebuilt));
    let _ = Database::delete(&name).await;
}
