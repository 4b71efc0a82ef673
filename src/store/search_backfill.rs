//! The one-time copy of every run's search text into the `search` store, for a database
//! written before that store existed (schema version 3). Reached only from the history page's
//! search (`search_index`).

use super::codec;
use super::conn::{finish, keys_after};
use super::idb::{Database, Direction, TransactionMode};
use super::meta_entry::meta_entry;
use super::schema::{META, RUNS, SEARCH, SEARCH_READY as READY};
use super::search_entries::write;
use super::StoreError;
use wasm_bindgen::JsValue;

/// Runs read per read-write transaction.
const CHUNK: u32 = 500;

/// Copies the search text of every run into the store, a chunk per read-write transaction
/// (each reads its runs and writes their entries atomically, so a run written meanwhile cannot
/// be overwritten with an older text), then marks the store complete. Interrupted, it starts
/// over on the next search: entries are rewritten, never duplicated.
pub(super) async fn backfill(db: &Database) -> Result<(), StoreError> {
    let mut after: Option<JsValue> = None;
    loop {
        let range = keys_after(after.as_ref())?;
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
