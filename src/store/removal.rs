//! Taking runs out of the store: by key (the history tab's delete), all of them (clear), and by
//! the retention rules (keep the last N runs and/or N days). Each takes the runs' search
//! entries with them in the same transaction (`search_entries::forget`), and leave an insight
//! touch entry and a tombstone in `meta` there too (`insight_touch`, `tombstones`: a removed
//! run is not added back from ComfyUI's history).

use super::asks;
use super::conn::finish;
use super::idb::{KeyRange, Store, TransactionMode};
use super::insight_touch;
use super::run_store::{RunStore, KEYS_CHUNK};
use super::schema::{META, RUNS, SEARCH};
use super::search_entries;
use super::spill;
use super::tombstones::{self, MAX_TOMBSTONES};
use super::StoreError;
use telemetry_core::str_map::StrSet;
use telemetry_core::RunStatus;
use wasm_bindgen::JsValue;

impl RunStore {
    pub async fn delete(&self, keys: &[String]) -> Result<(), StoreError> {
        for chunk in keys.chunks(KEYS_CHUNK) {
            let (_conn, tx) =
                self.transaction_on(&[RUNS, SEARCH, META], TransactionMode::ReadWrite)?;
            let store = tx.store(RUNS)?;
            let keys: Vec<JsValue> = chunk.iter().map(|k| JsValue::from_str(k)).collect();
            // Which were still going, read in the same transaction (their tombstones say so).
            let stored =
                asks::all(keys.iter().map(|k| asks::get(&store, k.clone())).collect()).await;
            let mut going = StrSet::new();
            for (key, record) in chunk.iter().zip(stored) {
                if record?.is_some_and(|r| tombstones::still_going(&r)) {
                    going.insert(key.as_str());
                }
            }
            asks::delete_all(&store, keys.iter().cloned()).await?;
            search_entries::forget(&tx, &keys).await?;
            let keys: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let meta = tx.store(META)?;
            insight_touch::touch_all(&meta, &keys).await?;
            tombstones::bury(&meta, chunk, |k| going.contains(k), js_sys::Date::now()).await?;
            finish(tx).await?;
            if let Some(hook) = self.insight_hook() {
                hook.removed(self, chunk);
            }
        }
        Ok(())
    }

    pub async fn clear(&self) -> Result<(), StoreError> {
        let (_conn, tx) = self.transaction_on(&[RUNS, SEARCH, META], TransactionMode::ReadWrite)?;
        let runs = tx.store(RUNS)?;
        let meta = tx.store(META)?;
        // Oldest first by start time: the newest are those ComfyUI's history may still list.
        let keys = runs.index("start_ms")?.get_all_keys(None, None).await?;
        let newest = &keys[keys.len().saturating_sub(MAX_TOMBSTONES as usize)..];
        let keys: Vec<String> = newest.iter().filter_map(JsValue::as_string).collect();
        let going = going_keys(&runs).await?;
        runs.clear().await?;
        search_entries::forget_all(&tx).await?;
        insight_touch::forget(&meta).await?;
        spill::forget(&meta).await?;
        tombstones::bury(&meta, &keys, |k| going.contains(k), js_sys::Date::now()).await?;
        finish(tx).await?;
        if let Some(hook) = self.insight_hook() {
            hook.cleared(self);
        }
        Ok(())
    }

    /// Deletes runs that started before `now_ms - keep_days`, then the oldest beyond
    /// `keep_last`; returns how many went. Each rule runs in one read-write transaction (keys
    /// fetched a chunk at a time), so two tabs applying retention at once cannot delete twice
    /// the excess, and the store is counted once, not per chunk (a count walks the index).
    pub async fn apply_retention(
        &self,
        keep_last: Option<u32>,
        keep_days: Option<u32>,
        now_ms: f64,
    ) -> Result<u32, StoreError> {
        let mut deleted = 0u32;
        if let Some(days) = keep_days {
            let cutoff = now_ms - f64::from(days) * 86_400_000.0;
            // `[cutoff]` sorts before every `[cutoff, key]` and after every `[earlier, key]`.
            let before = js_sys::Array::of1(&JsValue::from_f64(cutoff));
            deleted += self.delete_oldest(Some(before.into()), None).await?;
        }
        if let Some(keep) = keep_last {
            deleted += self.delete_oldest(None, Some(keep)).await?;
        }
        Ok(deleted)
    }

    /// Deletes the oldest runs starting before `before` (an exclusive `start_ms` index key),
    /// or, with `keep`, as many as exceed it.
    async fn delete_oldest(
        &self,
        before: Option<JsValue>,
        keep: Option<u32>,
    ) -> Result<u32, StoreError> {
        let (_conn, tx) = self.transaction_on(&[RUNS, SEARCH, META], TransactionMode::ReadWrite)?;
        let store = tx.store(RUNS)?;
        let meta = tx.store(META)?;
        let index = store.index("start_ms")?;
        let mut gone: Vec<String> = Vec::new();
        let mut left = match keep {
            Some(keep) => store.count(None).await?.saturating_sub(keep),
            None => u32::MAX,
        };
        let mut deleted = 0u32;
        while left > 0 {
            let range = match &before {
                Some(b) => Some(KeyRange::upper_bound(b, Some(true))?),
                None => None,
            };
            let want = left.min(KEYS_CHUNK as u32);
            let keys = index.get_all_keys(range, Some(want)).await?;
            asks::delete_all(&store, keys.iter().cloned()).await?;
            if !keys.is_empty() {
                search_entries::forget(&tx, &keys).await?;
            }
            let names: Vec<String> = keys.iter().filter_map(JsValue::as_string).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            insight_touch::touch_all(&meta, &refs).await?;
            gone.extend(names);
            let n = keys.len() as u32;
            deleted += n;
            left -= n;
            if n < want {
                break;
            }
        }
        // The oldest runs: ended long ago (the newest run, the one that may still go, is never
        // the oldest beyond a kept count or a number of days).
        tombstones::bury(&meta, &gone, |_| false, js_sys::Date::now()).await?;
        finish(tx).await?;
        if let (Some(hook), false) = (self.insight_hook(), gone.is_empty()) {
            hook.removed(self, &gone);
        }
        Ok(deleted)
    }
}

/// The keys of the runs whose stored status is not terminal yet (`RunStatus::is_terminal`
/// decides which statuses those are), from the `status` index (`[status, start_ms, key]`):
/// `[status]` sorts before and `[status, []]` after every key of that status.
async fn going_keys(runs: &Store) -> Result<StrSet, StoreError> {
    let index = runs.index("status")?;
    let mut keys = StrSet::new();
    for status in RunStatus::ALL.into_iter().filter(|s| !s.is_terminal()) {
        let name = JsValue::from_str(status.as_str());
        let from = js_sys::Array::of1(&name);
        let to = js_sys::Array::of2(&name, &js_sys::Array::new());
        let range = KeyRange::bound(&from, &to, Some(false), Some(false))?;
        let found = index.get_all_keys(Some(range), None).await?;
        keys.extend(found.iter().filter_map(JsValue::as_string));
    }
    Ok(keys)
}
