use super::Artifact;
use serde::{Deserialize, Serialize};

/// One decoded server message. Binary frames decode to [`ServerMessage::Preview`] and
/// [`ServerMessage::ProgressText`]; everything else arrives as `{type, data}` text frames.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    Status(Status),
    FeatureFlags(FeatureFlags),
    ExecutionStart(ExecutionStamp),
    ExecutionCached(ExecutionCached),
    Executing(Executing),
    Progress(Progress),
    ProgressState(ProgressState),
    Executed(Executed),
    ExecutionSuccess(ExecutionStamp),
    ExecutionError(ExecutionError),
    ExecutionInterrupted(ExecutionInterrupted),
    Logs(Logs),
    CrystoolsMonitor(MonitorSample),
    SeedTelemetry(SeedTelemetry),
    TelemetryHello(super::extension::Hello),
    TelemetryQueued(super::extension::QueuedPrompt),
    TelemetryGpu(super::extension::GpuSample),
    TelemetryDropped(super::extension::Dropped),
    Preview(Preview),
    ProgressText(ProgressText),
    /// A well-formed message of a type this dashboard does not know. Kept so it can be counted
    /// and listed, never an error: extensions add message types all the time.
    Unknown {
        kind: String,
    },
}

impl ServerMessage {
    /// The wire name, used in the event log and its `data-type`.
    pub fn kind(&self) -> &str {
        match self {
            ServerMessage::Status(_) => "status",
            ServerMessage::FeatureFlags(_) => "feature_flags",
            ServerMessage::ExecutionStart(_) => "execution_start",
            ServerMessage::ExecutionCached(_) => "execution_cached",
            ServerMessage::Executing(_) => "executing",
            ServerMessage::Progress(_) => "progress",
            ServerMessage::ProgressState(_) => "progress_state",
            ServerMessage::Executed(_) => "executed",
            ServerMessage::ExecutionSuccess(_) => "execution_success",
            ServerMessage::ExecutionError(_) => "execution_error",
            ServerMessage::ExecutionInterrupted(_) => "execution_interrupted",
            ServerMessage::Logs(_) => "logs",
            ServerMessage::CrystoolsMonitor(_) => "crystools.monitor",
            ServerMessage::SeedTelemetry(_) => "telemetry",
            ServerMessage::TelemetryHello(_) => "telemetry.hello",
            ServerMessage::TelemetryQueued(_) => "telemetry.queued",
            ServerMessage::TelemetryGpu(_) => "telemetry.gpu",
            ServerMessage::TelemetryDropped(_) => "telemetry.dropped",
            ServerMessage::Preview(_) => "preview",
            ServerMessage::ProgressText(_) => "progress_text",
            ServerMessage::Unknown { kind } => kind,
        }
    }

