//! Walking an index of the runs in the list's order: the records a chunk per read-only
//! transaction, or their primary keys in one read where the browser can.

use super::conn::{bounds, Bounds};
use super::idb::{Direction, TransactionMode};
use super::plan::Range;
use super::run_store::{RunStore, MAX_CHUNK};
use super::schema::RUNS;
use super::StoreError;
use wasm_bindgen::JsValue;

impl RunStore {
    /// Walks `range` in `dir` from just after `resume`, a chunk per read-only transaction,
    /// until `visit` says stop or the range ends. Each chunk resumes after the last index key
    /// read, which is unique (it ends with the primary key), so nothing is skipped or repeated.
    pub(super) async fn walk(
        &self,
        range: &Range,
        dir: Direction,
        mut resume: Option<JsValue>,
        first_chunk: u32,
        mut visit: impl FnMut(JsValue) -> bool,
    ) -> Result<(), StoreError> {
        let mut chunk = first_chunk.clamp(1, MAX_CHUNK);
        loop {
            let key_range = match resumed(range, dir, resume.as_ref()) {
                Bounds::Empty => return Ok(()),
                Bounds::All => None,
                Bounds::Range(r) => Some(r),
            };
            let (_conn, tx) = self.transaction(TransactionMode::ReadOnly)?;
            let rows = tx
                .store(RUNS)?
                .index(range.index)?
                .scan(key_range, Some(chunk), None, Some(dir))
                .await?;
            let read = rows.len();
            for (key, value) in rows {
                resume = Some(key);
                if !visit(value) {
                    return Ok(());
                }
            }
            if (read as u32) < chunk {
                return Ok(());
            }
            chunk = (chunk * 2).min(MAX_CHUNK);
        }
    }

    /// The primary keys of `range` in `dir` from just after `resume`, at most `limit`, in one
    /// read (`StoreIndex::get_all_keys_toward`): a cursor costs a task per record, about 40 µs
    /// in Chromium. `None` when the browser cannot read them so (Firefox and Safari as of
    /// 2026): the index walk reading records answers instead.
    pub(super) async fn keys_toward(
        &self,
        range: &Range,
        dir: Direction,
        resume: Option<&JsValue>,
        limit: u32,
    ) -> Result<Option<Vec<JsValue>>, StoreError> {
        let key_range = match resumed(range, dir, resume) {
            Bounds::Empty => return Ok(Some(Vec::new())),
            Bounds::All => None,
            Bounds::Range(r) => Some(r),
        };
        let (_conn, tx) = self.transaction(TransactionMode::ReadOnly)?;
        let index = tx.store(RUNS)?.index(range.index)?;
        match index.get_all_keys_toward(key_range, limit, dir) {
            Some(read) => Ok(Some(read.await?)),
            None => Ok(None),
        }
    }
}

/// `range` from just after the index key `resume`, walking in `dir`.
fn resumed(range: &Range, dir: Direction, resume: Option<&JsValue>) -> Bounds {
    let (lower, upper) = match (resume, dir) {
        (Some(k), Direction::Prev) => (range.lower(), Some((k.clone(), true))),
        (Some(k), _) => (Some((k.clone(), true)), range.upper()),
        (None, _) => (range.lower(), range.upper()),
    };
    bounds(lower, upper)
}
