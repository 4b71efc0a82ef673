//! The dashboard's functional core: everything that can be decided without a browser or a clock.
//!
//! Data flows one way: [`protocol`] turns frames into messages, [`tracker`] folds messages into
//! runs, [`coalesce`] gathers the resulting changes into 200 ms batches, and the shell publishes
//! those batches into signals. Time is always an argument (`now_ms`, epoch milliseconds), so a
//! recorded trace replays to the same runs every time.

pub mod backoff;
pub mod badges;
pub mod cadence;
pub mod coalesce;
pub mod connection;
pub mod details_reads;
pub mod drain;
pub mod endpoint;
pub mod eta;
pub mod event_log;
pub mod fixed_point;
pub mod fleet;
pub mod follow;
pub mod format;
pub mod gpu;
pub mod hash;
pub mod history;
pub mod inflight;
pub mod input;
pub mod insight;
pub mod json;
pub mod lifecycle_feed;
pub mod link;
pub mod lowercase;
mod lowercase_tables;
pub mod pipeline;
pub mod protocol;
pub mod refusal;
pub mod run;
pub mod run_end;
pub mod series_book;
pub mod server_watch;
pub mod sort;
mod sorted_list;
pub mod str_map;
pub mod trace;
pub mod tracker;
pub mod warnings;

pub use protocol::{decode_binary, decode_text, DecodeError, ServerMessage};
pub use run::{Run, RunStatus};
pub use tracker::{Change, Tracker};
