//! Writing runs. The live writer's path, `put_merged`, writes so that the store only ever gains
//! information: each record is folded into the one already stored in the same transaction
//! (status never backwards, server times and series kept), and written only when that adds
//! something. A reload that restored a poorer record, or a second tab writing the same run, can
//! no longer overwrite a richer one. `put` replaces records whole (imports).
//!
//! Both keep the `search` store (`search_entries`) in step with the runs in the same
//! transaction, so free-text search never disagrees with what is stored, and put each run's
//! insight touch entry in `meta` in that transaction too (`insight_touch`; the aggregates
//! themselves are updated only where a page installed the insight hook).

use super::codec;
use super::conn::{finish, write_error};
use super::insight_touch;
use super::run_store::RunStore;
use super::schema::{META, RUNS, SEARCH};
use super::search_entries;
use super::StoreError;
use rexie::TransactionMode;
use telemetry_core::history::StoredRun;
use wasm_bindgen::JsValue;

impl RunStore {
    /// Merges and upserts by key in one transaction; returns how many records were written
    /// (the rest added nothing to what was stored). A run's search entry is rewritten only when
    /// its search text changed (progress writes leave it alone): an entry always holds the text
    /// of its stored record, and runs stored before the search store are copied in by its
    /// one-time backfill.
    pub async fn put_merged(&self, runs: &[StoredRun]) -> Result<usize, StoreError> {
        if runs.is_empty() {
            return Ok(0);
        }
        let (_conn, tx) = self.transaction_on(&[RUNS, SEARCH, META], TransactionMode::ReadWrite)?;
        let store = tx.store(RUNS)?;
        let meta = tx.store(META)?;
        let mut written = Vec::new();
        let mut texts = Vec::new();
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
            insight_touch::touch(&meta, &merged.key).await?;
            if stored.is_none_or(|s| s.search != merged.search) {
                texts.push((merged.key.clone(), merged.search.clone()));
            }
            written.push(merged);
        }
        if let Err(e) = search_entries::write(&tx, &texts).await {
            return Err(write_error(e).await);
        }
        finish(tx).await?;
        if let Some(hook) = self.insight_hook() {
            hook.written(self, &written);
        }
        Ok(written.len())
    }

    /// Upserts by key in one transaction: a record is replaced whole, never merged, so two tabs
    /// writing the same run cannot interleave into a mix of both.
    pub async fn put(&self, runs: &[StoredRun]) -> Result<(), StoreError> {
        if runs.is_empty() {
            return Ok(());
        }
        let values = runs
            .iter()
            .map(codec::encode)
            .collect::<Result<Vec<_>, _>>()?;
        let texts: Vec<(String, String)> = runs
            .iter()
            .map(|r| (r.key.clone(), r.search.clone()))
            .collect();
        let (_conn, tx) = self.transaction_on(&[RUNS, SEARCH, META], TransactionMode::ReadWrite)?;
        let written = tx
            .store(RUNS)?
            .put_all(values.into_iter().map(|v| (v, None)))
            .await;
        if let Err(e) = written {
            return Err(write_error(e.into()).await);
        }
        if let Err(e) = search_entries::write(&tx, &texts).await {
            return Err(write_error(e).await);
        }
        let meta = tx.store(META)?;
        for run in runs {
            insight_touch::touch(&meta, &run.key).await?;
        }
        finish(tx).await?;
        if let Some(hook) = self.insight_hook() {
            hook.written(self, runs);
        }
        Ok(())
    }
}
