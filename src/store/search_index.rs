//! Free-text search without reading every record.
//!
//! Reading 100 000 whole records takes seconds, most of it IndexedDB handing over records (a
//! run with its nodes is kilobytes). So a page keeps the `search` store's small entries
//! (`search_entries`) in memory, every run's search text in one arena
//! (`telemetry_core::history::TextArena`), and answers free text with the scan's own `contains`
//! over them: the same results as the scan by construction. It loads them in the background as
//! soon as the history list turns search on (`RunStore::enable_text_index`): the texts the
//! last history page stored in one piece (`search_snapshot`), then the entries written since,
//! by any tab; before each search it reads the entries written since again (usually none). Why
//! not an index in IndexedDB: a posting list per trigram would be rewritten on every progress
//! write of every run, or, as a multi-entry index, cost ~60 index rows per run on disk and on
//! every write; the texts cost one small row.
//!
//! Only the history page reaches this module (through the `TextSearch` trait object the store
//! holds once turned on): the live page's writes go through `search_entries` alone. Records
//! written before the search store existed are copied in once (`backfill`), on the first build.

use super::asks;
use super::codec::{self, Matcher};
use super::conn::Conn;
use super::plan::PageCursor;
use super::run_store::{Page, RunStore, TextSearch};
use super::schema::{META, RUNS, SEARCH, SEARCH_KEY, SEARCH_READY as READY, SEQ_INDEX};
use super::search_backfill::backfill;
use super::search_entries::{meta_number, EPOCH};
use super::search_snapshot;
use super::StoreError;
use futures::future::LocalBoxFuture;
use futures::lock::Mutex;
use futures::FutureExt;
use rexie::{Direction, KeyRange, Rexie, TransactionMode};
use serde::Deserialize;
use std::rc::{Rc, Weak};
use telemetry_core::history::{HistoryQuery, StoredRun, TextArena};
use telemetry_core::sort::sort_by;
use wasm_bindgen::JsValue;

/// Search entries read per step of a build or catch-up (one read-only transaction each).
const BUILD_CHUNK: u32 = 5_000;
/// Entries read since the stored snapshot above which the history page writes a new one.
const SNAPSHOT_AFTER: usize = 2_000;

/// One entry as `JSON.stringify` gives it back.
#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    k: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    t: std::borrow::Cow<'a, str>,
    s: f64,
}

#[derive(Default)]
struct State {
    texts: TextArena,
    /// Highest seq applied.
    seq: f64,
    /// The epoch the texts were read under; `None` before the first build.
    epoch: Option<f64>,
    ready: bool,
    /// Whether the stored snapshot was tried (once per page).
    tried_snapshot: bool,
    /// Entries read since the stored snapshot (or since none).
    unsaved: usize,
}

/// What a search found: how many runs, and their keys when they are at most the limit asked.
struct Found {
    count: usize,
    keys: Option<Vec<String>>,
}

/// A page's search texts from the search store, shared by every clone of the `RunStore`.
/// Searches take turns (an async lock), so two catch-ups never apply entries out of order.
struct SearchIndex {
    state: Mutex<State>,
    /// Itself, for the snapshot written after a search (`save_later`).
    me: Weak<SearchIndex>,
}

impl SearchIndex {
    fn new() -> Rc<SearchIndex> {
        Rc::new_cyclic(|me| SearchIndex {
            state: Mutex::new(State::default()),
            me: me.clone(),
        })
    }

    /// The runs whose search text contains `needle` (lower-cased, as
    /// `HistoryQuery::search_needle` gives it): exactly those a scan of the records finds.
    async fn matching(
        &self,
        conn: Rc<Conn>,
        needle: &str,
        limit: usize,
    ) -> Result<Found, StoreError> {
        let mut state = self.state.lock().await;
        catch_up(&mut state, conn.db()?).await?;
        let mut keys = Vec::new();
        let count = state.texts.matching(needle, |k| {
            if keys.len() <= limit {
                keys.push(k.to_owned());
            }
        });
        if state.unsaved >= SNAPSHOT_AFTER {
            self.save_later(conn);
        }
        Ok(Found {
            count,
            keys: (count <= limit).then_some(keys),
        })
    }

    /// Loads or catches up the texts without searching: the history page starts this when it
    /// opens, so the first search finds the texts (mostly) loaded.
    async fn warm(&self, db: &Rexie) -> Result<(), StoreError> {
        catch_up(&mut *self.state.lock().await, db).await?;
        self.save(db).await
    }

    /// `save`, once the search that asked for it has answered.
    fn save_later(&self, conn: Rc<Conn>) {
        let me = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let (Some(me), Ok(db)) = (me.upgrade(), conn.db()) {
                // Not saved is only slower: the next page load reads the entries instead.
                let _ = me.save(db).await;
            }
        });
    }

    /// Stores the texts in one piece when many were read entry by entry since the stored
    /// snapshot, so the next page load reads them at once (`search_snapshot`).
    async fn save(&self, db: &Rexie) -> Result<(), StoreError> {
        let (parts, seq, epoch) = {
            let mut state = self.state.lock().await;
            match state.epoch {
                Some(epoch) if state.unsaved >= SNAPSHOT_AFTER => {
                    state.unsaved = 0;
                    (state.texts.snapshot(), state.seq, epoch)
                }
                _ => return Ok(()),
            }
        };
        search_snapshot::write(db, parts, seq, epoch).await
    }
}

