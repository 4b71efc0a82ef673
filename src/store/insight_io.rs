//! The run store's side of the insight aggregates: loading them (snapshot + touch log, or one
//! rebuild from the runs), reading them, and saving the snapshot a while after writes. The
//! bookkeeping itself is in `insight_book`.
//!
//! Only the pages that show findings reach this module: their first read installs the book as
//! the store's `InsightHook` (`insight_touch`), so from then on this tab's writes also update
//! the aggregates in memory, and a save follows.

use super::codec;
use super::idb::TransactionMode;
use super::insight_book::{self, InsightBook, SAVE_AFTER_MS};
use super::run_store::RunStore;
use super::schema::{META, RUNS};
use super::InsightHook;
use super::StoreError;
use gloo_timers::callback::Timeout;
use std::rc::Rc;
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::insight::InsightAggregates;
use wasm_bindgen::JsValue;

const STORES: &[&str] = &[RUNS, META];

impl InsightHook for InsightBook {
    fn written(&self, store: &RunStore, runs: &[StoredRun]) {
        for run in runs {
            self.put(&codec::normalize(run.clone()));
        }
        store.insight_changed(self);
    }

    fn removed(&self, store: &RunStore, keys: &[String]) {
        for key in keys {
            self.remove(key);
        }
        store.insight_changed(self);
    }

    fn cleared(&self, store: &RunStore) {
        self.clear();
        store.insight_changed(self);
    }

    fn book(&self) -> &InsightBook {
        self
    }
}

/// How the aggregates were obtained by the last load (a diagnostic, and what the benchmark
/// reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsightLoad {
    /// Already in memory.
    Memory,
    /// From the stored snapshot and its touch log.
    Snapshot,
    /// Rebuilt from every stored run (no usable snapshot).
    Rebuilt,
}

impl RunStore {
    /// Runs `f` on the aggregates, loading them first if needed.
    pub async fn with_insight<T>(
        &self,
        f: impl FnOnce(&InsightAggregates) -> T,
    ) -> Result<T, StoreError> {
        self.load_insight().await?;
        self.insight()
            .book()
            .with(f)
            .ok_or_else(|| StoreError::Failed("the insight aggregates did not load".to_owned()))
    }

    /// Brings the aggregates into memory; says where they came from.
    pub async fn load_insight(&self) -> Result<InsightLoad, StoreError> {
        let hook = self.insight();
        let book = hook.book();
        if !book.claim().await? {
            return Ok(InsightLoad::Memory);
        }
        let loaded = self.read_insight().await;
        match loaded {
            Ok((aggregates, how, covered, touches)) => {
                book.install(Some(aggregates));
                if how == InsightLoad::Rebuilt {
                    book.mark_dirty();
                    self.write_insight(book, covered).await?;
                } else if touches > 0 {
                    // Folds the log into the snapshot a while later, so the next load reads
                    // fewer runs.
                    book.mark_dirty();
                    self.insight_changed(book);
                }
                Ok(how)
            }
            Err(e) => {
                book.install(None);
                Err(e)
            }
        }
    }

    /// The book, installed as this store's hook on first use (for every clone).
    fn insight(&self) -> Rc<dyn InsightHook> {
        self.set_insight_hook(|| Rc::new(InsightBook::default()))
    }

    /// The aggregates, where they came from, the touch entries a rebuild covered (it read
    /// every run after they were written) and how many touch entries a snapshot load applied.
    async fn read_insight(
        &self,
    ) -> Result<(InsightAggregates, InsightLoad, Vec<JsValue>, usize), StoreError> {
        let covered = {
            let (_conn, tx) = self.transaction_on(STORES, TransactionMode::ReadOnly)?;
            let meta = tx.store(META)?;
            let snapshot = insight_book::read_snapshot(&meta, &tx.store(RUNS)?).await?;
            if let Some((a, touches)) = snapshot {
                return Ok((a, InsightLoad::Snapshot, Vec::new(), touches));
            }
            insight_book::touch_keys(&meta).await?
        };
        let mut aggregates = InsightAggregates::new();
        let mut visit = |run: &StoredRun| aggregates.add(run);
        // Through `dyn`, as the pages call it: one copy of the store walk (bytes, issue #22).
        self.for_each_matching(
            &HistoryQuery::default(),
            &mut visit as &mut dyn FnMut(&StoredRun),
        )
        .await?;
        Ok((aggregates, InsightLoad::Rebuilt, covered, 0))
    }

    /// Writes the snapshot now when anything changed since the last one.
    pub async fn save_insight(&self) -> Result<(), StoreError> {
        let hook = self.insight();
        self.write_insight(hook.book(), Vec::new()).await
    }

    async fn write_insight(
        &self,
        book: &InsightBook,
        covered: Vec<JsValue>,
    ) -> Result<(), StoreError> {
        if !book.is_loaded() || !book.take_dirty() {
            return Ok(());
        }
        let (_conn, tx) = self.transaction_on(STORES, TransactionMode::ReadWrite)?;
        let result =
            insight_book::write_snapshot(book, &tx.store(META)?, &tx.store(RUNS)?, covered).await;
        if let Err(e) = result {
            book.mark_dirty();
            return Err(e);
        }
        let done = super::conn::finish(tx).await;
        if done.is_err() {
            book.mark_dirty();
        }
        done
    }

    /// Saves the snapshot `SAVE_AFTER_MS` after the first unsaved change (only when loaded:
    /// otherwise the touch log alone records the change).
    fn insight_changed(&self, book: &InsightBook) {
        if !book.is_loaded() || !book.schedule_save() {
            return;
        }
        let weak = self.downgrade();
        Timeout::new(SAVE_AFTER_MS, move || {
            let Some(store) = RunStore::upgrade(&weak) else {
                return;
            };
            store.insight().book().save_started();
            wasm_bindgen_futures::spawn_local(async move {
                // A failed save leaves the touch log in place: the next load still sees every
                // write, so there is nothing to tell the person.
                let _ = store.save_insight().await;
            });
        })
        .forget();
    }
}
