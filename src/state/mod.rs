//! App-wide state held in one context: signals written only by the stream's observer at flush
//! time (at most every 200 ms), read by the views.

mod backfill;
mod lifecycle_feed;
mod live_state;
mod observer;
mod run_end;
mod store_state;
mod stream_handle;

pub use backfill::{backfill, install_history_reader};
pub use lifecycle_feed::{on_new_lifecycle, FeedStart};
pub use live_state::{LiveState, PreviewImage};
pub use observer::SignalObserver;
pub use run_end::{notify_on_run_end, RunEnds};
pub use store_state::{use_store, StoreState, StoreStatus, WriterSlot};
pub use stream_handle::{provide_stream, use_live, use_stream, StreamHandle};
