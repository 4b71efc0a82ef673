//! The store's connection and the pieces every store operation shares: closing the database
//! when the last user lets go, key ranges that may be empty, and waiting for a write to commit
//! (with Chrome's silent quota aborts told apart). Its own module so that the run store and
//! the migration both use it without importing each other.

use super::estimate;
use super::idb::{Database, KeyRange, Transaction};
use super::StoreError;
use wasm_bindgen::JsValue;

/// Closes the connection when dropped. Operations hold their own `Rc`, so `close()` during a
/// read lets that read finish. Without this, a dropped `Database` would leave an open connection
/// whose `versionchange` handler is gone, and it would block every later upgrade.
pub(super) struct Conn(pub(super) Option<Database>);

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(db) = self.0.take() {
            db.close();
        }
    }
}

impl Conn {
    pub(super) fn db(&self) -> Result<&Database, StoreError> {
        self.0.as_ref().ok_or_else(closed)
    }
}

pub(super) fn closed() -> StoreError {
    StoreError::Failed("the history store is closed".to_owned())
}

pub(super) enum Bounds {
    All,
    Empty,
    Range(KeyRange),
}

pub(super) fn bounds(lower: Option<(JsValue, bool)>, upper: Option<(JsValue, bool)>) -> Bounds {
    // IndexedDB throws for an empty range (lower above upper); for a walk that means "nothing".
    let range = match (lower, upper) {
        (None, None) => return Bounds::All,
        (Some((l, lo)), Some((u, uo))) => KeyRange::bound(&l, &u, Some(lo), Some(uo)),
        (Some((l, lo)), None) => KeyRange::lower_bound(&l, Some(lo)),
        (None, Some((u, uo))) => KeyRange::upper_bound(&u, Some(uo)),
    };
    match range {
        Ok(r) => Bounds::Range(r),
        Err(_) => Bounds::Empty,
    }
}

/// The keys after `after`, the last key a keyset walk has read; all keys before the first page.
pub(super) fn keys_after(after: Option<&JsValue>) -> Result<Option<KeyRange>, StoreError> {
    match after {
        Some(k) => Ok(Some(KeyRange::lower_bound(k, Some(true))?)),
        None => Ok(None),
    }
}

/// `[from, to)` over names: the entries of one kind in `meta` (`insight:…`, `spill:…`).
pub(super) fn name_range(from: &str, to: &str) -> Result<KeyRange, StoreError> {
    Ok(KeyRange::bound(
        &JsValue::from_str(from),
        &JsValue::from_str(to),
        Some(false),
        Some(true),
    )?)
}

/// Waits for a write transaction to commit. An abort without a reason is what Chrome does when
/// the disk quota is hit, so it is reported as `QuotaExceeded` when storage is nearly full.
pub(crate) async fn finish(tx: Transaction) -> Result<(), StoreError> {
    match tx.done().await {
        Ok(end) if end.is_committed() => Ok(()),
        Ok(_) => Err(write_error(StoreError::Failed("the write was aborted".to_owned())).await),
        Err(e) => Err(write_error(e.into()).await),
    }
}

pub(super) async fn write_error(e: StoreError) -> StoreError {
    match &e {
        StoreError::Failed(s)
            if (s.contains("AbortError") || s.contains("aborted"))
                && estimate::nearly_full().await =>
        {
            StoreError::QuotaExceeded
        }
        _ => e,
    }
}
