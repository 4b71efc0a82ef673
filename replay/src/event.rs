//! What the replay timeline holds: recorded frames (with what the extension needs to know of
//! them) and the extension's own queue announcements. Its own module so that the playback
//! task and the extension both read it without importing each other.

use axum::extract::ws::Message;

use crate::hub::Stream;

/// What a text frame of the full stream says, for the extension's catch-up and `executing`.
#[derive(Debug, Clone)]
pub struct TextMeta {
    pub kind: String,
    pub prompt_id: Option<String>,
    /// `data.node`: `None` when absent, `Some(None)` when explicitly null.
    pub node: Option<Option<String>>,
}

pub enum Event {
    /// A recorded frame, built once at load so playback only clones cheap handles.
    Frame {
        stream: Stream,
        msg: Message,
        meta: Option<TextMeta>,
    },
    /// `--extension`: a prompt entered the queue (`telemetry.queued` without `queued_at`).
    Queued(serde_json::Value),
}

pub struct Scheduled {
    pub at_ms: f64,
    pub event: Event,
}
