//! Free-text queries answered from the page's search texts (`search_index`): the keys found,
//! then only those records read, filtered and sorted on their flat fields. A needle found in
//! more runs than that walks the sort index's keys instead, in the list's order, and reads only
//! the runs whose text holds it. Reached only from the history page, through the `TextSearch`
//! object the store holds once search is turned on.

use super::asks;
use super::codec::Matcher;
use super::idb::TransactionMode;
use super::page_fill::{Page, PageFill};
use super::plan::{self, direction, PageCursor};
use super::run_store::{RunStore, TextSearch};
use super::schema::RUNS;
use super::search_index::{Found, SearchIndex};
use super::StoreError;
use futures::future::LocalBoxFuture;
use futures::FutureExt;
use telemetry_core::history::key_resume::KeyResume;
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
        let Some(found) = self.found(store, query, most).await else {
            return Ok(None);
        };
        let Some(keys) = found.keys else {
            // Enough keys that the page's runs are likely among them: a page at the matches'
            // share of the runs, three times over (they bunch: `42` is in one run of 25, one of
            // 50 among the newest). A key costs ~5 µs read backwards in Chromium.
            let share = found.total / found.count.max(1);
            let first = (limit + 1)
                .saturating_mul(share)
                .saturating_mul(3)
                .clamp(64, 1 << 20);
            let first = store.first_keys().unwrap_or(first as u32);
            return self.page_by_walk(store, query, after, limit, first).await;
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
        let mut page = PageFill::new(query, limit);
        let more = page.take(found.into_iter().map(|(_, v)| v).collect());
        Ok(Some(page.done(more)))
    }

    /// A page of a needle found in too many runs to read and sort them all (`42` is in 3 970 of
    /// 100 000): the sort index's keys are read in the list's order, and only the runs whose
    /// text holds the needle are read, a page's worth at a time, then filtered as the scan
    /// filters. Reading every record on the way instead cost 140 ms for that first page.
    ///
    /// The keys come in one read of a growing count (`keys_toward`, four times as many each
    /// time), each read again from the page's start; the walk goes on after the last key it
    /// looked at, found again by its value (`KeyResume`: another tab's deletion between two
    /// reads would otherwise skip a key). `None` in a browser that cannot read keys backwards in
    /// one read, or when `first` is 0 (tests of that browser): the index walk reading every
    /// record answers, as before.
    async fn page_by_walk(
        &self,
        store: &RunStore,
        query: &HistoryQuery,
        after: Option<&PageCursor>,
        limit: usize,
        first: u32,
    ) -> Result<Option<Page>, StoreError> {
        if first == 0 {
            return Ok(None);
        }
        let needle = query.search_needle().unwrap_or_default();
        let walk = plan::sort_range(query);
        let dir = direction(query);
        let start = after.map(|c| walk.key_of(c));
        let mut page = PageFill::new(query, limit);
        let mut place = KeyResume::new();
        let mut count = first;
        loop {
            let Some(keys) = store.keys_toward(&walk, dir, start.as_ref(), count).await? else {
                return Ok(None);
            };
            let ended = keys.len() < count as usize;
            let from = place.resume(keys.len(), &|i| keys.get(i).and_then(JsValue::as_string));
            let mut fresh = keys.into_iter().skip(from).peekable();
            while fresh.peek().is_some() {
                let mut batch = Vec::new();
                {
                    let texts = self.texts().await;
                    for key in fresh.by_ref() {
                        let key = key.as_string();
                        place.pass(key.as_deref());
                        let Some(key) = key else { continue };
                        // The text first: only the few matches are checked against the page.
                        if texts.text_of(&key).is_some_and(|t| t.contains(&*needle))
                            && page.wants(&key)
                        {
                            batch.push(key);
                            if batch.len() == page.missing() {
                                break;
                            }
                        }
                    }
                }
                if !batch.is_empty() && page.take(store.get_many(&batch).await?) {
                    return Ok(Some(page.done(true)));
                }
            }
            if ended {
                return Ok(Some(page.done(false)));
            }
            count = count.saturating_mul(4);
        }
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
