//! The run store as app-wide state: whether it opened, a revision counter that lists watch to
//! refresh when new writes land, and the writer the stream's store sink hands runs to.

use super::{Kept, Live};
use crate::store::{RunStore, StoreError, StoreWriter};

#[derive(Debug, Clone, PartialEq)]
pub enum StoreStatus {
    Opening,
    Ready,
    /// The live tab keeps working in memory; the history tab says why it cannot.
    Failed(StoreError),
}

#[derive(Clone, Copy)]
pub struct StoreState {
    pub store: Kept<Option<RunStore>>,
    /// Writes the stream's runs as they happen (attached to the stream by the app's boot).
    pub writer: Kept<Option<StoreWriter>>,
    pub status: Live<StoreStatus>,
    /// Bumped after writes, imports and deletes so that views re-query.
    pub revision: Live<u64>,
    /// The last write error (quota, blocked), shown on the history tab.
    pub write_error: Live<Option<StoreError>>,
}

impl StoreState {
    pub fn new() -> StoreState {
        StoreState {
            store: Kept::new(None),
            writer: Kept::new(None),
            status: Live::new(StoreStatus::Opening),
            revision: Live::new(0),
            write_error: Live::new(None),
        }
    }

    pub fn get(&self) -> Option<RunStore> {
        self.store.with_value(Clone::clone)
    }

    pub fn bump(&self) {
        self.revision.update(|r| *r += 1);
    }
}

impl Default for StoreState {
    fn default() -> Self {
        StoreState::new()
    }
}

pub fn use_store() -> StoreState {
    super::handles().store
}
