//! Free-text queries answered from the page's search texts (`search_index`): the keys found,
//! then only those records read, filtered and sorted on their flat fields. Reached only from
//! the history page, through the `TextSearch` object the store holds once search is turned on.

use super::asks;
use super::codec::{self, Matcher};
use super::idb::TransactionMode;
use super::plan::PageCursor;
use super::run_store::{Page, RunStore, TextSearch};
use super::schema::RUNS;
use super::search_index::{Found, SearchIndex};
use super::StoreError;
use futures::future::LocalBoxFuture;
use futures::FutureExt;
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::sort::sort_by;
use wasm_bindgen::JsValue;

impl RunStore {
    /// The stored records of these keys (those still there), in one read-only transaction.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<JsValue>, StoreError> {
        let (_conn, tx) = self.transaction(TransactionMode::ReadOnly)?;
        let store = tx.store(RUNS)?;
        let found = asks::all(
            keys.iter()
                .map(|k| asks::get(&store, JsValue::from_str(k)))
                .collect(),
        )
        .await;
        let mut values = Vec::with_capacity(found.len());
        for value in found {
            values.extend(value?);
        }
        Ok(values)
    }
}

impl SearchIndex {
    /// The runs whose search text contains the query's free text, their keys when at most
    /// `limit`; `None` without free text, or when the texts cannot be read (the scan then
    /// answers, slower but the same).
    async fn found(&self, store: &RunStore, query: &HistoryQuery, limit: u64) -> Option<Found> {
        let needle = query.search_needle()?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        self.matching(store.conn().ok()?, &needle, limit).await.ok()
    }

    /// A page from the few runs found: filtered and sorted on their flat fields, and only the
    /// page itself decoded whole.
    async fn page_of(
        &self,
        store: &RunStore,
        query: &HistoryQuery,
        after: Option<&PageCursor>,
        limit: usize,
    ) -> Result<Option<Page>, StoreError> {
        let most = store.sort_in_memory_limit();
        let Some(keys) = self.found(store, query, most).await.and_then(|f| f.keys) else {
            return Ok(None);
        };
        let mut matcher = Matcher::new(query);
        let mut found: Vec<(StoredRun, JsValue)> = store
            .get_many(&keys)
            .await?
            .into_iter()
            .filter_map(|v| matcher.accepted(&v).map(|flat| (flat, v)))
            .filter(|(flat, _)| after.is_none_or(|c| c.is_before(query, flat)))
            .collect();
        sort_by(&mut found, |a, b| query.compare(&a.0, &b.0));
        let mut runs = Vec::new();
        let mut more = false;
        for (_, value) in found {
            if runs.len() == limit {
                more = true;
                break;
            }
            runs.extend(codec::decode(value).filter(|r| query.matches(r)));
        }
        let next = if more {
            runs.last().map(|r| PageCursor::of(query, r))
        } else {
            None
        };
        Ok(Some(Page { runs, next }))
    }

    async fn count_of(
        &self,
        store: &RunStore,
        query: &HistoryQuery,
    ) -> Result<Option<u64>, StoreError> {
        let most = store.sort_in_memory_limit();
        let Some(found) = self.found(store, query, most).await else {
            return Ok(None);
        };
        if query.is_text_only() {
            return Ok(Some(found.count as u64));
        }
        let Some(keys) = found.keys else {
            return Ok(None);
        };
        let mut matcher = Matcher::new(query);
        let values = store.get_many(&keys).await?;
        Ok(Some(
            values.iter().filter(|v| matcher.accepts(v)).count() as u64
        ))
    }
}

impl TextSearch for SearchIndex {
    fn page<'a>(
        &'a self,
        store: &'a RunStore,
        query: &'a HistoryQuery,
        after: Option<&'a PageCursor>,
        limit: usize,
    ) -> LocalBoxFuture<'a, Result<Option<Page>, StoreError>> {
        self.page_of(store, query, after, limit).boxed_local()
    }

    fn count<'a>(
        &'a self,
        store: &'a RunStore,
        query: &'a HistoryQuery,
    ) -> LocalBoxFuture<'a, Result<Option<u64>, StoreError>> {
        self.count_of(store, query).boxed_local()
    }

    fn entries_read(&self) -> usize {
        SearchIndex::entries_read(self)
    }
}
