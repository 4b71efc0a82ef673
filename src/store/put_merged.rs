//! Writing runs: `put` replaces records whole (imports), `put_merged` folds each into what is
//! stored (the live writer). Merging means the store only ever gains information: each record is folded into
//! the one already stored in the same transaction (status never backwards, server times and
//! series kept), and written only when that adds something. A reload that restored a poorer
//! record, or a second tab writing the same run, can no longer overwrite a richer one. The
//! insight aggregates take in what was written (`insight_book`), touch entry in the same
//! transaction.

use super::codec;
use super::conn::{finish, write_error};
use super::insight_book;
use super::run_store::RunStore;
use super::schema::{META, RUNS};
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
        let (_conn, tx) = self.transaction_on(insight_book::STORES, TransactionMode::ReadWrite)?;
        let store = tx.store(RUNS)?;
        let meta = tx.store(META)?;
        let mut written = Vec::new();
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
            insight_book::touch(&meta, &merged.key).await?;
            written.push(merged);
        }
        finish(tx).await?;
        for run in &written {
            self.book().written(&codec::normalize(run.clone()));
        }
        if !written.is_empty() {
            self.insight_changed();
        }
        Ok(written.len())
    }

    /// Upserts by key in one transaction: a record is replaced whole, never merged, so two tabs
    /// writing the same run cannot interleave into a mix of both. Each run's insight touch
    /// entry goes in the same transaction.
    pub async fn put(&self, runs: &[StoredRun]) -> Result<(), StoreError> {
        if runs.is_empty() {
            return Ok(());
        }
        let values = runs
            .iter()
            .map(codec::encode)
            .collect::<Result<Vec<_>, _>>()?;
        let (_conn, tx) = self.transaction_on(insight_book::STORES, TransactionMode::ReadWrite)?;
        let written = tx
            .store(RUNS)?
            .put_all(values.into_iter().map(|v| (v, None)))
            .await;
        if let Err(e) = written {
            return Err(write_error(e.into()).await);
        }
        let meta = tx.store(META)?;
        for run in runs {
            insight_book::touch(&meta, &run.key).await?;
        }
        finish(tx).await?;
        for run in runs {
            self.book().written(&codec::normalize(run.clone()));
        }
        self.insight_changed();
        Ok(())
    }
}
