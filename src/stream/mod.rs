//! The live stream of one server, as a pump: the connection and the ticker produce inputs, the
//! driver is the only caller of the core's pipeline, the I/O leaf performs what the pipeline
//! asks, and coalesced batches go out to the attached sinks (the signals, the store).
//!
//! Imports point one way: manager → connection, driver, ticker, demo; driver → io; connection
//! → probe, socket, frame; socket → socket_worker, frame; socket_worker →
//! frame. Nothing imports the manager, and the I/O leaf imports nothing of ours.

mod connection;
mod demo;
mod driver;
mod frame;
mod io;
mod manager;
mod probe;
mod socket;
mod socket_worker;
mod ticker;

pub use demo::load_playlist;
pub use driver::StreamObserver;
pub use io::StoredKeys;
pub use manager::{StreamConfig, StreamManager};
