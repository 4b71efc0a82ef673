//! The history of past runs in IndexedDB.
//!
//! Nothing here loads the whole store: lists walk an index in chunks and stop once a page is
//! full, counts use index counts where the filters allow, and everything else streams.

use super::codec::{self, Matcher};
use super::conn::{bounds, closed, Bounds, Conn};
use super::estimate;
use super::idb::{Database, Direction, TransactionMode};
use super::page_fill::{Page, PageFill};
use super::plan::{self, direction, PageCursor, Range};
use super::schema::RUNS;
use super::InsightHook;
use super::{migrate, open, StoreError};
use futures::future::LocalBoxFuture;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use telemetry_core::history::{HistoryQuery, SortKey, StoredRun};

/// Largest read per cursor pass: big enough to amortise a transaction, small enough that a
/// sparse filter over 100 000 runs never holds more than this many records at once.
pub(super) const MAX_CHUNK: u32 = 500;
/// Below this many runs in the filters' range, a non-time sort loads the range and sorts it in
/// memory instead of walking the whole sort index.
const CANDIDATES: u64 = 2_000;
/// Keys handled per write transaction by delete, retention and `missing`.
pub(super) const KEYS_CHUNK: usize = 500;

/// Shared by every clone; the connection closes when the last clone goes (or on `close`).
#[derive(Clone)]
pub struct RunStore {
    inner: Rc<Inner>,
}

pub(super) struct Inner {
    name: String,
    conn: RefCell<Option<Rc<Conn>>>,
    candidates: Cell<u64>,
    /// Keys a key walk reads at first (`keys_toward`), when set: 0 reads none (the index walk
    /// answers); unset, the walk sizes its first read by how many runs match.
    first_keys: Cell<Option<u32>>,
    /// Keeps the insight aggregates current once a page that reads them installed it
    /// (`insight_touch`); until then writes only leave touch entries.
    insight: RefCell<Option<Rc<dyn InsightHook>>>,
    /// Free-text search through an index, once the history page turned it on
    /// (`enable_text_index`); until then text queries scan.
    text: RefCell<Option<Rc<dyn TextSearch>>>,
}

/// Answers a query with free text from an index instead of a scan. A trait object, so that the
/// index (and its backfill) is compiled into the pages that turn it on and no other path reaches
/// it: the live page's writes only keep the search store current (`search_entries`).
pub(super) trait TextSearch {
    /// The page, or `None` when the query has no free text or the index cannot answer it well
    /// (too many matches, or unreadable): the scan then answers, slower but the same.
    fn page<'a>(
        &'a self,
        store: &'a RunStore,
        query: &'a HistoryQuery,
        after: Option<&'a PageCursor>,
        limit: usize,
    ) -> LocalBoxFuture<'a, Result<Option<Page>, StoreError>>;

    /// The count, or `None` as for `page`.
    fn count<'a>(
        &'a self,
        store: &'a RunStore,
        query: &'a HistoryQuery,
    ) -> LocalBoxFuture<'a, Result<Option<u64>, StoreError>>;

    /// Entries the index read from the search store so far (tests and benchmarks).
    fn entries_read(&self) -> usize;
}

impl RunStore {
    pub const DB_NAME: &'static str = "comfy-dashboard";

    pub async fn open() -> Result<RunStore, StoreError> {
        RunStore::open_named(Self::DB_NAME).await
    }

    /// Upgrades the layout if needed, opens, then rewrites records older than the current
    /// record version (see `migrate`). Errors of the data pass are returned: records are only
    /// ever rewritten whole, so a failed pass leaves them as they were and the next open retries.
    pub async fn open_named(name: &str) -> Result<RunStore, StoreError> {
        let db = Database::from(open::open(name).await?);
        let store = RunStore {
            inner: Rc::new(Inner {
                name: name.to_owned(),
                conn: RefCell::new(Some(Rc::new(Conn(Some(db))))),
                candidates: Cell::new(CANDIDATES),
                first_keys: Cell::new(None),
                insight: RefCell::new(None),
                text: RefCell::new(None),
            }),
        };
        migrate::migrate(store.conn()?).await?;
        Ok(store)
    }

