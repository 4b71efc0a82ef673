//! Writing a run so that the store only ever gains information: each record is folded into
//! the one already stored in the same transaction (status never backwards, server times and
//! series kept), and written only when that adds something. A reload that restored a poorer
//! record, or a second tab writing the same run, can no longer overwrite a richer one.

use super::codec;
use super::conn::{finish, write_error};
use super::run_store::RunStore;
use super::schema::RUNS;
use super::StoreError;
use rexie::TransactionMode;
use telemetry_core::history::StoredRun;
use wasm_bindgen::JsValue;

impl RunStore {
    /// Merges and upserts by key in one transaction; returns how many records were written
    /// (the rest added nothing to what was stored).
    pub async fn put_merged(&self, runs: &[StoredRun]) -> Result<usize, StoreError> {
        if runs.is_empty() {
            return Ok(0);
        }
        let (_conn, tx) = self.transaction(TransactionMode::ReadWrite)?;
        let store = tx.store(RUNS)?;
        let mut written = 0;
        for run in runs {
            let stored = store
                .get(JsValue::from_str(&run.key))
                .await?
                .and_then(codec::decode);
            let Some(merged) = run.merged_into(stored.as_ref()) else {
                continue;
            };
            if let Err(e) = store.put(&codec::encode(&merged)?, None).await {
                return Err(write_error(e.into()).await);
            }
            written += 1;
        }
        finish(tx).await?;
        Ok(written)
    }
}
