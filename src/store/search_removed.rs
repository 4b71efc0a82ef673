//! Deletions as entries of the search store, so a page's index takes the removed runs out of
//! its texts instead of reading every entry again (issue #22: the first search after a deletion
//! at 100 000 runs re-read them all, 0.7–1.2 s).
//!
//! A deletion (`search_entries::forget`) deletes the runs' entries and puts one marker in the
//! same transaction: `{k: [seq], s: seq, g: [run keys]}`, its seq one more than the highest
//! stored *before* the entries went, so every seq stays above those it replaces and the store's
//! highest seq never goes down (a write after a deletion is numbered after it). An array key
//! sorts after every string, so markers never meet a run's key and sit at the end of the store
//! in seq order. A page's catch-up reads them through the `seq` index with the entries, in the
//! order they were written, and removes their keys from its arena (`search_index`); a read of
//! every entry (`read_all`) skips them, as the entries it reads already are the store after
//! them. A clear still moves the epoch (everything is gone: the index starts empty).
//!
//! Bounded: markers go once a stored snapshot covers them (`prune`, in the snapshot's write),
//! and past [`MAX_MARKERS`] all but the newest go at the next deletion (`mark`). Either raises
//! the floor (`search_floor` in `meta`): an index, or a snapshot, whose seq is below it may have
//! missed a removal and is rebuilt (from the snapshot and the spans after it when they reach
//! it). The newest marker always stays, so the highest seq does not go down. Past the limit,
//! the markers of the newest span stay too, as no sealed span holds them yet
//! (`search_spans`): at most `MAX_MARKERS` + 5 000 markers.

use super::idb::{Direction, KeyRange, Store};
use super::meta_entry::{meta_entry, meta_number};
use super::schema::{SEARCH_FLOOR as FLOOR, SEQ_FIELD, SEQ_INDEX};
use super::StoreError;
use wasm_bindgen::JsValue;

/// Markers kept before the next deletion compacts them (each lists up to `KEYS_CHUNK` keys).
const MAX_MARKERS: u32 = 1_000;
/// A marker's field listing the removed run keys.
pub(super) const REMOVED: &str = "g";

fn marker_key(seq: f64) -> JsValue {
    js_sys::Array::of1(&JsValue::from_f64(seq)).into()
}

/// Every marker (`[]` sorts before every other array, arrays after every string).
fn all_markers() -> Result<KeyRange, StoreError> {
    Ok(KeyRange::lower_bound(&js_sys::Array::new(), Some(false))?)
}

/// The markers numbered at most `seq`.
fn markers_through(seq: f64) -> Result<KeyRange, StoreError> {
    Ok(KeyRange::bound(
        &js_sys::Array::new(),
        &marker_key(seq),
        Some(false),
        Some(false),
    )?)
}

/// The highest seq stored (0 when none).
pub(super) async fn top_seq(store: &Store) -> Result<f64, StoreError> {
    let top = store
        .index(SEQ_INDEX)?
        .scan(None, Some(1), None, Some(Direction::Prev))
        .await?;
    Ok(top.first().and_then(|(k, _)| k.as_f64()).unwrap_or(0.0))
}

/// Puts the marker of `keys` removed at `seq` in the search store (`search`), in the deletion's
/// transaction; past `MAX_MARKERS` the older ones go and the floor rises (`meta`), to `cap` at
/// most: the start of the newest span, whose markers no sealed span holds yet
/// (`search_spans::floor_cap`).
pub(super) async fn mark(
    search: &Store,
    meta: &Store,
    keys: &[JsValue],
    seq: f64,
    cap: f64,
) -> Result<(), StoreError> {
    let obj = js_sys::Object::new();
    let removed: js_sys::Array = keys.iter().collect();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&obj, &JsValue::from_str(k), v);
    set("k", &marker_key(seq))
        .and_then(|_| set(SEQ_FIELD, &JsValue::from_f64(seq)))
        .and_then(|_| set(REMOVED, &removed.into()))
        .map_err(|_| StoreError::Failed("building a removal marker".to_owned()))?;
    search.put(&obj.into(), None).await?;
    if search.count(Some(all_markers()?)).await? > MAX_MARKERS {
        raise_floor(search, meta, (seq - 1.0).min(cap)).await?;
    }
    Ok(())
}

/// Drops the markers a snapshot of `seq` covers (all but the newest), in the snapshot's
/// transaction.
pub(super) async fn prune(search: &Store, meta: &Store, seq: f64) -> Result<(), StoreError> {
    let newest = search
        .scan(Some(all_markers()?), Some(1), None, Some(Direction::Prev))
        .await?;
    let Some(newest) = newest
        .first()
        .and_then(|(_, v)| super::codec::field(v, SEQ_FIELD))
        .and_then(|s| s.as_f64())
    else {
        return Ok(());
    };
    raise_floor(search, meta, seq.min(newest - 1.0)).await
}

/// Deletes the markers numbered at most `to` and makes it the floor, unless it is one already.
async fn raise_floor(search: &Store, meta: &Store, to: f64) -> Result<(), StoreError> {
    if to <= floor(meta).await? {
        return Ok(());
    }
    search.delete(markers_through(to)?.into()).await?;
    meta.put(&meta_entry(FLOOR, to)?, None).await?;
    Ok(())
}

pub(super) async fn floor(meta: &Store) -> Result<f64, StoreError> {
    Ok(meta_number(meta.get(JsValue::from_str(FLOOR)).await?))
}

/// Forgets the floor (a clear: seqs start again from 1).
pub(super) async fn forget_floor(meta: &Store) -> Result<(), StoreError> {
    meta.delete(JsValue::from_str(FLOOR)).await?;
    Ok(())
}
