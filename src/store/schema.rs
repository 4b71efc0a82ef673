//! The database layout per version, and the upgrade steps between versions.
//!
//! Version 1 is the legacy shape (one store, one plain `start_ms` index). Version 2 adds an index
//! per filter and a `meta` store. Version 3 adds the `search` store (see `search`): each run's
//! search text in a small record of its own, numbered by a `seq` index in write order. Every index used for walking ends with `start_ms` and the
//! primary key: IndexedDB orders index entries by index key and then by primary key, so these
//! compound keys give exactly the order of `HistoryQuery::compare`, and every entry's index key
//! is unique, so a page can resume strictly after the last run shown with an open key range.
//!
//! Upgrades run in the `upgradeneeded` handler through `web-sys`, not through a schema builder:
//! `rexie`'s (used before issue #22) diffed the declared schema, deleting anything not declared,
//! and could not report a blocked upgrade, which we must turn into `StoreError::Blocked`. The
//! connection that upgraded is the one the store keeps (`open.rs`).

use telemetry_core::history::record::RECORD_VERSION;
use wasm_bindgen::JsValue;
use web_sys::{IdbDatabase, IdbIndexParameters, IdbObjectStoreParameters, IdbTransaction};

pub const SCHEMA_VERSION: u32 = 3;
pub const RUNS: &str = "runs";
pub const META: &str = "meta";
pub const SEARCH: &str = "search";
/// The `search` store's key path and its write-order index (on the `s` field).
pub const SEARCH_KEY: &str = "k";
pub const SEQ_INDEX: &str = "seq";
pub const SEQ_FIELD: &str = "s";
/// In `meta`: set once every run has its search entry.
pub const SEARCH_READY: &str = "search_ready";
/// In `meta`: removal markers at or below this seq may be gone (`search_removed`).
pub const SEARCH_FLOOR: &str = "search_floor";
pub const DATA_VERSION: &str = "data_version";

/// Index name and key path. The names are the fields they lead with.
pub const INDEXES: &[(&str, &[&str])] = &[
    ("start_ms", &["start_ms", "key"]),
    ("duration_ms", &["duration_ms", "start_ms", "key"]),
    ("status", &["status", "start_ms", "key"]),
    ("exit_reason", &["exit_reason", "start_ms", "key"]),
    ("gpu", &["gpu", "start_ms", "key"]),
    ("server", &["server", "start_ms", "key"]),
    ("workflow", &["workflow", "start_ms", "key"]),
    ("prompt_id", &["prompt_id"]),
];

fn key_path(parts: &[&str]) -> JsValue {
    match parts {
        [single] => JsValue::from_str(single),
        _ => parts
            .iter()
            .map(|p| JsValue::from_str(p))
            .collect::<js_sys::Array>()
            .into(),
    }
}

/// Runs every step from `old_version` up to `SCHEMA_VERSION` inside the upgrade transaction.
/// Each step only adds or replaces indexes and stores, so existing records are never touched;
/// rewriting records happens afterwards (`migrate`), in chunks and outside the upgrade.
pub fn upgrade(db: &IdbDatabase, tx: &IdbTransaction, old_version: u32) -> Result<(), JsValue> {
    if old_version < 1 {
        create_v1(db)?;
    }
    if old_version < 2 {
        upgrade_to_v2(db, tx)?;
    }
    if old_version < 3 {
        upgrade_to_v3(db)?;
    }
    if old_version == 0 {
        // A new database has no runs without a search entry, and no records to migrate: the
        // migration pass (a chunk of its own in the split build) is not fetched on a first visit.
        let meta = tx.object_store(META)?;
        meta.put(&meta_entry(SEARCH_READY, 1.0)?)?;
        meta.put(&meta_entry(DATA_VERSION, f64::from(RECORD_VERSION))?)?;
    }
    Ok(())
}

fn meta_entry(name: &str, value: f64) -> Result<JsValue, JsValue> {
    let entry = js_sys::Object::new();
    js_sys::Reflect::set(&entry, &"name".into(), &name.into())?;
    js_sys::Reflect::set(&entry, &"value".into(), &JsValue::from_f64(value))?;
    Ok(entry.into())
}

/// The legacy layout, kept as it was so tests can build a real version-1 database.
pub fn create_v1(db: &IdbDatabase) -> Result<(), JsValue> {
    let params = IdbObjectStoreParameters::new();
    params.set_key_path(&JsValue::from_str("key"));
    let runs = db.create_object_store_with_optional_parameters(RUNS, &params)?;
    runs.create_index_with_str("start_ms", "start_ms")?;
    Ok(())
}

fn upgrade_to_v2(db: &IdbDatabase, tx: &IdbTransaction) -> Result<(), JsValue> {
    let runs = tx.object_store(RUNS)?;
    for (name, parts) in INDEXES {
        let wanted = key_path(parts);
        if runs.index_names().contains(name) {
            let same = runs
                .index(name)
                .and_then(|i| i.key_path())
                .map(|have| {
                    js_sys::JSON::stringify(&have).ok() == js_sys::JSON::stringify(&wanted).ok()
                })
                .unwrap_or(false);
            if same {
                continue;
            }
            runs.delete_index(name)?;
        }
        let params = IdbIndexParameters::new();
        params.set_unique(false);
        runs.create_index_with_str_sequence_and_optional_parameters(name, &wanted, &params)?;
    }
    if !db.object_store_names().contains(META) {
        let params = IdbObjectStoreParameters::new();
        params.set_key_path(&JsValue::from_str("name"));
        db.create_object_store_with_optional_parameters(META, &params)?;
    }
    Ok(())
}

/// An empty `search` store: it is filled from the runs after opening (`search::backfill`), not
/// here, so the upgrade stays quick whatever the history's size.
fn upgrade_to_v3(db: &IdbDatabase) -> Result<(), JsValue> {
    if db.object_store_names().contains(SEARCH) {
        return Ok(());
    }
    let params = IdbObjectStoreParameters::new();
    params.set_key_path(&JsValue::from_str(SEARCH_KEY));
    let search = db.create_object_store_with_optional_parameters(SEARCH, &params)?;
    search.create_index_with_str(SEQ_INDEX, SEQ_FIELD)?;
    Ok(())
}
