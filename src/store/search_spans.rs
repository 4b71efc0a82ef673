//! The search store's entries also kept [`SPAN`] seqs at a time, each span as one JSON text in
//! `meta` (`search_span:000012`), so the first history page of a browser reads twenty values
//! instead of 100 000 entries. IndexedDB hands over a record in ~5 µs however small it is: at
//! 100 000 runs the entries took ~0.5 s of the first search's 0.65 s (issue #22), the same entries
//! as twenty texts are read in 20–35 ms, and the whole first search takes ~0.15 s.
//!
//! A span is sealed right after the write that completes it, in a transaction of its own
//! (`seal_after`): the entries numbered in `(m·SPAN, (m+1)·SPAN]` that are still stored, removal
//! markers included, read through the `seq` index and stored as `JSON.stringify` gives them (on the
//! live page's path: no copy into wasm memory). IndexedDB runs read-write transactions over a store
//! one at a time and seqs are given out inside them, so every seq of the span is written by then.
//! An entry rewritten later is in a later span, or among the entries after the last span; a
//! deletion later is a later marker. So a page that applies the spans in order, then the entries
//! after them, gets what reading the entries one by one gets (`search_index`).
//!
//! A sealed span holds its removal markers, so a compaction of markers (`search_removed`) may raise
//! the floor to the start of the span holding the newest seq, never into it (`floor_cap`). A
//! snapshot may raise it to its own seq: the span then sealed lacks markers at or below that floor,
//! which a page starting from that snapshot has applied. So each span keeps the floor it was sealed
//! under, and is used only by a page whose texts are at or past it. Spans are only a faster way to
//! read what the entries hold: a span that is missing (over the limit, or from before spans) or not
//! usable ends the chain, and the entries after it are read one by one as before. A stored snapshot
//! covers the spans below its seq, so its write drops them (`prune`); a clear drops all of them
//! with the entries.

use super::conn::name_range;
use super::idb::{Database, KeyRange, Store, Transaction, TransactionMode};
use super::meta_entry::{meta_entry, meta_number};
use super::schema::{META, SEARCH, SEARCH_FLOOR, SEQ_INDEX};
use super::search_removed;
use super::StoreError;
use wasm_bindgen::JsValue;

/// Seqs per span.
pub(super) const SPAN: f64 = 5_000.0;
/// Spans kept between snapshots (300 000 entries, ~1 MB of JSON each at ~170 bytes a text).
const MAX_SPANS: u32 = 60;
const FROM: &str = "search_span:";
/// Sorts right after every span's name.
const TO: &str = "search_span;";

fn name(m: f64) -> String {
    // As an integer: formatting an `f64` would link the float printer (~9 kB gzip).
    format!("{FROM}{:06}", m as u32)
}

/// The span holding `seq` (seqs start at 1: span 0 is `1..=SPAN`).
fn span_of(seq: f64) -> f64 {
    ((seq - 1.0) / SPAN).floor().max(0.0)
}

/// The highest floor a compaction sets when `top` is the highest seq stored: the start of the
/// span holding it. Markers below are in sealed spans, and the write that completes this span
/// seals it after its marker goes in.
pub(super) fn floor_cap(top: f64) -> f64 {
    span_of(top) * SPAN
}

fn spans_from(m: f64) -> Result<KeyRange, StoreError> {
    name_range(&name(m), TO)
}

/// After a write in `tx` took the seqs from `from` to `to`: when that completed a span, seals
/// it in a read-write transaction of its own. IndexedDB starts that one once the write's has
/// ended (read-write transactions over the same stores run in the order they were created), so
/// a span that cannot be stored (a full disk) never fails the write, and a write that failed
/// seals nothing (`seal` only takes spans below the highest seq stored).
pub(super) fn seal_after(tx: &Transaction, from: f64, to: f64) {
    let first = (from / SPAN).floor();
    if first >= (to / SPAN).floor() {
        return;
    }
    let db = Database::of(tx);
    let Ok(sealing) = db.transaction(&[SEARCH, META], TransactionMode::ReadWrite) else {
        return;
    };
    let Ok(meta) = sealing.store(META) else {
        return;
    };
    // A request now: a transaction left without one until this task ends commits empty.
    let floor = meta.get(JsValue::from_str(SEARCH_FLOOR));
    wasm_bindgen_futures::spawn_local(async move {
        // Not sealed is only slower: a page reads those entries one by one instead.
        let _ = seal(&sealing, first, meta_number(floor.await.ok().flatten())).await;
    });
}

