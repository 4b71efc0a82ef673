//! What the tracker reports: [`Change`]s that the coalescing buffer collapses, and the shared
//! state (queue, preview, GPU, counters) that the shell copies into signals.

use crate::gpu::GpuReading;
use crate::protocol::http::SystemStats;
use crate::protocol::{DecodeError, MonitorSample, Preview};

/// What changed. Fields collapse to their latest value; lifecycle events are never collapsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Field(Field),
    Lifecycle(Lifecycle),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Queue,
    Run(String),
    Preview,
    Gpu,
    Counters,
    Connection,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    /// Increases by one with every event of this tracker: a consumer remembers the last `seq`
    /// it handled and takes only the newer ones, however many a bounded list keeps.
    pub seq: u64,
    pub run_id: String,
    pub kind: LifecycleKind,
    pub at_ms: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LifecycleKind {
    Queued,
    Started,
    Succeeded,
    Failed {
        message: Option<String>,
    },
    Interrupted,
    /// Cancelled (newer servers' `/api/jobs`).
    Cancelled,
    /// The run ended (or left the queue) without saying how.
    Lost,
    Output {
        artifacts: usize,
    },
}

impl LifecycleKind {
    /// The run ended, however it ended.
    pub fn is_end(&self) -> bool {
        matches!(
            self,
            LifecycleKind::Succeeded
                | LifecycleKind::Failed { .. }
                | LifecycleKind::Interrupted
                | LifecycleKind::Cancelled
                | LifecycleKind::Lost
        )
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            LifecycleKind::Queued => "queued",
            LifecycleKind::Started => "started",
            LifecycleKind::Succeeded => "succeeded",
            LifecycleKind::Failed { .. } => "failed",
            LifecycleKind::Interrupted => "interrupted",
            LifecycleKind::Cancelled => "cancelled",
            LifecycleKind::Lost => "lost",
            LifecycleKind::Output { .. } => "output",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueState {
    /// From the broadcast `status`: running plus pending.
    pub remaining: Option<u32>,
    /// From `/api/queue` when it has been read since the last `status`; otherwise derived from
    /// `remaining` (ComfyUI runs one prompt at a time).
    pub running: Option<u32>,
    pub pending: Option<u32>,
    pub from_http: bool,
    /// Local ms of the last whole listing (`/api/queue`, the jobs list or the extension's
    /// hello): a queued run first seen before it and missing from it has left the queue.
    pub listed_at_ms: Option<f64>,
    /// The last cancel or clear the server refused (or never answered); `None` once one
    /// succeeds.
    pub control_error: Option<ControlError>,
}

/// A cancel or clear that did not reach the server, or that it refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlError {
    /// Clearing the queue (else cancelling one prompt).
    pub clear: bool,
    /// The HTTP status when the server answered; `None` when it did not (a network error, or
    /// a cross-origin server that does not allow this page).
    pub status: Option<u16>,
}

impl ControlError {
    /// What a person reads: what failed, and the setting that usually fixes it.
    pub fn message(&self) -> String {
        let what = if self.clear {
            "Clearing the queue"
        } else {
            "Cancelling the prompt"
        };
        let why = match self.status {
            Some(403) => "the server refused it (HTTP 403)".to_owned(),
            Some(s) => format!("the server answered HTTP {s}"),
            None => "no answer the page may read".to_owned(),
        };
        format!(
            "{what} failed: {why}. A ComfyUI on another origin must be started with \
             --enable-cors-header and this page's origin."
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LatestPreview {
    pub run_id: Option<String>,
    pub node_id: Option<String>,
    pub preview: Preview,
    pub at_ms: f64,
    /// Increases with every preview so the shell can tell a new image from the same one.
    pub seq: u64,
}

/// Whether the live page shows a preview of `preview_run` while `current_run` is the run it
/// shows: a preview without a run (a legacy server's) or of the current run. The shell makes an
/// image (a `Blob` and its object URL) only for a preview it shows (issue 22, throughput).
pub fn preview_shown(preview_run: Option<&str>, current_run: Option<&str>) -> bool {
    preview_run.is_none() || preview_run == current_run
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GpuState {
    pub stats: Option<SystemStats>,
    pub stats_at_ms: Option<f64>,
    pub monitor: Option<MonitorSample>,
    pub monitor_at_ms: Option<f64>,
    /// The latest reading from any source, merged with older ones for missing fields.
    pub latest: Option<GpuReading>,
    /// `/api/system_stats` failed on its last poll.
    pub stats_failed: bool,
}

/// What the extension's hello told us about it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtensionInfo {
    pub protocol: Option<i64>,
    pub version: Option<String>,
    pub comfyui_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Counters {
    pub messages: u64,
    pub binary: u64,
    pub malformed: u64,
    /// Messages of types this dashboard does not read (other extensions' broadcasts), by type,
    /// in name order: a sorted list, not a `BTreeMap`, for the few types a server sends.
    pub unknown: Vec<(String, u64)>,
    pub last_error: Option<DecodeError>,
    /// Messages the extension dropped for us because we read too slowly.
    pub dropped: u64,
}

/// What the server offers beyond ComfyUI 0.3.64's API, learned by asking it (never guessed from
/// a version string). `None` until known.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerFeatures {
    /// `/api/jobs` answers (ComfyUI 0.36+).
    pub jobs: Option<bool>,
    /// The server's `/api/features` answer, when it has one.
    pub flags: Option<serde_json::Value>,
}
