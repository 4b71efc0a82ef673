//! Opening the IndexedDB history store in a real browser: migrating an older database, an
//! upgrade another tab blocks, stepping aside for a newer tab, a browser without IndexedDB, and
//! how DOM errors are sorted. Every test uses its own database name and deletes it afterwards.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::store::idb::Database;
use comfy_dashboard::store::{classify, schema, RunStore, StoreError};
use futures::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use telemetry_core::history::record::RECORD_VERSION;
use telemetry_core::history::HistoryQuery;
use telemetry_core::run::{Run, RunStatus};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

#[path = "support/store_data.rs"]
mod data;

use data::*;

wasm_bindgen_test_configure!(run_in_browser);

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
    let _ = Database::delete(&name).await;
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
