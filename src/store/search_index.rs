//! Free-text search without reading every record.
//!
//! Reading 100 000 whole records takes seconds, most of it IndexedDB handing over records (a
//! run with its nodes is kilobytes). So a page keeps the `search` store's small entries
//! (`search_entries`) in memory, every run's search text in one arena
//! (`telemetry_core::history::TextArena`), and answers free text with the scan's own `contains`
//! over them: the same results as the scan by construction. It loads them in the background as
//! soon as the history list turns search on (`RunStore::enable_text_index`): the texts the
//! last history page stored in one piece (`search_snapshot`) and the spans of 5 000 entries
//! the writes sealed since (`search_spans`), then the entries written after them, by any tab;
//! before each search it reads the entries written since again (usually none). A
//! deletion is one more entry to read (a marker listing the removed keys, `search_removed`),
//! taken out of the arena, not a reason to read everything again. Why
//! not an index in IndexedDB: a posting list per trigram would be rewritten on every progress
//! write of every run, or, as a multi-entry index, cost ~60 index rows per run on disk and on
//! every write; the texts cost one small row.
//!
//! Only the history page reaches this module (through the `TextSearch` trait object the store
//! holds once turned on): the live page's writes go through `search_entries` alone. Records
//! written before the search store existed are copied in once (`backfill`), on the first build.

use super::conn::{keys_after, Conn};
use super::idb::{Database, KeyRange, TransactionMode};
use super::meta_entry::meta_number;
use super::run_store::RunStore;
use super::schema::{META, SEARCH, SEARCH_KEY, SEARCH_READY as READY, SEQ_INDEX};
use super::search_backfill::backfill;
use super::search_entries::EPOCH;
use super::search_removed::{self, REMOVED};
use super::search_snapshot;
use super::StoreError;
use futures::lock::Mutex;
use std::cell::Cell;
use std::rc::{Rc, Weak};
use telemetry_core::history::TextArena;
use wasm_bindgen::JsValue;

/// Search entries read per step of a build or catch-up (one read-only transaction each).
const BUILD_CHUNK: u32 = 5_000;
/// Entries read since the stored snapshot above which the history page writes a new one.
const SNAPSHOT_AFTER: usize = 2_000;

/// One entry as `JSON.stringify` gives it back (`{k, t, s}`, or a removal marker
/// `{k: [s], s, g: [keys]}`), read from its `Value`: the serde derive it had compiled a typed
/// JSON reader of its own (issue #22). The derive's rules: `k` and `t` strings, `s` a number,
/// other fields ignored; an entry without them fails the read.
enum Entry<'a> {
    Text {
        k: &'a str,
        t: &'a str,
        s: f64,
    },
    Removed {
        keys: &'a [serde_json::Value],
        s: f64,
    },
}

impl<'a> Entry<'a> {
    fn of(value: &'a serde_json::Value) -> Option<Entry<'a>> {
        let s = value.get("s")?.as_f64()?;
        if let Some(keys) = value.get(REMOVED) {
            return Some(Entry::Removed {
                keys: keys.as_array()?,
                s,
            });
        }
        Some(Entry::Text {
            k: value.get("k")?.as_str()?,
            t: value.get("t")?.as_str()?,
            s,
        })
    }
}

#[derive(Default)]
struct State {
    texts: TextArena,
    /// Highest seq applied.
    seq: f64,
    /// The epoch the texts were read under; `None` before the first build.
    epoch: Option<f64>,
    ready: bool,
    /// Entries read since the stored snapshot (or since none).
    unsaved: usize,
}

/// What a search found: how many runs of how many, and their keys when they are at most the
/// limit asked.
pub(super) struct Found {
    pub count: usize,
    pub total: usize,
    pub keys: Option<Vec<String>>,
}

/// A page's search texts from the search store, shared by every clone of the `RunStore`.
/// Searches take turns (an async lock), so two catch-ups never apply entries out of order.
pub(super) struct SearchIndex {
    state: Mutex<State>,
    /// Entries read so far (texts and markers), for the tests and benchmarks.
    read: Cell<usize>,
    /// Itself, for the snapshot written after a search (`save_later`).
    me: Weak<SearchIndex>,
}

impl SearchIndex {
    fn new() -> Rc<SearchIndex> {
        Rc::new_cyclic(|me| SearchIndex {
            state: Mutex::new(State::default()),
            read: Cell::new(0),
            me: me.clone(),
        })
    }

