//! The live stream: one WebSocket to ComfyUI, reconnected with backoff, feeding the core's
//! pipeline and flushing coalesced batches to an observer (the signals, or a test).

mod demo;
mod follow;
mod housekeeping;
mod manager;
mod socket;

pub use demo::load_playlist;
pub use manager::{StreamConfig, StreamManager, StreamObserver};
