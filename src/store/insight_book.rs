//! The insight aggregates (`telemetry_core::insight::InsightAggregates`) kept with the store, so
//! the recommendations panel starts from them instead of re-reading every stored run.
//!
//! Three pieces:
//! - a snapshot (`insight` in `meta`): the aggregates as text (`InsightAggregates::to_snapshot`),
//!   tagged with `SNAPSHOT_VERSION`;
//! - a touch log (`insight:<run key>` in `meta`): one small entry per run written or deleted
//!   since the snapshot, put by every write in its own transaction (`insight_touch`);
//! - the aggregates in memory (this book), loaded the first time a view asks for them. The book
//!   is the store's `InsightHook` once loaded, so writes made meanwhile update it in memory.
//!
//! Loading reads the snapshot and re-reads only the runs in the touch log. Without a snapshot
//! (a new store, or one written by a build whose facts differ) the aggregates are rebuilt once
//! from the runs. A save (`SAVE_AFTER_MS` after the first unsaved change) applies the touch log, writes
//! the snapshot and empties the log in one transaction.

use super::codec;
use super::idb::Store;
use super::insight_touch::{touch_name, touch_range, SNAPSHOT, TOUCH_FROM};
use super::StoreError;
use futures::channel::oneshot;
use std::cell::RefCell;
use telemetry_core::history::record::RECORD_VERSION;
use telemetry_core::history::StoredRun;
use telemetry_core::insight::InsightAggregates;
use wasm_bindgen::JsValue;

/// Bumped when `RunFact` or the snapshot's layout changes (2: text instead of JSON); with the
/// record version, so records migrated to a new version rebuild it.
const SNAPSHOT_VERSION: u32 = RECORD_VERSION * 1000 + 2;
/// A save follows the first unsaved change by this long, so a busy queue saves twice a minute
/// at most, not per write (a save serializes every fact: about a second at 100 000 runs). The
/// touch log keeps every change meanwhile, so waiting loses nothing.
pub const SAVE_AFTER_MS: u32 = 30_000;

#[derive(Default)]
pub(super) struct InsightBook {
    state: RefCell<BookState>,
}

#[derive(Default)]
struct BookState {
    /// `Some` once loaded.
    aggregates: Option<InsightAggregates>,
    loading: bool,
    /// Writes seen while loading, applied once the snapshot is in.
    early: Vec<Change>,
    waiters: Vec<oneshot::Sender<()>>,
    /// Changed since the last save.
    dirty: bool,
    /// A save is scheduled.
    save_pending: bool,
}

enum Change {
    Put(Box<StoredRun>),
    Remove(String),
}

fn snapshot_entry(fields: &[(&str, JsValue)]) -> Result<JsValue, StoreError> {
    let entry = js_sys::Object::new();
    for (k, v) in fields {
        js_sys::Reflect::set(&entry, &JsValue::from_str(k), v)
            .map_err(|_| StoreError::Failed("building the insight snapshot".to_owned()))?;
    }
    Ok(entry.into())
}

/// The run key of a touch entry.
fn touched_key(entry: &JsValue) -> Option<String> {
    js_sys::Reflect::get(entry, &JsValue::from_str("name"))
        .ok()?
        .as_string()?
        .strip_prefix(TOUCH_FROM)
        .map(str::to_owned)
}

/// What the touch log says: each run key with its stored record, `None` when it was deleted.
type Touches = Vec<(String, Option<StoredRun>)>;

async fn read_touches(meta: &Store, runs: &Store) -> Result<Touches, StoreError> {
    let entries = meta.get_all(Some(touch_range()?), None).await?;
    let mut out = Vec::with_capacity(entries.len());
    for key in entries.iter().filter_map(touched_key) {
        let run = runs
            .get(JsValue::from_str(&key))
            .await?
            .and_then(codec::decode);
        out.push((key, run));
    }
    Ok(out)
}

fn forget_run(aggregates: &mut InsightAggregates, key: &str) {
    if let Some((server, prompt_id)) = key.split_once('|') {
        aggregates.remove(server, prompt_id);
    }
}

/// Adding is idempotent, so re-applying a run this tab already added changes nothing.
fn apply(aggregates: &mut InsightAggregates, touches: &Touches) {
    for (key, run) in touches {
        match run {
            Some(run) => aggregates.add(run),
            None => forget_run(aggregates, key),
        }
    }
}

impl InsightBook {
    /// A run the store just wrote (after its transaction committed).
    pub fn put(&self, run: &StoredRun) {
        let mut s = self.state.borrow_mut();
        if let Some(a) = s.aggregates.as_mut() {
            a.add(run);
            s.dirty = true;
        } else if s.loading {
            s.early.push(Change::Put(Box::new(run.clone())));
        }
    }

    /// A run the store just deleted, by key.
    pub fn remove(&self, key: &str) {
        let mut s = self.state.borrow_mut();
        if let Some(a) = s.aggregates.as_mut() {
            forget_run(a, key);
            s.dirty = true;
        } else if s.loading {
            s.early.push(Change::Remove(key.to_owned()));
        }
    }