    /// The runs whose search text contains `needle` (lower-cased, as
    /// `HistoryQuery::search_needle` gives it): exactly those a scan of the records finds.
    pub(super) async fn matching(
        &self,
        conn: Rc<Conn>,
        needle: &str,
        limit: usize,
    ) -> Result<Found, StoreError> {
        let mut state = self.state.lock().await;
        catch_up(&mut state, conn.db()?, &self.read).await?;
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
            total: state.texts.len(),
            keys: (count <= limit).then_some(keys),
        })
    }

    /// The texts as last caught up, held until dropped (searches wait meanwhile).
    pub(super) async fn texts(&self) -> impl std::ops::Deref<Target = TextArena> + '_ {
        Texts(self.state.lock().await)
    }

    /// Loads or catches up the texts without searching: the history page starts this when it
    /// opens, so the first search finds the texts (mostly) loaded. The snapshot is saved in a
    /// task of its own, queued after a search that waited for the load: saving sorts and copies
    /// every text, which that search need not wait for.
    async fn warm(&self, conn: Rc<Conn>) -> Result<(), StoreError> {
        catch_up(&mut *self.state.lock().await, conn.db()?, &self.read).await?;
        self.save_later(conn);
        Ok(())
    }

    /// Entries (texts and removal markers) read from the search store by this page so far.
    pub(super) fn entries_read(&self) -> usize {
        self.read.get()
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
    async fn save(&self, db: &Database) -> Result<(), StoreError> {
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

/// The arena behind a held lock on the state.
struct Texts<'a>(futures::lock::MutexGuard<'a, State>);

impl std::ops::Deref for Texts<'_> {
    type Target = TextArena;
    fn deref(&self) -> &TextArena {
        &self.0.texts
    }
}

/// Backfills once if needed, then applies the entries written since the last call (any tab's),
/// `BUILD_CHUNK` at a time in seq order, one read-only transaction each: reading 100 000
/// entries then never holds the page for more than a chunk's worth. Removal markers among them
/// take their keys out. An index with nothing yet, built under an older epoch (a clear), or
/// below the floor (markers it needed were compacted) is rebuilt first: from the stored
/// snapshot when there is a usable one, else by reading every entry (`read_all`). `read`
/// counts the entries read.
async fn catch_up(state: &mut State, db: &Database, read: &Cell<usize>) -> Result<(), StoreError> {
    if !state.ready {
        if meta_number(read_meta(db, READY).await?) < 1.0 {
            backfill(db).await?;
        }
        state.ready = true;
    }
    let mut read_here = 0;
    loop {
        let tx = db.transaction(&[SEARCH, META], TransactionMode::ReadOnly)?;
        let meta = tx.store(META)?;
        let epoch = meta_number(meta.get(JsValue::from_str(EPOCH)).await?);
        let floor = search_removed::floor(&meta).await?;
        if state.epoch != Some(epoch) || state.seq < floor {
            drop(tx);
            read_here += rebuild(state, db).await?;
            continue;
        }
        let after = KeyRange::lower_bound(&JsValue::from_f64(state.seq), Some(true))?;
        let values = tx
            .store(SEARCH)?
            .index(SEQ_INDEX)?
            .get_all(Some(after), Some(BUILD_CHUNK))
            .await?;
        drop(tx);
        let n = values.len();
        apply(state, values, true)?;
        state.unsaved += n;
        read_here += n;
        if (n as u32) < BUILD_CHUNK {
            break;
        }
    }
    read.set(read.get() + read_here);
    if read_here >= BUILD_CHUNK as usize {
        // A build grows the arena by doubling; give the rest back once.
        state.texts.shrink_to_fit();
    }
    Ok(())
}

/// The stored snapshot and the spans sealed after it (`search_spans`) when they are usable (an
/// unreadable one is only slower: every entry is read instead); returns how many entries it
/// read one by one.
async fn rebuild(state: &mut State, db: &Database) -> Result<usize, StoreError> {
    if let Ok(Some(snap)) = search_snapshot::read(db).await {
        if load(state, snap).is_ok() {
            return Ok(0);
        }
    }
    read_all(state, db).await
}