    /// How many runs a duration or status sort may load to sort in memory (default 2000);
    /// tests lower it to 0 to exercise the index walk on small data.
    #[doc(hidden)]
    pub fn set_sort_in_memory_limit(&self, runs: u64) {
        self.inner.candidates.set(runs);
    }

    /// How many keys a key walk reads at first (each further read asks for four times as
    /// many); `Some(0)` reads none, as browsers that cannot read keys backwards at once (the
    /// index walk reading records answers); `None` (the default) sizes the first read by how
    /// many runs match. Tests set it to cross reads on small data.
    #[doc(hidden)]
    pub fn set_first_keys(&self, keys: Option<u32>) {
        self.inner.first_keys.set(keys);
    }

    pub(super) fn first_keys(&self) -> Option<u32> {
        self.inner.first_keys.get()
    }

    pub(super) fn sort_in_memory_limit(&self) -> u64 {
        self.inner.candidates.get()
    }

    /// Turns on indexed text search for every clone of this store; whether this call did
    /// (later calls keep the index built so far).
    pub(super) fn set_text_search(&self, make: impl FnOnce() -> Rc<dyn TextSearch>) -> bool {
        let mut text = self.inner.text.borrow_mut();
        let fresh = text.is_none();
        if fresh {
            *text = Some(make());
        }
        fresh
    }

    /// How many search entries this page's text index read so far (`None` before
    /// `enable_text_index`): a deletion adds one marker, not every entry.
    #[doc(hidden)]
    pub fn text_index_entries_read(&self) -> Option<usize> {
        self.text_search().map(|t| t.entries_read())
    }

