//! The store's own IndexedDB layer (`store::idb`) in a real browser: requests, cursors in both
//! directions with limits, counts over key ranges, a transaction's end, and errors that keep
//! the `DOMException`'s name. Every test uses its own database name and deletes it afterwards.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::store::idb::{Completion, Database, Direction, KeyRange, TransactionMode};
use comfy_dashboard::store::{schema, StoreError};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn db_name(test: &str) -> String {
    format!("idb-test-{test}-{}", js_sys::Math::random().to_bits())
}

fn record(key: &str, start_ms: f64) -> JsValue {
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &"key".into(), &key.into()).unwrap();
    js_sys::Reflect::set(&o, &"start_ms".into(), &start_ms.into()).unwrap();
    o.into()
}

/// A version-1 database (store `runs`, key path `key`, index `start_ms`) with five records.
async fn five(name: &str) -> Database {
    let db = Database::open_plain(name, Some(1), Some(schema::create_v1))
        .await
        .expect("open");
    let tx = db
        .transaction(&["runs"], TransactionMode::ReadWrite)
        .expect("tx");
    let values = (0..5).map(|i| (record(&format!("k{i}"), 100.0 - f64::from(i)), None));
    tx.store("runs")
        .expect("runs")
        .put_all(values)
        .await
        .expect("put");
    assert_eq!(tx.done().await, Ok(Completion::Committed));
    db
}

#[wasm_bindgen_test]
async fn reads_counts_and_cursors() {
    let name = db_name("reads");
    let db = five(&name).await;
    let tx = db
        .transaction(&["runs"], TransactionMode::ReadOnly)
        .expect("tx");
    let runs = tx.store("runs").expect("runs");
    assert!(runs.get("k2".into()).await.unwrap().is_some());
    assert_eq!(runs.get("nope".into()).await.unwrap(), None);
    assert!(runs.key_exists("k4".into()).await.unwrap());
    assert!(!runs.key_exists("k9".into()).await.unwrap());
    assert_eq!(runs.count(None).await.unwrap(), 5);
    let upper = KeyRange::upper_bound(&"k2".into(), Some(true)).unwrap();
    assert_eq!(runs.count(Some(upper)).await.unwrap(), 2);
    assert_eq!(runs.get_all(None, Some(3)).await.unwrap().len(), 3);
    let keys = runs.get_all_keys(None, None).await.unwrap();
    let keys: Vec<String> = keys.iter().filter_map(JsValue::as_string).collect();
    assert_eq!(keys, ["k0", "k1", "k2", "k3", "k4"]);

    // The index walks by start_ms (k4 has the lowest); the cursor's key is the index key.
    let index = runs.index("start_ms").unwrap();
    let rows = index
        .scan(None, Some(2), None, Some(Direction::Prev))
        .await
        .unwrap();
    let starts: Vec<f64> = rows.iter().filter_map(|(k, _)| k.as_f64()).collect();
    assert_eq!(starts, [100.0, 99.0]);
    let rows = index
        .scan(None, None, Some(1), Some(Direction::Next))
        .await
        .unwrap();
    let starts: Vec<f64> = rows.iter().filter_map(|(k, _)| k.as_f64()).collect();
    assert_eq!(starts, [97.0, 98.0, 99.0, 100.0]);
    let lower = KeyRange::lower_bound(&JsValue::from_f64(98.0), Some(false)).unwrap();
    assert_eq!(index.count(Some(lower)).await.unwrap(), 3);
    assert!(index.get(JsValue::from_f64(96.0)).await.unwrap().is_some());
    assert!(index.get(JsValue::from_f64(95.0)).await.unwrap().is_none());
    // An empty range is refused when it is built.
    assert!(KeyRange::bound(&"b".into(), &"a".into(), None, None).is_err());
    assert_eq!(tx.done().await, Ok(Completion::Committed));

    // Deletes and clear, then a walk over nothing.
    let tx = db
        .transaction(&["runs"], TransactionMode::ReadWrite)
        .expect("tx");
    let runs = tx.store("runs").unwrap();
    runs.delete("k0".into()).await.unwrap();
    assert_eq!(runs.count(None).await.unwrap(), 4);
    runs.clear().await.unwrap();
    assert!(runs.scan(None, None, None, None).await.unwrap().is_empty());
    assert_eq!(tx.done().await, Ok(Completion::Committed));
    db.close();
    Database::delete(&name).await.unwrap();
}

/// What the browser throws keeps its name, and the store sorts it by that name.
#[wasm_bindgen_test]
async fn errors_keep_the_dom_exception_name() {
    let name = db_name("errors");
    let db = five(&name).await;
    assert_eq!(
        db.transaction(&["nope"], TransactionMode::ReadOnly)
            .unwrap_err()
            .name,
        "NotFoundError"
    );
    let tx = db
        .transaction(&["runs"], TransactionMode::ReadOnly)
        .expect("tx");
    // A write in a read-only transaction.
    let e = tx
        .store("runs")
        .unwrap()
        .put(&record("k9", 1.0), None)
        .await
        .unwrap_err();
    assert_eq!(e.name, "ReadOnlyError");
    assert!(matches!(StoreError::from(e), StoreError::Failed(m) if m.contains("ReadOnlyError")));
    let tx = db
        .transaction(&["runs"], TransactionMode::ReadWrite)
        .expect("tx");
    // A value without the store's key path.
    let e = tx
        .store("runs")
        .unwrap()
        .put(&js_sys::Object::new().into(), None)
        .await
        .unwrap_err();
    assert_eq!(e.name, "DataError");
    db.close();
    let closed = db_name("closed");
    let db = five(&closed).await;
    let kept = Database::open_plain(&closed, None, None).await.unwrap();
    kept.close();
    db.close();
    Database::delete(&name).await.unwrap();
    Database::delete(&closed).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_store_sorts_errors_by_name() {
    let quota = comfy_dashboard::store::idb::IdbError {
        name: "QuotaExceededError".to_owned(),
        message: "full".to_owned(),
    };
    assert_eq!(StoreError::from(quota), StoreError::QuotaExceeded);
    let version = comfy_dashboard::store::idb::IdbError {
        name: "VersionError".to_owned(),
        message: String::new(),
    };
    assert!(matches!(StoreError::from(version), StoreError::Failed(m) if m.contains("reload")));
    let abort = comfy_dashboard::store::idb::IdbError {
        name: "AbortError".to_owned(),
        message: "aborted".to_owned(),
    };
    assert!(matches!(StoreError::from(abort), StoreError::Failed(m) if m.contains("AbortError")));
}
