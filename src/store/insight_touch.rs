//! What every write does for the insight aggregates, and all the live page's writes carry of
//! them: a touch entry (`insight:<run key>`) in `meta`, put in the write's own transaction, so
//! nothing a write did can be missed, whichever tab wrote it and however the page went away.
//!
//! Keeping the aggregates themselves current (`InsightAggregates::add`, the snapshot's JSON) is
//! the `InsightHook`'s job, a trait object for the same reason as `TextSearch`: the pages that
//! read the aggregates install it (`insight_io`, `RunStore::load_insight`), so that code is
//! compiled into their chunks and the live page's writes never reach it. Without a hook the
//! touch entries accumulate, and the next load folds them in (`insight_book`).

use super::conn::name_range;
use super::idb::{KeyRange, Store};
use super::meta_entry::meta_entry;
use super::StoreError;
use wasm_bindgen::JsValue;

/// The snapshot's name in `meta`.
pub(super) const SNAPSHOT: &str = "insight";
/// Touch entries are `insight:<run key>`; `;` follows `:`, so this range holds exactly them.
pub(super) const TOUCH_FROM: &str = "insight:";
const TOUCH_TO: &str = "insight;";

pub(super) fn touch_name(key: &str) -> String {
    format!("{TOUCH_FROM}{key}")
}

pub(super) fn touch_range() -> Result<KeyRange, StoreError> {
    name_range(TOUCH_FROM, TOUCH_TO)
}

/// Puts the touch entries of `keys` in the write's own transaction.
pub(super) async fn touch_all(meta: &Store, keys: &[&str]) -> Result<(), StoreError> {
    let entries = keys
        .iter()
        .map(|k| meta_entry(&touch_name(k), 1.0).map(|v| (v, None)))
        .collect::<Result<Vec<_>, _>>()?;
    meta.put_all(entries.into_iter()).await?;
    Ok(())
}

/// Removes the snapshot and the touch log (the store was cleared).
pub(super) async fn forget(meta: &Store) -> Result<(), StoreError> {
    meta.delete(JsValue::from_str(SNAPSHOT)).await?;
    meta.delete(touch_range()?.into()).await?;
    Ok(())
}
