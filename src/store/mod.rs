//! Past runs in IndexedDB, so the history survives reloads and grows past what the live view
//! keeps. Every decision about a record (its fields, filters, order) is made in
//! `telemetry_core::history`; this module only stores, finds and walks records.

mod asks;
mod codec;
mod conn;
mod error;
mod estimate;
#[doc(hidden)]
pub mod idb;
mod insight_book;
mod insight_io;
mod insight_touch;
mod lookup;
mod meta_entry;
mod migrate;
mod open;
mod page_fill;
mod plan;
mod put_merged;
mod removal;
mod run_store;
pub mod schema;
mod search_answer;
mod search_backfill;
mod search_entries;
mod search_index;
mod search_removed;
mod search_snapshot;
mod search_spans;
pub mod sink;
mod spill;
mod tombstones;
mod walk;
mod writer;

pub use error::{classify, StoreError};
pub use insight_io::InsightLoad;
pub use page_fill::Page;
pub use plan::PageCursor;
pub use run_store::RunStore;
pub use writer::StoreWriter;

use insight_book::InsightBook;
use telemetry_core::history::StoredRun;

/// What a committed write tells the loaded aggregates (see the module doc).
trait InsightHook {
    /// These records were stored (as written, before the codec's normalization).
    fn written(&self, store: &RunStore, runs: &[StoredRun]);
    /// The runs of these keys were deleted.
    fn removed(&self, store: &RunStore, keys: &[String]);
    /// Every run was deleted.
    fn cleared(&self, store: &RunStore);
    /// The aggregates' book, for the readers (`with_insight`), which live in the same pages.
    fn book(&self) -> &InsightBook;
}
