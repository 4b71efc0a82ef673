//! The `search` store's entries, kept in step with the runs: each run's search text
//! (`StoredRun::search`, about 100 bytes) in a small record of its own, written in the same
//! transaction as the run and deleted with it. This is all the live page's writes need; the
//! index that reads the entries (`search_index`) is reached only from the history page.
//!
//! Each entry carries a `seq`, one more than the highest stored, allocated inside the write's
//! read-write transaction (IndexedDB runs those one at a time, so seqs commit in order): a
//! page's index catches up by reading the entries above the highest seq it has seen. A deletion
//! leaves a marker entry listing the removed keys, numbered the same way (`search_removed`), so
//! the index takes them out without reading the rest again; a clear bumps an epoch in `meta`
//! instead, and an index built under an older epoch is rebuilt.

use super::asks;
use super::idb::Transaction;
use super::meta_entry::{meta_entry, meta_number};
use super::schema::{META, SEARCH, SEARCH_KEY, SEQ_FIELD};
use super::search_removed;
use super::search_spans;
use super::StoreError;
use wasm_bindgen::JsValue;

/// In `meta`: bumped by every clear of the search store.
pub(super) const EPOCH: &str = "search_epoch";

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
/// numbered after the highest seq stored; the spans they complete are sealed once it has ended
/// (`search_spans`).
pub(super) async fn write(
    tx: &Transaction,
    entries: &[(String, String)],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let store = tx.store(SEARCH)?;
    let top = search_removed::top_seq(&store).await?;
    let mut seq = top;
    let values = entries
        .iter()
        .map(|(k, t)| {
            seq += 1.0;
            entry(k, t, seq).map(|v| (v, None))
        })
        .collect::<Result<Vec<_>, _>>()?;
    store.put_all(values.into_iter()).await?;
    search_spans::seal_after(tx, top, seq);
    Ok(())
}

/// Deletes the entries of these runs in `tx` (which must cover `search` and `meta`) and puts
/// the marker that lists them, numbered after every entry it removes, so every tab's index
/// takes them out before its next search (`search_removed`).
pub(super) async fn forget(tx: &Transaction, keys: &[JsValue]) -> Result<(), StoreError> {
    let (store, meta) = (tx.store(SEARCH)?, tx.store(META)?);
    let seq = search_removed::top_seq(&store).await? + 1.0;
    asks::delete_all(&store, keys.iter().cloned()).await?;
    let cap = search_spans::floor_cap(seq);
    search_removed::mark(&store, &meta, keys, seq, cap).await?;
    search_spans::seal_after(tx, seq - 1.0, seq);
    Ok(())
}

/// Empties the store (with the runs, and its markers) and bumps the epoch: seqs start again.
pub(super) async fn forget_all(tx: &Transaction) -> Result<(), StoreError> {
    tx.store(SEARCH)?.clear().await?;
    let meta = tx.store(META)?;
    search_removed::forget_floor(&meta).await?;
    search_spans::forget_all(&meta).await?;
    bump_epoch(tx).await
}

async fn bump_epoch(tx: &Transaction) -> Result<(), StoreError> {
    let meta = tx.store(META)?;
    let now = meta_number(meta.get(JsValue::from_str(EPOCH)).await?);
    meta.put(&meta_entry(EPOCH, now + 1.0)?, None).await?;
    Ok(())
}