    fn text_search(&self) -> Option<Rc<dyn TextSearch>> {
        self.inner.text.borrow().clone()
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub(super) fn conn(&self) -> Result<Rc<Conn>, StoreError> {
        self.inner.conn.borrow().clone().ok_or_else(closed)
    }

    pub(super) fn transaction(
        &self,
        mode: TransactionMode,
    ) -> Result<(Rc<Conn>, super::idb::Transaction), StoreError> {
        self.transaction_on(&[RUNS], mode)
    }

    pub(super) fn transaction_on(
        &self,
        stores: &[&str],
        mode: TransactionMode,
    ) -> Result<(Rc<Conn>, super::idb::Transaction), StoreError> {
        let conn = self.conn()?;
        let tx = conn.db()?.transaction(stores, mode)?;
        Ok((conn, tx))
    }

    /// The insight hook, installing `make()` first when there is none (for every clone).
    pub(super) fn set_insight_hook(
        &self,
        make: impl FnOnce() -> Rc<dyn InsightHook>,
    ) -> Rc<dyn InsightHook> {
        self.inner
            .insight
            .borrow_mut()
            .get_or_insert_with(make)
            .clone()
    }

    pub(super) fn insight_hook(&self) -> Option<Rc<dyn InsightHook>> {
        self.inner.insight.borrow().clone()
    }

    pub(super) fn downgrade(&self) -> Weak<Inner> {
        Rc::downgrade(&self.inner)
    }

    pub(super) fn upgrade(weak: &Weak<Inner>) -> Option<RunStore> {
        weak.upgrade().map(|inner| RunStore { inner })
    }

    /// Up to `limit` matching runs in the query's order, strictly after `after`.
    pub async fn page(
        &self,
        query: &HistoryQuery,
        after: Option<&PageCursor>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        if limit == 0 {
            return Ok(Page {
                runs: Vec::new(),
                next: after.cloned(),
            });
        }
        if let Some(text) = self.text_search() {
            if let Some(page) = text.page(self, query, after, limit).await? {
                return Ok(page);
            }
        }
        let walk = plan::sort_range(query);
        if query.sort != SortKey::StartTime && !walk.is_narrow() && !query.is_empty() {
            let filter = plan::filter_range(query);
            let most = self.inner.candidates.get();
            if filter.is_narrow() && self.count_range(&filter).await? <= most {
                return self.page_in_memory(query, &filter, after, limit).await;
            }
        }
        let resume = after.map(|c| walk.key_of(c));
        let first_chunk = u32::try_from(limit + 1).unwrap_or(MAX_CHUNK);
        let mut page = PageFill::new(query, limit);
        let mut more = false;
        self.walk(&walk, direction(query), resume, first_chunk, |value| {
            more = page.take_one(value);
            !more
        })
        .await?;
        Ok(page.done(more))
    }

    /// For a duration or status sort with a selective filter: the filters' range is small, so
    /// reading it beats walking the whole sort index for a few matches.
    async fn page_in_memory(
        &self,
        query: &HistoryQuery,
        filter: &Range,
        after: Option<&PageCursor>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let mut runs = Vec::new();
        let mut matcher = Matcher::new(query);
        self.walk(filter, Direction::Next, None, MAX_CHUNK, |value| {
            if matcher.accepts(&value) {
                if let Some(run) = codec::decode(value) {
                    if query.matches(&run) && after.is_none_or(|c| c.is_before(query, &run)) {
                        runs.push(run);
                    }
                }
            }
            true
        })
        .await?;
        telemetry_core::sort::sort_by(&mut runs, |a, b| query.compare(a, b));
        let more = runs.len() > limit;
        runs.truncate(limit);
        let next = if more {
            runs.last().map(|r| PageCursor::of(query, r))
        } else {
            None
        };
        Ok(Page { runs, next })
    }

    pub async fn count(&self, query: &HistoryQuery) -> Result<u64, StoreError> {
        if query.is_empty() {
            let (_conn, tx) = self.transaction(TransactionMode::ReadOnly)?;
            return Ok(tx.store(RUNS)?.count(None).await? as u64);
        }
        if let Some(text) = self.text_search() {
            if let Some(n) = text.count(self, query).await? {
                return Ok(n);
            }
        }
        let filter = plan::filter_range(query);
        if filter.exact {
            return self.count_range(&filter).await;
        }
        let mut n = 0;
        let mut matcher = Matcher::new(query);
        self.walk(&filter, Direction::Next, None, MAX_CHUNK, |value| {
            if matcher.accepts(&value) {
                n += 1;
            }
            true
        })
        .await?;
        Ok(n)
    }

    async fn count_range(&self, range: &Range) -> Result<u64, StoreError> {
        let key_range = match bounds(range.lower(), range.upper()) {
            Bounds::Empty => return Ok(0),
            Bounds::All => None,
            Bounds::Range(r) => Some(r),
        };
        let (_conn, tx) = self.transaction(TransactionMode::ReadOnly)?;
        Ok(tx.store(RUNS)?.index(range.index)?.count(key_range).await? as u64)
    }

    /// Every matching run in list order, a page at a time; returns how many. Only one page is
    /// in memory at once, so exports and statistics work at any store size.
    pub async fn for_each_matching(
        &self,
        query: &HistoryQuery,
        mut f: impl FnMut(&StoredRun),
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        let mut after: Option<PageCursor> = None;
        loop {
            let page = self.page(query, after.as_ref(), MAX_CHUNK as usize).await?;
            for run in &page.runs {
                f(run);
            }
            n += page.runs.len() as u64;
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(n),
            }
        }
    }

    pub async fn estimate() -> Option<(f64, f64)> {
        estimate::estimate().await
    }

    /// Lets other tabs upgrade or delete the database right away; later calls fail with
    /// `Failed`. Reads already under way finish first.
    pub fn close(&self) {
        self.inner.conn.borrow_mut().take();
    }
}