    /// The prompt this message is about, when it says so.
    pub fn prompt_id(&self) -> Option<&str> {
        match self {
            ServerMessage::ExecutionStart(m) | ServerMessage::ExecutionSuccess(m) => {
                Some(&m.prompt_id)
            }
            ServerMessage::ExecutionCached(m) => Some(&m.prompt_id),
            ServerMessage::Executing(m) => m.prompt_id.as_deref(),
            ServerMessage::Progress(m) => m.prompt_id.as_deref(),
            ServerMessage::ProgressState(m) => Some(&m.prompt_id),
            ServerMessage::Executed(m) => Some(&m.prompt_id),
            ServerMessage::ExecutionError(m) => Some(&m.prompt_id),
            ServerMessage::ExecutionInterrupted(m) => Some(&m.prompt_id),
            ServerMessage::Preview(m) => m.prompt_id.as_deref(),
            ServerMessage::TelemetryQueued(m) => Some(&m.prompt_id),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    /// Running plus pending prompts. `None` when the server left it out.
    pub queue_remaining: Option<u32>,
    /// Only on the first status after connecting: the client id the server registered us under.
    pub sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeatureFlags {
    pub supports_preview_metadata: bool,
    pub max_upload_size: Option<i64>,
}

/// `execution_start` and `execution_success`: a prompt id and the server's wall clock.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionStamp {
    pub prompt_id: String,
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionCached {
    pub prompt_id: String,
    pub nodes: Vec<String>,
    pub timestamp: Option<i64>,
}

/// `node: null` with a prompt id means that prompt finished. A reconnect's `executing` carries a
/// node but no prompt id: it names the node of whatever is running now.
#[derive(Debug, Clone, PartialEq)]
pub struct Executing {
    pub node: Option<String>,
    pub display_node: Option<String>,
    pub prompt_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub value: Option<f64>,
    pub max: Option<f64>,
    pub prompt_id: Option<String>,
    pub node: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgressState {
    pub prompt_id: String,
    /// Sorted by node id so that replays are deterministic whatever the JSON object order.
    pub nodes: Vec<NodeProgress>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeProgress {
    pub node_id: String,
    pub value: Option<f64>,
    pub max: Option<f64>,
    pub state: NodeState,
    pub display_node_id: Option<String>,
    /// The node that expanded into this one (`None` for the prompt's own nodes).
    pub parent_node_id: Option<String>,
    /// The prompt node this one ultimately comes from.
    pub real_node_id: Option<String>,
    /// What a running node is spending time on (newer servers; absent when none).
    pub activity: Option<String>,
    /// Seconds the node has run, on servers that send it.
    pub seconds: Option<f64>,
}

/// `pending` is filtered out by the server and `error` is defined but never sent; both are still
/// decoded so that a newer server does not turn into malformed frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeState {
    Pending,
    Running,
    Finished,
    Error,
    Unknown,
}

impl NodeState {
    pub fn parse(s: &str) -> NodeState {
        match s {
            "pending" => NodeState::Pending,
            "running" => NodeState::Running,
            "finished" => NodeState::Finished,
            "error" => NodeState::Error,
            _ => NodeState::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    pub prompt_id: String,
    pub node: String,
    pub display_node: Option<String>,
    pub outputs: Vec<Artifact>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionError {
    pub prompt_id: String,
    pub node_id: Option<String>,
    pub node_type: Option<String>,
    pub exception_type: Option<String>,
    pub exception_message: Option<String>,
    pub traceback: Vec<String>,
    /// Nodes that ran before the failure.
    pub executed: Vec<String>,
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionInterrupted {
    pub prompt_id: String,
    pub node_id: Option<String>,
    pub node_type: Option<String>,
    pub executed: Vec<String>,
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Logs {
    pub entries: Vec<LogEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Naive local time as the server printed it; never compared with our clock.
    pub time: String,
    pub message: String,
}

/// A sample from ComfyUI-Crystools. Its `-1` means "unavailable", which becomes `None` here so
/// that no view can mistake it for a measurement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MonitorSample {
    pub cpu_utilization: Option<f64>,
    pub ram_total: Option<f64>,
    pub ram_used: Option<f64>,
    pub device_type: Option<String>,
    pub gpus: Vec<MonitorGpu>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MonitorGpu {
    pub utilization: Option<f64>,
    pub temperature: Option<f64>,
    pub vram_total: Option<f64>,
    pub vram_used: Option<f64>,
}

/// The flat update of the React dashboard's telemetry producers. It has no prompt id, so its
/// `scene_id` names the run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeedTelemetry {
    pub scene_id: String,
    pub timestamp: Option<i64>,
    pub status: Option<String>,
    pub duration_s: Option<f64>,
    pub attempts: Option<u32>,
    pub gpu_vram_free: Option<f64>,
    pub gpu_utilization: Option<f64>,
    pub gpu_name: Option<String>,
    pub vram_delta: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageMime {
    Jpeg,
    Png,
    Webp,
}

impl ImageMime {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageMime::Jpeg => "image/jpeg",
            ImageMime::Png => "image/png",
            ImageMime::Webp => "image/webp",
        }
    }
}

/// A sampler preview. Legacy (event 1) previews name no node or prompt; the tracker attributes
/// them to the node that ran last.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub mime: ImageMime,
    pub bytes: Vec<u8>,
    pub node_id: Option<String>,
    pub prompt_id: Option<String>,
    pub display_node_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgressText {
    pub node_id: String,
    pub text: String,
}
