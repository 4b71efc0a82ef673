//! ComfyUI's WebSocket and HTTP protocol, as recorded from a real 0.3.64 server.
//!
//! Decoding never panics: a frame that cannot be understood becomes a [`DecodeError`], and a
//! well-formed frame of a type we do not know becomes [`ServerMessage::Unknown`] so it can be
//! counted rather than treated as a fault.

mod binary;
pub mod client_label;
mod error;
pub mod extension;
mod fields;
pub mod http;
pub mod jobs;
mod lenient;
mod message;
mod output;
mod small_frames;
mod text;

pub use binary::decode_binary;
pub use error::DecodeError;
pub(crate) use lenient::decimal;
pub use lenient::number_of;
pub use message::*;
pub use output::{Artifact, ArtifactKind};
pub use text::decode_text;
