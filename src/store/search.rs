//! Free-text search without reading every record.
//!
//! Reading 100 000 whole records takes seconds, most of it IndexedDB handing over records
//! (a run with its nodes is kilobytes). So each run's search text (`StoredRun::search`, about
//! 100 bytes) is also kept in a `search` store of its own, written in the same transaction as
//! the run, and a page builds a trigram index over those texts in memory on its first search
//! (`telemetry_core::history::TextIndex`). Why not the index itself in IndexedDB: a posting list
//! per trigram would be rewritten on every progress write of every run, or, as a multi-entry
//! index, cost ~60 index rows per run on disk and on every write; the texts cost one small row.
//!
//! Staying current with every tab's writes: each entry carries a `seq`, one more than the
//! highest stored, allocated inside the write's read-write transaction (IndexedDB runs those one
//! at a time, so seqs commit in order). Before each search the index reads the entries above the
//! highest seq it has seen, usually none. Deletions leave no entry to read, so they bump an
//! epoch in `meta` instead, and an index built under an older epoch is rebuilt. Records written
//! before the store existed are copied in once (`backfill`); until then search scans as before.

use super::codec;
use super::run_store::finish;
use super::schema::{META, RUNS, SEARCH, SEARCH_KEY, SEARCH_READY as READY, SEQ_FIELD, SEQ_INDEX};
use super::StoreError;
use futures::future::join_all;
use futures::lock::Mutex;
use rexie::{Direction, KeyRange, Rexie, Transaction, TransactionMode};
use serde::Deserialize;
use std::rc::Rc;
use telemetry_core::history::TextIndex;
use wasm_bindgen::JsValue;

const EPOCH: &str = "search_epoch";
const CHUNK: u32 = 500;

/// One entry as `JSON.stringify` gives it back.
#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    k: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    t: std::borrow::Cow<'a, str>,
    s: f64,
}

fn entry(key: &str, text: &str, seq: f64) -> Result<JsValue, StoreError> {
    let obj = js_sys::Object::new();
    let set = |k: &str, v: JsValue| js_sys::Reflect::set(&obj, &JsValue::from_str(k), &v);
    set(SEARCH_KEY, JsValue::from_str(key))
        .and_then(|_| set("t", JsValue::from_str(text)))
        .and_then(|_| set(SEQ_FIELD, JsValue::from_f64(seq)))
        .map_err(|_| StoreError::Failed("building a search entry".to_owned()))?;
    Ok(obj.into())
}

/// Writes the search entries of `(key, text)` pairs in `tx` (which must cover `search`),
/// numbered after the highest seq stored.
pub(crate) async fn write(
    tx: &Transaction,
    entries: &[(String, String)],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let store = tx.store(SEARCH)?;
    let top = store
        .index(SEQ_INDEX)?
        .scan(None, Some(1), None, Some(Direction::Prev))
        .await?;
    let mut seq = top.first().and_then(|(k, _)| k.as_f64()).unwrap_or(0.0);
    let values = entries
        .iter()
        .map(|(k, t)| {
            seq += 1.0;
            entry(k, t, seq).map(|v| (v, None))
        })
        .collect::<Result<Vec<_>, _>>()?;
    store.put_all(values.into_iter()).await?;
    Ok(())
}

/// Deletes the entries of these runs in `tx` (which must cover `search` and `meta`) and bumps
/// the epoch, so every tab's index is rebuilt before its next search.
pub(crate) async fn forget(tx: &Transaction, keys: &[JsValue]) -> Result<(), StoreError> {
    let store = tx.store(SEARCH)?;
    for r in join_all(keys.iter().map(|k| store.delete(k.clone()))).await {
        r?;
    }
    bump_epoch(tx).await
}

/// Empties the store (with the runs) and bumps the epoch.
pub(crate) async fn forget_all(tx: &Transaction) -> Result<(), StoreError> {
    tx.store(SEARCH)?.clear().await?;
    bump_epoch(tx).await
}

async fn bump_epoch(tx: &Transaction) -> Result<(), StoreError> {
    let meta = tx.store(META)?;
    let now = meta_number(meta.get(JsValue::from_str(EPOCH)).await?);
    meta.put(&meta_entry(EPOCH, now + 1.0)?, None).await?;
    Ok(())
}

