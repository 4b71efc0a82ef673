//! The history tab's pure parts: the stored record, queries that live in the URL, export and
//! import formats, statistics and comparisons. The IndexedDB store in the shell only moves
//! these records; every decision about them is made here and tested natively.

pub mod compare;
pub mod export;
pub mod import;
pub mod key_resume;
pub mod merge;
pub mod plot;
pub mod query;
pub mod record;
pub mod run_svg;
pub mod series;
pub mod server_log;
pub mod stats;
pub mod stored_form;
pub mod take_away;
pub mod text_arena;

pub use query::{HistoryQuery, SortKey};
pub use record::StoredRun;
pub use text_arena::TextArena;
