//! The history page's search texts as one stored value (`search_snapshot` in `meta`), so the
//! next page load reads them in one piece instead of 100 000 small entries.
//!
//! Reading the `search` store's entries one record each costs IndexedDB about 6 µs a record in
//! Chromium (0.6 s at 100 000 runs, most of the first search of a page load); the same texts as
//! one byte array and one offset array read as two copies. The snapshot is the arena's
//! `TextArena::snapshot`, tagged with the highest seq it covers and the epoch it was built
//! under: a page loads it, applies the spans sealed since (`search_spans`), then reads the
//! entries written after them as before, with the removal markers of the deletions since
//! (`search_removed`), so a run deleted after the snapshot is taken out again, never brought
//! back. Without a snapshot the spans alone are applied, from the first seq on. A clear since
//! (the epoch moved) makes it unusable, and so does a floor above its seq (markers it needs were
//! compacted away): the page then applies the spans from the first seq on or, without them,
//! reads every entry, and writes a new one. Writing it drops the markers and the spans
//! (`search_spans`) it covers. It is written only by the history page (`SearchIndex::save`),
//! never on the live page's path.

use super::conn::finish;
use super::idb::{Database, TransactionMode};
use super::meta_entry::meta_number;
use super::schema::{META, SEARCH};
use super::search_entries::EPOCH;
use super::search_removed;
use super::search_spans;
use super::StoreError;
use telemetry_core::history::TextArena;
use wasm_bindgen::{JsCast, JsValue};

const SNAPSHOT: &str = "search_snapshot";
/// Bumped when the layout below changes: an older snapshot is then ignored.
const VERSION: f64 = 1.0;

/// Texts as of `seq`, under `epoch`, and the spans to apply after them (`search_spans`),
/// which end at `end`.
pub(super) struct Snapshot {
    pub texts: TextArena,
    pub seq: f64,
    pub epoch: f64,
    pub spans: Vec<JsValue>,
    pub end: f64,
}

/// The stored snapshot, when there is one of this layout built under the current epoch and at
/// or above the floor, and the spans after it; the spans from the first seq on when there is
/// no such snapshot; `None` when there are neither.
pub(super) async fn read(db: &Database) -> Result<Option<Snapshot>, StoreError> {
    let tx = db.transaction(&[META], TransactionMode::ReadOnly)?;
    let meta = tx.store(META)?;
    let epoch = meta_number(meta.get(JsValue::from_str(EPOCH)).await?);
    let floor = search_removed::floor(&meta).await?;
    let entry = meta.get(JsValue::from_str(SNAPSHOT)).await?;
    let seq = entry.as_ref().and_then(|e| seq_of(e, epoch, floor));
    let (spans, end) = search_spans::after(&meta, seq.unwrap_or(0.0), floor).await?;
    drop(tx);
    let texts = match (entry, seq) {
        // A snapshot that does not decode is only slower: the entries are read instead.
        (Some(e), Some(_)) => match decode(&e) {
            Some(texts) => texts,
            None => return Ok(None),
        },
        _ if !spans.is_empty() => TextArena::default(),
        _ => return Ok(None),
    };
    Ok(Some(Snapshot {
        texts,
        seq: seq.unwrap_or(0.0),
        epoch,
        spans,
        end,
    }))
}

/// The seq of a snapshot entry of this layout built under `epoch` and at or above `floor`.
fn seq_of(entry: &JsValue, epoch: f64, floor: f64) -> Option<f64> {
    let field = |name: &str| js_sys::Reflect::get(entry, &JsValue::from_str(name)).ok();
    if field("version")?.as_f64()? != VERSION || field("epoch")?.as_f64()? != epoch {
        return None;
    }
    field("value")?.as_f64().filter(|seq| *seq >= floor)
}

fn decode(entry: &JsValue) -> Option<TextArena> {
    let field = |name: &str| js_sys::Reflect::get(entry, &JsValue::from_str(name)).ok();
    let text = field("text")?.dyn_into::<js_sys::Uint8Array>().ok()?;
    let ends = field("ends")?.dyn_into::<js_sys::Uint32Array>().ok()?;
    let text = String::from_utf8(text.to_vec()).ok()?;
    TextArena::from_snapshot(text, &ends.to_vec())
}

/// Stores `texts` as the snapshot of `seq` under `epoch`, unless a clear moved the epoch or
/// the floor rose above `seq` meanwhile (checked in the same transaction, so a stale snapshot
/// is never written), and drops the removal markers it covers. `parts` is
/// `TextArena::snapshot`'s.
pub(super) async fn write(
    db: &Database,
    parts: (String, Vec<u32>),
    seq: f64,
    epoch: f64,
) -> Result<(), StoreError> {
    let (all, ends) = parts;
    let entry = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&entry, &JsValue::from_str(k), v);
    set("name", &JsValue::from_str(SNAPSHOT))
        .and_then(|_| set("version", &JsValue::from_f64(VERSION)))
        .and_then(|_| set("value", &JsValue::from_f64(seq)))
        .and_then(|_| set("epoch", &JsValue::from_f64(epoch)))
        .and_then(|_| set("text", &js_sys::Uint8Array::from(all.as_bytes()).into()))
        .and_then(|_| set("ends", &js_sys::Uint32Array::from(&ends[..]).into()))
        .map_err(|_| StoreError::Failed("building the search snapshot".to_owned()))?;
    drop(all);
    let tx = db.transaction(&[SEARCH, META], TransactionMode::ReadWrite)?;
    let meta = tx.store(META)?;
    if meta_number(meta.get(JsValue::from_str(EPOCH)).await?) == epoch
        && search_removed::floor(&meta).await? <= seq
    {
        meta.put(&entry.into(), None).await?;
        search_removed::prune(&tx.store(SEARCH)?, &meta, seq).await?;
        search_spans::prune(&meta, seq).await?;
    }
    finish(tx).await
}
