//! Data migrations: rewriting records written by older builds, after the schema upgrade.
//!
//! They run on every open until `meta.data_version` says they are done, one chunk per
//! read-write transaction. Reading and rewriting a chunk in the same transaction means another
//! tab cannot slip a newer write in between (IndexedDB runs overlapping read-write transactions
//! one after the other), and a pass interrupted by a reload simply resumes: only records still
//! below the current version are touched.

use super::codec;
use super::conn::{finish, keys_after, Conn};
use super::idb::{Database, Direction, TransactionMode};
use super::schema::{DATA_VERSION, META, RUNS, SEARCH};
use super::search_entries;
use super::StoreError;
use std::rc::Rc;
use telemetry_core::history::record::RECORD_VERSION;
use telemetry_core::history::StoredRun;
use wasm_bindgen::JsValue;

const CHUNK: u32 = 200;

pub async fn data_version(db: &Database) -> Result<u32, StoreError> {
    let tx = db.transaction(&[META], TransactionMode::ReadOnly)?;
    let value = tx.store(META)?.get(JsValue::from_str(DATA_VERSION)).await?;
    Ok(value
        .and_then(|v| js_sys::Reflect::get(&v, &JsValue::from_str("value")).ok())
        .and_then(|v| v.as_f64())
        .map(|v| v as u32)
        .unwrap_or(0))
}

async fn set_data_version(db: &Database, version: u32) -> Result<(), StoreError> {
    let entry = js_sys::Object::new();
    let set = |k: &str, v: JsValue| js_sys::Reflect::set(&entry, &JsValue::from_str(k), &v);
    set("name", JsValue::from_str(DATA_VERSION))
        .and_then(|_| set("value", JsValue::from_f64(version as f64)))
        .map_err(|_| StoreError::Failed("building the meta entry".to_owned()))?;
    let tx = db.transaction(&[META], TransactionMode::ReadWrite)?;
    tx.store(META)?.put(&entry, None).await?;
    finish(tx).await
}

/// Re-derives every record older than `RECORD_VERSION` from its `run`; returns how many were
/// rewritten. A record whose run no longer decodes is left exactly as it was rather than
/// dropped.
pub async fn migrate(conn: Rc<Conn>) -> Result<u32, StoreError> {
    if data_version(conn.db()?).await? >= RECORD_VERSION {
        return Ok(0);
    }
    rewrite(conn.db()?).await
}

async fn rewrite(db: &Database) -> Result<u32, StoreError> {
    let mut rewritten = 0;
    let mut after: Option<JsValue> = None;
    loop {
        let range = keys_after(after.as_ref())?;
        let tx = db.transaction(&[RUNS, SEARCH], TransactionMode::ReadWrite)?;
        let store = tx.store(RUNS)?;
        let rows = store
            .scan(range, Some(CHUNK), None, Some(Direction::Next))
            .await?;
        let read = rows.len();
        let mut updated = Vec::new();
        let mut texts = Vec::new();
        for (key, value) in rows {
            if codec::version_of(&value) < RECORD_VERSION {
                if let (Some(run), Some(stored_key)) = (codec::run_of(&value), key.as_string()) {
                    let mut record = StoredRun::from_run(&run);
                    // The stored key stays: a different derivation must not fork the run in two.
                    record.key = stored_key;
                    updated.push(codec::encode(&record)?);
                    texts.push((record.key, record.search));
                }
            }
            after = Some(key);
        }
        rewritten += updated.len() as u32;
        if !updated.is_empty() {
            store
                .put_all(updated.into_iter().map(|v| (v, None)))
                .await?;
            search_entries::write(&tx, &texts).await?;
        }
        finish(tx).await?;
        if (read as u32) < CHUNK {
            break;
        }
    }
    set_data_version(db, RECORD_VERSION).await?;
    Ok(rewritten)
}