fn load(state: &mut State, snap: search_snapshot::Snapshot) -> Result<(), StoreError> {
    state.texts = snap.texts;
    state.seq = snap.seq;
    state.epoch = Some(snap.epoch);
    state.unsaved = 0;
    for json in &snap.spans {
        let json = json.as_string().unwrap_or_default();
        // Applied entry by entry: worth a snapshot of their own, as if read.
        state.unsaved += apply_text(state, &json, true, snap.seq)?;
    }
    state.seq = state.seq.max(snap.end);
    Ok(())
}

/// Reads every entry afresh, in key order, `BUILD_CHUNK` per read-only transaction: IndexedDB
/// hands a store over in key order faster than through the `seq` index (which looks each
/// record up by its key). Entries written meanwhile may be missed by the key order, so this
/// leaves `seq` at the highest seq there was when it began: the catch-up after it reads every
/// entry written since again (the same text again changes nothing), and the markers of the
/// deletions since (numbered after it too). The markers read here are skipped: the entries read
/// are the store after them. A clear meanwhile (the epoch moved) starts it over. Returns how
/// many entries it read.
async fn read_all(state: &mut State, db: &Database) -> Result<usize, StoreError> {
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
                None => *from.insert((epoch, search_removed::top_seq(&store).await?)),
            };
            if epoch != began {
                continue 'fresh;
            }
            let range = keys_after(after.as_ref())?;
            let values = store.get_all(range, Some(BUILD_CHUNK)).await?;
            drop(tx);
            let read = values.len();
            after = values
                .last()
                .and_then(|v| js_sys::Reflect::get(v, &JsValue::from_str(SEARCH_KEY)).ok());
            apply(state, values, false)?;
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

async fn read_meta(db: &Database, name: &str) -> Result<Option<JsValue>, StoreError> {
    let tx = db.transaction(&[META], TransactionMode::ReadOnly)?;
    Ok(tx.store(META)?.get(JsValue::from_str(name)).await?)
}

/// Entries cross as one JSON text: one call into JavaScript for all of them instead of three
/// property reads per entry. Removal markers take their keys out when `removals` (in seq
/// order), and are skipped otherwise (in key order).
fn apply(state: &mut State, values: Vec<JsValue>, removals: bool) -> Result<(), StoreError> {
    if values.is_empty() {
        return Ok(());
    }
    let array: js_sys::Array = values.into_iter().collect();
    let text = js_sys::JSON::stringify(&array)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| StoreError::Failed("reading the search store".to_owned()))?;
    apply_text(state, &text, removals, 0.0).map(|_| ())
}

/// `apply` of entries already as a JSON list (a span's), skipping those numbered at most
/// `after` (the part of a span a snapshot already holds); returns how many it applied.
fn apply_text(
    state: &mut State,
    text: &str,
    removals: bool,
    after: f64,
) -> Result<usize, StoreError> {
    let bad =
        |e: &dyn std::fmt::Display| StoreError::Failed(format!("reading the search store: {e}"));
    let value = telemetry_core::json::parse(text).map_err(|e| bad(&e))?;
    let entries = value
        .as_array()
        .ok_or_else(|| bad(&"not a list"))?
        .iter()
        .map(|v| Entry::of(v).ok_or_else(|| bad(&"an entry without k, t or s")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut applied = 0;
    for e in entries {
        let s = match e {
            Entry::Text { s, .. } | Entry::Removed { s, .. } if s <= after => continue,
            Entry::Text { k, t, s } => {
                state.texts.upsert(k, t);
                s
            }
            Entry::Removed { keys, s } if removals => {
                for key in keys.iter().filter_map(|k| k.as_str()) {
                    state.texts.remove(key);
                }
                s
            }
            Entry::Removed { .. } => continue,
        };
        applied += 1;
        state.seq = state.seq.max(s);
    }
    Ok(applied)
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
            // A failure here is the search's to report (it falls back to the scan).
            let _ = index.warm(conn).await;
        });
    }
}
