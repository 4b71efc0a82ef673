use super::live::Live;
use telemetry_core::connection::ConnectionInfo;
use telemetry_core::drain::DrainEstimate;
use telemetry_core::endpoint::ServerBase;
use telemetry_core::event_log::LogLine;
use telemetry_core::history::series::RunSeries;
use telemetry_core::run::Run;
use telemetry_core::tracker::{
    Counters, ExtensionInfo, GpuState, Lifecycle, PendingPrompt, QueueState,
};

/// The latest sampler preview, as an object URL the `<img>` can show.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewImage {
    /// `None` while the page does not show it: the image is made only for a shown preview.
    pub url: Option<String>,
    pub run_id: Option<String>,
    pub node_id: Option<String>,
    pub seq: u64,
}

/// One signal per independently changing value, so a progress tick re-renders the progress
/// bar and not the event log.
#[derive(Clone, Copy)]
pub struct LiveState {
    pub connection: Live<ConnectionInfo>,
    pub queue: Live<QueueState>,
    /// Pending prompts in run order, and apart from them the drain estimate, which changes
    /// as the running prompt runs (the list is not rebuilt for it).
    pub pending: Live<Vec<PendingPrompt>>,
    pub drain: Live<DrainEstimate>,
    /// The run a person watching wants to see: running now, else the latest.
    pub current: Live<Option<Run>>,
    /// Runs seen since the page opened, newest first.
    pub runs: Live<Vec<Run>>,
    pub preview: Live<Option<PreviewImage>>,
    pub gpu: Live<GpuState>,
    pub counters: Live<Counters>,
    pub log: Live<Vec<LogLine>>,
    /// Local time of the last flush that carried data, for "updated 3 s ago".
    pub last_update_ms: Live<Option<f64>>,
    /// Recent lifecycle events, newest last (bounded).
    pub lifecycle: Live<Vec<Lifecycle>>,
    /// The server in use, for `/api/view` links.
    pub server: Live<Option<ServerBase>>,
    /// The extension said hello: every client's runs stream to this page.
    pub extension: Live<Option<ExtensionInfo>>,
    /// The current run over time, for the run chart. Its own signal: a new sample redraws the
    /// chart and nothing else.
    pub series: Live<Option<RunSeries>>,
}

impl LiveState {
    pub fn new(connection: ConnectionInfo) -> LiveState {
        LiveState {
            connection: Live::new(connection),
            queue: Live::new(QueueState::default()),
            pending: Live::new(Vec::new()),
            drain: Live::new(DrainEstimate::default()),
            current: Live::new(None),
            runs: Live::new(Vec::new()),
            preview: Live::new(None),
            gpu: Live::new(GpuState::default()),
            counters: Live::new(Counters::default()),
            log: Live::new(Vec::new()),
            last_update_ms: Live::new(None),
            lifecycle: Live::new(Vec::new()),
            server: Live::new(None),
            extension: Live::new(None),
            series: Live::new(None),
        }
    }
}
