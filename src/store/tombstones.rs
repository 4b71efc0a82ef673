//! Runs the person took out of the store (deleted, cleared, or removed by the retention rules)
//! stay out: ComfyUI's `/api/history` still lists them, and the start-up backfill and every
//! reconnect's history read add what the store lacks (`RunStore::to_backfill`), so without a trace
//! a deleted run came back on the next load.
//!
//! Each removed run leaves a `meta` entry `deleted:<run key>` (its value: when; `going: true`
//! when its stored status was not terminal yet), put in the removal's own transaction.
//! `to_backfill` leaves those keys out, and the merged writes of the page's writer (`merge_in`
//! with `Buried::StayOut`) skip them: our extension greets a new page with a catch-up replay of
//! the newest frames, so a removed run can reach the writer again from the stream too. A prompt
//! id never runs twice, so a run removed after it ended stays out whatever the replay shows:
//! its start alone (a replay split over two batches) reads as running, and once brought that
//! run back (CI's `runlog.spec.ts` "deleting stays local" failed that way under load). A run
//! removed while still going is written again as it goes on, as the page's writer always did
//! (`StoreWriter::forget`), and its tombstone is lifted. What the person imports is written
//! whole and lifts the tombstone (`put`), and the server's run log brings its runs back by
//! design (`Buried::Return`: it is deleted from on the server first).
//!
//! Bounded: past `2 × MAX_TOMBSTONES` entries the oldest are dropped down to `MAX_TOMBSTONES`.
//! A run removed that long ago has left ComfyUI's own history (at most 10 000 prompts, and
//! gone with a restart) or at least the newest entries the page reads.

use super::asks;
use super::conn::name_range;
use super::idb::{KeyRange, Store};
use super::meta_entry::meta_entry;
use super::StoreError;
use wasm_bindgen::JsValue;

/// Tombstones kept (at least; pruned when twice as many).
pub const MAX_TOMBSTONES: u32 = 10_000;
/// Entries are `deleted:<run key>`; `;` follows `:`, so this range holds exactly them.
const FROM: &str = "deleted:";
const TO: &str = "deleted;";

fn name(key: &str) -> String {
    format!("{FROM}{key}")
}

fn range() -> Result<KeyRange, StoreError> {
    name_range(FROM, TO)
}

/// How a removed run left the store.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Tomb {
    /// After it ended (or before tombstones said): nothing of it is written again.
    Ended,
    /// While it was still going: written again as it goes on.
    Going,
}

/// Leaves a tombstone for each of `keys` (removed at `now_ms`, the newest last: beyond
/// [`MAX_TOMBSTONES`] only the last are kept) in the removal's transaction; `going` says which
/// were still going.
pub(super) async fn bury(
    meta: &Store,
    keys: &[String],
    going: impl Fn(&str) -> bool,
    now_ms: f64,
) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    let entries = keys[keys.len().saturating_sub(MAX_TOMBSTONES as usize)..]
        .iter()
        .map(|k| {
            let entry = meta_entry(&name(k), now_ms)?;
            if going(k) {
                js_sys::Reflect::set(&entry, &JsValue::from_str("going"), &JsValue::TRUE)
                    .map_err(|_| StoreError::Failed("building a tombstone".to_owned()))?;
            }
            Ok((entry, None))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    meta.put_all(entries.into_iter()).await?;
    let count = meta.count(Some(range()?)).await?;
    if count > 2 * MAX_TOMBSTONES {
        prune(meta, count - MAX_TOMBSTONES).await?;
    }
    Ok(())
}

/// Drops the `excess` oldest tombstones.
#[inline(never)]
async fn prune(meta: &Store, excess: u32) -> Result<(), StoreError> {
    let mut all: Vec<(f64, JsValue)> = meta
        .get_all(Some(range()?), None)
        .await?
        .into_iter()
        .filter_map(|v| {
            let at = super::codec::field(&v, "value")?.as_f64()?;
            Some((at, super::codec::field(&v, "name")?))
        })
        .collect();
    telemetry_core::sort::sort_by(&mut all, |a, b| a.0.total_cmp(&b.0));
    let gone = all.into_iter().take(excess as usize);
    asks::delete_all(meta, gone.map(|(_, name)| name)).await?;
    Ok(())
}

/// Which of `keys` have a tombstone, as a flag per key, in `meta`'s transaction.
pub(super) async fn buried(meta: &Store, keys: &[String]) -> Result<Vec<bool>, StoreError> {
    Ok(tombs(meta, keys)
        .await?
        .into_iter()
        .map(|t| t.is_some())
        .collect())
}

/// The tombstone of each of `keys`, if any, in `meta`'s transaction (all requests go out in the
/// first poll, in one transaction).
pub(super) async fn tombs(meta: &Store, keys: &[String]) -> Result<Vec<Option<Tomb>>, StoreError> {
    let found = asks::all(
        keys.iter()
            .map(|k| asks::get(meta, JsValue::from_str(&name(k))))
            .collect(),
    )
    .await;
    found
        .into_iter()
        .map(|r| {
            let entry = r?;
            Ok(entry.map(
                |e| match super::codec::field(&e, "going").and_then(|g| g.as_bool()) {
                    Some(true) => Tomb::Going,
                    _ => Tomb::Ended,
                },
            ))
        })
        .collect()
}

/// Whether a stored record's status says its run was still going.
pub(super) fn still_going(record: &JsValue) -> bool {
    super::codec::field(record, "status")
        .and_then(|s| s.as_string())
        .and_then(|s| telemetry_core::RunStatus::parse(&s))
        .is_some_and(|s| !s.is_terminal())
}

/// Whether removed runs may be written again by a merged write.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Buried {
    /// The page's own writes (the stream, the backfill, the spill): a removed run stays out.
    StayOut,
    /// The server's run log: its runs are listed again after a clear.
    Return,
}

/// Whether any tombstone exists: one request, so a store without any pays nothing more.
pub(super) async fn any(meta: &Store) -> Result<bool, StoreError> {
    Ok(meta.count(Some(range()?)).await? > 0)
}

/// Lifts the tombstones of `keys` (the person imported these runs).
pub(super) async fn lift(meta: &Store, keys: &[&str]) -> Result<(), StoreError> {
    asks::delete_all(meta, keys.iter().map(|k| JsValue::from_str(&name(k)))).await?;
    Ok(())
}