/// Backfills once if needed, loads the stored snapshot once, then applies the entries written
/// since the last call (any tab's), `BUILD_CHUNK` at a time in seq order, one read-only
/// transaction each: reading 100 000 entries then never holds the page for more than a
/// chunk's worth. An epoch that moved (a deletion) reads everything again, also mid-build.
async fn catch_up(state: &mut State, db: &Rexie) -> Result<(), StoreError> {
    if !state.ready {
        if meta_number(read_meta(db, READY).await?) < 1.0 {
            backfill(db).await?;
        }
        state.ready = true;
    }
    if !state.tried_snapshot {
        state.tried_snapshot = true;
        // An unreadable snapshot is only slower: every entry is read instead.
        if let Ok(Some(snap)) = search_snapshot::read(db).await {
            state.texts = snap.texts;
            state.seq = snap.seq;
            state.epoch = Some(snap.epoch);
            state.unsaved = 0;
        }
    }
    let mut read_here = 0;
    loop {
        let tx = db.transaction(&[SEARCH, META], TransactionMode::ReadOnly)?;
        let epoch = meta_number(tx.store(META)?.get(JsValue::from_str(EPOCH)).await?);
        if state.epoch != Some(epoch) {
            drop(tx);
            read_here += read_all(state, db).await?;
            continue;
        }
        let after = KeyRange::lower_bound(&JsValue::from_f64(state.seq), Some(true))
            .map_err(rexie::Error::from)?;
        let values = tx
            .store(SEARCH)?
            .index(SEQ_INDEX)?
            .get_all(Some(after), Some(BUILD_CHUNK))
            .await?;
        drop(tx);
        let read = values.len();
        apply(state, values)?;
        state.unsaved += read;
        read_here += read;
        if (read as u32) < BUILD_CHUNK {
            break;
        }
    }
    if read_here >= BUILD_CHUNK as usize {
        // A build grows the arena by doubling; give the rest back once.
        state.texts.shrink_to_fit();
    }
    Ok(())
}

/// Reads every entry afresh, in key order, `BUILD_CHUNK` per read-only transaction: IndexedDB
/// hands a store over in key order faster than through the `seq` index (which looks each
/// record up by its key). Entries written meanwhile may be missed by the key order, so this
/// leaves `seq` at the highest seq there was when it began: the catch-up after it reads every
/// entry written since again (the same text again changes nothing). A deletion meanwhile (the
/// epoch moved) starts it over. Returns how many entries it read.
async fn read_all(state: &mut State, db: &Rexie) -> Result<usize, StoreError> {
    let mut read_here = 0;
    'fresh: loop {
        state.texts.clear();
        state.unsaved = 0;
        let mut from: Option<(f64, f64)> = None;
        let mut after: Option<JsValue> = None;
        loop {
            let tx = db.transaction(&[SEARCH, META], TransactionMode::ReadOnly)?;
            let epoch = meta_number(tx.store(META)?.get(JsValue::from_str(EPOCH)).await?);
            let store = tx.store(SEARCH)?;
            let (began, seq) = match from {
                Some(f) => f,
                None => {
                    let top = store
                        .index(SEQ_INDEX)?
                        .scan(None, Some(1), None, Some(Direction::Prev))
                        .await?;
                    let seq = top.first().and_then(|(k, _)| k.as_f64()).unwrap_or(0.0);
                    *from.insert((epoch, seq))
                }
            };
            if epoch != began {
                continue 'fresh;
            }
            let range = match &after {
                Some(k) => Some(KeyRange::lower_bound(k, Some(true)).map_err(rexie::Error::from)?),
                None => None,
            };
            let values = store.get_all(range, Some(BUILD_CHUNK)).await?;
            drop(tx);
            let read = values.len();
            after = values
                .last()
                .and_then(|v| js_sys::Reflect::get(v, &JsValue::from_str(SEARCH_KEY)).ok());
            apply(state, values)?;
            state.unsaved += read;
            read_here += read;
            if (read as u32) < BUILD_CHUNK {
                state.epoch = Some(began);
                state.seq = seq;
                return Ok(read_here);
            }
        }
    }
}

async fn read_meta(db: &Rexie, name: &str) -> Result<Option<JsValue>, StoreError> {
    let tx = db.transaction(&[META], TransactionMode::ReadOnly)?;
    Ok(tx.store(META)?.get(JsValue::from_str(name)).await?)
}

/// Entries cross as one JSON text: one call into JavaScript for all of them instead of three
/// property reads per entry.
fn apply(state: &mut State, values: Vec<JsValue>) -> Result<(), StoreError> {
    if values.is_empty() {
        return Ok(());
    }
    let array: js_sys::Array = values.into_iter().collect();
    let text = js_sys::JSON::stringify(&array)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| StoreError::Failed("reading the search store".to_owned()))?;
    let entries: Vec<Entry<'_>> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Failed(format!("reading the search store: {e}")))?;
    for e in entries {
        state.texts.upsert(&e.k, &e.t);
        state.seq = state.seq.max(e.s);
    }
    Ok(())
}

impl RunStore {
    /// Answers free-text queries from the search store's index from now on (for every clone of
    /// this store), instead of scanning every record. The history page turns it on, so the
    /// index is never part of the live page's path.
    ///
    /// The first call also starts loading the texts in the background (after backfilling a
    /// store written before the search store, once), so the first search does not wait for it.
    pub fn enable_text_index(&self) {
        let index = SearchIndex::new();
        if !self.set_text_search(|| index.clone()) {
            return;
        }
        let Ok(conn) = self.conn() else { return };
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(db) = conn.db() {
                // A failure here is the search's to report (it falls back to the scan).
                let _ = index.warm(db).await;
            }
        });
    }

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
}
