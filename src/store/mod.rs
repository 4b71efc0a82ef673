//! Past runs in IndexedDB, so the history survives reloads and grows past what the live view
//! keeps. Every decision about a record (its fields, filters, order) is made in
//! `telemetry_core::history`; this module only stores, finds and walks records.

mod codec;
mod conn;
mod error;
mod estimate;
mod insight_book;
mod insight_io;
mod insight_touch;
mod lookup;
mod migrate;
mod open;
mod plan;
mod put_merged;
mod removal;
mod run_store;
pub mod schema;
mod search_entries;
mod search_index;
pub mod sink;
mod writer;

pub use error::{classify, StoreError};
pub use insight_io::InsightLoad;
pub use plan::PageCursor;
pub use run_store::{Page, RunStore};
pub use writer::StoreWriter;
