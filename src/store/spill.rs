//! The store writer's overflow, so that a page IndexedDB cannot keep up with holds a bounded
//! number of runs in memory, whatever the flood.
//!
//! A merged write asks for every record it folds into, and each answer is a turn of the event
//! loop behind the socket's messages: on a page busy with a flood of short runs (the benchmark's
//! hundreds a second) a write of a few hundred runs took seconds, the runs noted meanwhile waited
//! in memory, and the wait grew with the flood. A spill writes such a backlog as `meta` entries
//! (`spill:<ms>:<chunk>:<random>`, each up to [`SPILL_CHUNK`] encoded records): puts with nothing
//! read, one wait. The writer folds the entries into `runs` one at a time, merged like any write,
//! when it has nothing else to write (`unspill`), and a page that went away first leaves them to
//! the next page's writer. Runs in a spill entry are in IndexedDB, not yet in the history's lists
//! and search; a clear takes the entries with it.

use super::codec::{self, field};
use super::conn::{finish, name_range, write_error};
use super::idb::{KeyRange, Store, TransactionMode};
use super::put_merged::merge_in;
use super::run_store::RunStore;
use super::schema::{META, RUNS, SEARCH};
use super::tombstones::Buried;
use super::StoreError;
use futures::future::join;
use std::future::Future;
use telemetry_core::history::StoredRun;
use wasm_bindgen::JsValue;

/// Records per spill entry: what one `unspill` folds in (and holds in memory) at most.
pub const SPILL_CHUNK: usize = 256;
const SPILL_FROM: &str = "spill:";
/// `;` follows `:`, so `[spill:, spill;)` holds exactly the spill entries.
const SPILL_TO: &str = "spill;";

fn spill_range() -> Result<KeyRange, StoreError> {
    name_range(SPILL_FROM, SPILL_TO)
}

/// `spill:<ms>:<chunk>:<random>`: entries fold in roughly in the order they were written (the
/// merge does not depend on it: a record only gains); the random part keeps two tabs' entries
/// of the same millisecond apart.
fn entry_name(now_ms: f64, chunk: usize) -> String {
    let random = (js_sys::Math::random() * 1e9) as u32;
    format!("{SPILL_FROM}{}:{chunk}:{random}", now_ms.max(0.0) as u64)
}

fn entry(name: &str, runs: Vec<StoredRun>) -> Result<JsValue, StoreError> {
    let records = codec::encode_all(runs)?;
    let obj = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&obj, &JsValue::from_str(k), v);
    set("name", &JsValue::from_str(name))
        .and_then(|_| set("runs", &records))
        .map_err(|_| StoreError::Failed("building a spill entry".to_owned()))?;
    Ok(obj.into())
}

impl RunStore {
    /// Writes `runs` as spill entries, reading nothing; they reach `runs` through `unspill`.
    /// The records are encoded before this returns, so they leave wasm memory before the put is
    /// answered.
    pub fn spill(&self, runs: Vec<StoredRun>) -> impl Future<Output = Result<(), StoreError>> {
        let now = js_sys::Date::now();
        let mut runs = runs.into_iter();
        let chunks = std::iter::from_fn(|| {
            let chunk: Vec<StoredRun> = runs.by_ref().take(SPILL_CHUNK).collect();
            (!chunk.is_empty()).then_some(chunk)
        });
        let values = chunks
            .enumerate()
            .map(|(i, chunk)| entry(&entry_name(now, i), chunk).map(|v| (v, None)))
            .collect::<Result<Vec<_>, _>>();
        let store = self.clone();
        async move {
            let values = values?;
            let (_conn, tx) = store.transaction_on(&[META], TransactionMode::ReadWrite)?;
            if let Err(e) = tx.store(META)?.put_all(values.into_iter()).await {
                return Err(write_error(e.into()).await);
            }
            finish(tx).await
        }
    }

    /// Folds the oldest spill entry into `runs` (merged, with its search and touch entries) and
    /// deletes it, in one transaction; how many records it wrote, or `None` when no entry is
    /// left. Records `skip` names (runs deleted on this page) are dropped.
    pub async fn unspill(
        &self,
        skip: impl Fn(&StoredRun) -> bool + 'static,
    ) -> Result<Option<usize>, StoreError> {
        // Asked first in a read-only transaction: every page's writer asks once at the start,
        // and almost always there is nothing; a read-write transaction over `runs` and
        // `search` would hold back the start-up's own writes (the history read, backfill)
        // until it ended.
        if !self.has_spill().await? {
            return Ok(None);
        }
        self.fold_oldest(&skip).await
    }

    /// The fold itself (see `unspill`).
    async fn fold_oldest(
        &self,
        skip: &dyn Fn(&StoredRun) -> bool,
    ) -> Result<Option<usize>, StoreError> {
        let (_conn, tx) = self.transaction_on(&[RUNS, SEARCH, META], TransactionMode::ReadWrite)?;
        let meta = tx.store(META)?;
        let Some(found) = meta.get_all(Some(spill_range()?), Some(1)).await?.pop() else {
            finish(tx).await?;
            return Ok(None);
        };
        let (name, records) = records_of(found, skip);
        let (deleted, written) =
            join(meta.delete(name), merge_in(&tx, &records, Buried::StayOut)).await;
        deleted?;
        let written = written?;
        finish(tx).await?;
        if let Some(hook) = self.insight_hook() {
            hook.written(self, &written);
        }
        Ok(Some(written.len()))
    }
}

impl RunStore {
    /// Whether any spill entry waits to be folded in.
    async fn has_spill(&self) -> Result<bool, StoreError> {
        let (_conn, tx) = self.transaction_on(&[META], TransactionMode::ReadOnly)?;
        Ok(tx.store(META)?.count(Some(spill_range()?)).await? > 0)
    }
}

/// Removes every spill entry (the store was cleared).
pub(super) async fn forget(meta: &Store) -> Result<(), StoreError> {
    meta.delete(spill_range()?.into()).await?;
    Ok(())
}

/// A spill entry's key and its records that still read, minus those `skip` names.
#[inline(never)]
fn records_of(entry: JsValue, skip: &dyn Fn(&StoredRun) -> bool) -> (JsValue, Vec<StoredRun>) {
    let records = field(&entry, "runs")
        .map(|v| js_sys::Array::from(&v))
        .map(|a| {
            a.iter()
                .filter_map(codec::decode)
                .filter(|r| !skip(r))
                .collect()
        })
        .unwrap_or_default();
    (field(&entry, "name").unwrap_or(JsValue::UNDEFINED), records)
}