/// Stores the spans from `first` on that the stored seqs complete, in `tx` (over the `search`
/// store and `meta`), with the markers' floor as of now. Sealed after later writes, a span
/// only lacks what moved on (an entry rewritten or deleted since is in a later span or after
/// the spans), which is what a page reads there anyway.
async fn seal(tx: &Transaction, first: f64, floor: f64) -> Result<(), StoreError> {
    let (search, meta) = (tx.store(SEARCH)?, tx.store(META)?);
    let end = (search_removed::top_seq(&search).await? / SPAN).floor();
    let mut kept = meta.count(Some(name_range(FROM, TO)?)).await?;
    let mut m = first;
    while m < end && kept < MAX_SPANS {
        let range = KeyRange::bound(
            &JsValue::from_f64(m * SPAN),
            &JsValue::from_f64((m + 1.0) * SPAN),
            Some(true),
            Some(false),
        )?;
        let values = search.index(SEQ_INDEX)?.get_all(Some(range), None).await?;
        let array: js_sys::Array = values.into_iter().collect();
        let json = js_sys::JSON::stringify(&array)
            .map_err(|_| StoreError::Failed("sealing a search span".to_owned()))?;
        let entry = meta_entry(&name(m), m)?;
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&entry, &JsValue::from_str(k), v);
        set("floor", &JsValue::from_f64(floor))
            .and_then(|_| set("json", &json.into()))
            .map_err(|_| StoreError::Failed("sealing a search span".to_owned()))?;
        meta.put(&entry, None).await?;
        kept += 1;
        m += 1.0;
    }
    Ok(())
}

/// The spans a page holding every entry up to `seq` reads next, in order, as JavaScript strings
/// of JSON (the page copies one at a time into its memory), and the seq they end at: up to the
/// first one missing or sealed under a floor above both `seq` and its start; none when they end
/// below `floor` (the entries after them could not be read whole).
pub(super) async fn after(
    meta: &Store,
    seq: f64,
    floor: f64,
) -> Result<(Vec<JsValue>, f64), StoreError> {
    let mut next = span_of(seq + 1.0);
    let mut texts = Vec::new();
    for value in meta.get_all(Some(spans_from(next)?), None).await? {
        let field = |k: &str| js_sys::Reflect::get(&value, &JsValue::from_str(k)).ok();
        let number = |k: &str| field(k).and_then(|v| v.as_f64());
        let (Some(m), Some(sealed_under), Some(json)) = (
            number("value"),
            number("floor"),
            field("json").filter(|v| v.is_string()),
        ) else {
            break;
        };
        if m != next || sealed_under > seq.max(m * SPAN) {
            break;
        }
        texts.push(json);
        next += 1.0;
    }
    let end = next * SPAN;
    if texts.is_empty() || end < floor {
        return Ok((Vec::new(), seq));
    }
    Ok((texts, end))
}

/// Drops the spans a snapshot of `seq` covers whole, in its write's transaction.
pub(super) async fn prune(meta: &Store, seq: f64) -> Result<(), StoreError> {
    let below = span_of(seq + 1.0);
    if below > 0.0 {
        meta.delete(name_range(FROM, &name(below))?.into()).await?;
    }
    Ok(())
}

/// Drops every span (a clear: seqs start again).
pub(super) async fn forget_all(meta: &Store) -> Result<(), StoreError> {
    meta.delete(name_range(FROM, TO)?.into()).await?;
    Ok(())
}