    /// The store was cleared: the aggregates are empty, not unknown.
    pub fn clear(&self) {
        let mut s = self.state.borrow_mut();
        s.early.clear();
        if let Some(a) = s.aggregates.as_mut() {
            a.clear();
        } else if s.loading {
            s.early.push(Change::Remove(String::new()));
        }
    }

    pub fn is_loaded(&self) -> bool {
        self.state.borrow().aggregates.is_some()
    }

    /// Whether a save would write anything.
    pub fn take_dirty(&self) -> bool {
        std::mem::take(&mut self.state.borrow_mut().dirty)
    }

    /// Marks a save as scheduled; false when one already is.
    pub fn schedule_save(&self) -> bool {
        !std::mem::replace(&mut self.state.borrow_mut().save_pending, true)
    }

    pub fn save_started(&self) {
        self.state.borrow_mut().save_pending = false;
    }

    pub fn mark_dirty(&self) {
        self.state.borrow_mut().dirty = true;
    }

    /// Reads `f` of the loaded aggregates; `None` while they are not loaded.
    pub fn with<T>(&self, f: impl FnOnce(&InsightAggregates) -> T) -> Option<T> {
        self.state.borrow().aggregates.as_ref().map(f)
    }

    pub fn with_mut<T>(&self, f: impl FnOnce(&mut InsightAggregates) -> T) -> Option<T> {
        self.state.borrow_mut().aggregates.as_mut().map(f)
    }

    /// Claims the load: `Ok(true)` when the caller must load, `Ok(false)` once loaded; while
    /// another caller loads, waits for it (and claims it if that load failed).
    pub async fn claim(&self) -> Result<bool, StoreError> {
        loop {
            let wait = {
                let mut s = self.state.borrow_mut();
                if s.aggregates.is_some() {
                    return Ok(false);
                }
                if !s.loading {
                    s.loading = true;
                    return Ok(true);
                }
                let (tx, rx) = oneshot::channel();
                s.waiters.push(tx);
                rx
            };
            let _ = wait.await;
        }
    }

    /// Installs what the load read, with the writes made meanwhile, and wakes the waiters.
    /// `None` (the load failed) lets the next caller try again.
    pub fn install(&self, loaded: Option<InsightAggregates>) {
        let waiters = {
            let mut s = self.state.borrow_mut();
            s.loading = false;
            let early = std::mem::take(&mut s.early);
            if let Some(mut a) = loaded {
                for change in early {
                    match change {
                        Change::Put(run) => a.add(&run),
                        Change::Remove(key) if key.is_empty() => a.clear(),
                        Change::Remove(key) => forget_run(&mut a, &key),
                    }
                }
                s.aggregates = Some(a);
            }
            std::mem::take(&mut s.waiters)
        };
        for w in waiters {
            let _ = w.send(());
        }
    }
}

/// The stored snapshot with the touch log applied, and how many touches there were; `None`
/// when there is no usable snapshot.
pub(super) async fn read_snapshot(
    meta: &Store,
    runs: &Store,
) -> Result<Option<(InsightAggregates, usize)>, StoreError> {
    let Some(entry) = meta.get(JsValue::from_str(SNAPSHOT)).await? else {
        return Ok(None);
    };
    let field = |name: &str| js_sys::Reflect::get(&entry, &JsValue::from_str(name)).ok();
    if field("version").and_then(|v| v.as_f64()) != Some(f64::from(SNAPSHOT_VERSION)) {
        return Ok(None);
    }
    let Some(mut aggregates) = field("text")
        .and_then(|v| v.as_string())
        .and_then(|text| InsightAggregates::from_snapshot(&text))
    else {
        return Ok(None);
    };
    let touches = read_touches(meta, runs).await?;
    apply(&mut aggregates, &touches);
    Ok(Some((aggregates, touches.len())))
}

/// The touch entries there are now (their `meta` keys): a rebuild reads every run after
/// taking them, so they need not be re-read.
pub(super) async fn touch_keys(meta: &Store) -> Result<Vec<JsValue>, StoreError> {
    Ok(meta.get_all_keys(Some(touch_range()?), None).await?)
}

/// Drops `covered` touch entries unread, applies the rest of the log to the book's aggregates,
/// writes them as the snapshot and empties the log, in the caller's transaction (over `runs`
/// and `meta`). No borrow of the book is held across an await: writes may land meanwhile.
pub(super) async fn write_snapshot(
    book: &InsightBook,
    meta: &Store,
    runs: &Store,
    covered: Vec<JsValue>,
) -> Result<(), StoreError> {
    for key in covered {
        meta.delete(key).await?;
    }
    let touches = read_touches(meta, runs).await?;
    let snapshot = book.with_mut(|a| {
        apply(a, &touches);
        (a.to_snapshot(), a.len())
    });
    let Some((text, n)) = snapshot else {
        return Ok(());
    };
    let entry = snapshot_entry(&[
        ("name", JsValue::from_str(SNAPSHOT)),
        ("version", JsValue::from_f64(f64::from(SNAPSHOT_VERSION))),
        ("runs", JsValue::from_f64(n as f64)),
        ("text", JsValue::from_str(&text)),
    ])?;
    meta.put(&entry, None).await?;
    for (key, _) in touches {
        meta.delete(JsValue::from_str(&touch_name(&key))).await?;
    }
    Ok(())
}
