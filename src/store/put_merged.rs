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

use super::asks;
use super::codec;
use super::conn::{finish, write_error};
use super::idb::{Transaction, TransactionMode};
use super::insight_touch;
use super::run_store::RunStore;
use super::schema::{META, RUNS, SEARCH};
use super::search_entries;
use super::tombstones::{self, Buried, Tomb};
use super::StoreError;
use futures::future::join;
use telemetry_core::history::StoredRun;
use wasm_bindgen::JsValue;

impl RunStore {
    /// Merges and upserts by key in one transaction; returns how many records were written
    /// (the rest added nothing to what was stored). A run's search entry is rewritten only when
    /// its search text changed (progress writes leave it alone): an entry always holds the text
    /// of its stored record, and runs stored before the search store are copied in by its
    /// one-time backfill.
    ///
    /// Finished runs the person removed are skipped (`tombstones`); one removed while still
    /// going is written again, and its tombstone lifted.
    pub async fn put_merged(&self, runs: &[StoredRun]) -> Result<usize, StoreError> {
        self.merge(runs, Buried::StayOut).await
    }

    /// [`put_merged`](Self::put_merged) for the server's run log: its runs are listed again
    /// after the person cleared this browser's store (they delete from the log itself first).
    pub async fn put_from_server_log(&self, runs: &[StoredRun]) -> Result<usize, StoreError> {
        self.merge(runs, Buried::Return).await
    }

    async fn merge(&self, runs: &[StoredRun], buried: Buried) -> Result<usize, StoreError> {
        if runs.is_empty() {
            return Ok(0);
        }
        let (_conn, tx) = self.transaction_on(&[RUNS, SEARCH, META], TransactionMode::ReadWrite)?;
        let written = merge_in(&tx, runs, buried).await?;
        finish(tx).await?;
        if let Some(hook) = self.insight_hook() {
            hook.written(self, &written);
        }
        Ok(written.len())
    }

    /// Upserts by key in one transaction: a record is replaced whole, never merged, so two tabs
    /// writing the same run cannot interleave into a mix of both. The person chose to write
    /// these (an import): a tombstone of theirs is lifted.
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
        let keys: Vec<&str> = runs.iter().map(|r| r.key.as_str()).collect();
        let meta = tx.store(META)?;
        insight_touch::touch_all(&meta, &keys).await?;
        tombstones::lift(&meta, &keys).await?;
        finish(tx).await?;
        if let Some(hook) = self.insight_hook() {
            hook.written(self, runs);
        }
        Ok(())
    }
}

/// Folds `runs` into what `tx` (over `runs`, `search` and `meta`) holds; the records written.
///
/// Every stored record is asked for at once and every write goes out in one call: one wait each,
/// not three per run. Awaited one by one, each request's answer queued behind whatever the page
/// had to do meanwhile, and during a flood of short runs (hundreds a second) the writes fell
/// behind and their records piled up in memory.
pub(super) async fn merge_in(
    tx: &Transaction,
    runs: &[StoredRun],
    buried: Buried,
) -> Result<Vec<StoredRun>, StoreError> {
    let store = tx.store(RUNS)?;
    let meta = tx.store(META)?;
    let keys: Vec<JsValue> = runs.iter().map(|r| JsValue::from_str(&r.key)).collect();
    let (stored, any_buried) = join(
        asks::all(keys.iter().map(|k| asks::get(&store, k.clone())).collect()),
        async {
            match buried {
                Buried::StayOut => tombstones::any(&meta).await,
                Buried::Return => Ok(false),
            }
        },
    )
    .await;
    // A second wait only where the person ever removed a run.
    let removed = if any_buried? {
        let keys: Vec<String> = runs.iter().map(|r| r.key.clone()).collect();
        tombstones::tombs(&meta, &keys).await?
    } else {
        vec![None; runs.len()]
    };
    let mut written = Vec::new();
    let mut texts = Vec::new();
    let mut values = Vec::new();
    let mut alive = Vec::new();
    for ((run, stored), removed) in runs.iter().zip(stored).zip(removed) {
        match removed {
            // Removed after it ended: a prompt id never runs twice, so whatever arrives of it
            // now is a replay (a catch-up's start alone reads as running), and it stays out.
            Some(Tomb::Ended) => continue,
            // Removed while it ran: written again as it goes on (and its tombstone lifted, so
            // its end is written too); an end that arrives first stays out, as it always did.
            Some(Tomb::Going) if run.run.status.is_terminal() => continue,
            Some(Tomb::Going) => alive.push(run.key.as_str()),
            None => {}
        }
        let stored = stored?.and_then(codec::decode);
        let Some(merged) = run.merged_into(stored.as_ref()) else {
            continue;
        };
        values.push((codec::encode(&merged)?, None));
        if stored.is_none_or(|s| s.search != merged.search) {
            texts.push((merged.key.clone(), merged.search.clone()));
        }
        written.push(merged);
    }
    if !values.is_empty() {
        if let Err(e) = store.put_all(values.into_iter()).await {
            return Err(write_error(e.into()).await);
        }
        let keys: Vec<&str> = written.iter().map(|r| r.key.as_str()).collect();
        insight_touch::touch_all(&meta, &keys).await?;
    }
    if !alive.is_empty() {
        tombstones::lift(&meta, &alive).await?;
    }
    if let Err(e) = search_entries::write(tx, &texts).await {
        return Err(write_error(e).await);
    }
    Ok(written)
}