fn meta_number(value: Option<JsValue>) -> f64 {
    value
        .and_then(|v| js_sys::Reflect::get(&v, &JsValue::from_str("value")).ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

fn meta_entry(name: &str, value: f64) -> Result<JsValue, StoreError> {
    let obj = js_sys::Object::new();
    let set = |k: &str, v: JsValue| js_sys::Reflect::set(&obj, &JsValue::from_str(k), &v);
    set("name", JsValue::from_str(name))
        .and_then(|_| set("value", JsValue::from_f64(value)))
        .map_err(|_| StoreError::Failed("building a meta entry".to_owned()))?;
    Ok(obj.into())
}

/// Copies the search text of every run into the store, a chunk per read-write transaction
/// (each reads its runs and writes their entries atomically, so a run written meanwhile cannot
/// be overwritten with an older text), then marks the store complete. Interrupted, it starts
/// over on the next search: entries are rewritten, never duplicated.
async fn backfill(db: &Rexie) -> Result<(), StoreError> {
    let mut after: Option<JsValue> = None;
    loop {
        let range = match &after {
            Some(k) => Some(KeyRange::lower_bound(k, Some(true)).map_err(rexie::Error::from)?),
            None => None,
        };
        let tx = db.transaction(&[RUNS, SEARCH], TransactionMode::ReadWrite)?;
        let rows = tx
            .store(RUNS)?
            .scan(range, Some(CHUNK), None, Some(Direction::Next))
            .await?;
        let read = rows.len();
        let mut entries = Vec::with_capacity(read);
        for (key, value) in rows {
            if let (Some(k), Some(text)) = (key.as_string(), codec::search_of(&value)) {
                entries.push((k, text));
            }
            after = Some(key);
        }
        write(&tx, &entries).await?;
        finish(tx).await?;
        if (read as u32) < CHUNK {
            break;
        }
    }
    let tx = db.transaction(&[META], TransactionMode::ReadWrite)?;
    tx.store(META)?.put(&meta_entry(READY, 1.0)?, None).await?;
    finish(tx).await
}

#[derive(Default)]
struct State {
    index: TextIndex,
    /// Highest seq applied.
    seq: f64,
    /// The epoch the index was built under; `None` before the first build.
    epoch: Option<f64>,
    ready: bool,
}

/// A page's in-memory index over the search store, shared by every clone of the `RunStore`.
/// Searches take turns (an async lock), so two catch-ups never apply entries out of order.
#[derive(Default)]
pub(crate) struct SearchIndex {
    state: Mutex<State>,
}

impl SearchIndex {
    /// Keys of the runs whose search text contains `needle` (lower-cased, as
    /// `HistoryQuery::search_needle` gives it): exactly those a scan of the records finds.
    pub(crate) async fn matching(
        &self,
        db: &Rexie,
        needle: &str,
    ) -> Result<Vec<Rc<str>>, StoreError> {
        let mut state = self.state.lock().await;
        if !state.ready {
            if meta_number(read_meta(db, READY).await?) < 1.0 {
                backfill(db).await?;
            }
            state.ready = true;
        }
        let tx = db.transaction(&[SEARCH, META], TransactionMode::ReadOnly)?;
        let epoch = meta_number(tx.store(META)?.get(JsValue::from_str(EPOCH)).await?);
        let store = tx.store(SEARCH)?;
        let values = if state.epoch == Some(epoch) {
            let after = KeyRange::lower_bound(&JsValue::from_f64(state.seq), Some(true))
                .map_err(rexie::Error::from)?;
            store.index(SEQ_INDEX)?.get_all(Some(after), None).await?
        } else {
            state.index.clear();
            state.seq = 0.0;
            state.epoch = Some(epoch);
            store.get_all(None, None).await?
        };
        drop(tx);
        apply(&mut state, values)?;
        Ok(state.index.matching(needle))
    }
}

async fn read_meta(db: &Rexie, name: &str) -> Result<Option<JsValue>, StoreError> {
    let tx = db.transaction(&[META], TransactionMode::ReadOnly)?;
    Ok(tx.store(META)?.get(JsValue::from_str(name)).await?)
}

/// Entries cross as one JSON text: one call into JavaScript for all of them instead of three
/// property reads per entry.
fn apply(state: &mut State, values: Vec<JsValue>) -> Result<(), StoreError> {
    if values.is_empty() {
        return Ok(());
    }
    let array: js_sys::Array = values.into_iter().collect();
    let text = js_sys::JSON::stringify(&array)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| StoreError::Failed("reading the search store".to_owned()))?;
    let entries: Vec<Entry<'_>> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Failed(format!("reading the search store: {e}")))?;
    for e in entries {
        state.index.upsert(&e.k, &e.t);
        state.seq = state.seq.max(e.s);
    }
    Ok(())
}
