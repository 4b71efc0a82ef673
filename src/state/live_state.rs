use leptos::prelude::*;
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
    pub connection: RwSignal<ConnectionInfo>,
    pub queue: RwSignal<QueueState>,
    /// Pending prompts in run order, and apart from them the drain estimate, which changes
    /// as the running prompt runs (the list is not rebuilt for it).
    pub pending: RwSignal<Vec<PendingPrompt>>,
    pub drain: RwSignal<DrainEstimate>,
    /// The run a person watching wants to see: running now, else the latest.
    pub current: RwSignal<Option<Run>>,
    /// Runs seen since the page opened, newest first.
    pub runs: RwSignal<Vec<Run>>,
    pub preview: RwSignal<Option<PreviewImage>>,
    pub gpu: RwSignal<GpuState>,
    pub counters: RwSignal<Counters>,
    pub log: RwSignal<Vec<LogLine>>,
    /// Local time of the last flush that carried data, for "updated 3 s ago".
    pub last_update_ms: RwSignal<Option<f64>>,
    /// Recent lifecycle events, newest last (bounded).
    pub lifecycle: RwSignal<Vec<Lifecycle>>,
    /// The server in use, for `/api/view` links.
    pub server: RwSignal<Option<ServerBase>>,
    /// The extension said hello: every client's runs stream to this page.
    pub extension: RwSignal<Option<ExtensionInfo>>,
    /// The current run over time, for the run chart. Its own signal: a new sample redraws the
    /// chart and nothing else.
    pub series: RwSignal<Option<RunSeries>>,
}

impl LiveState {
    pub fn new(connection: ConnectionInfo) -> LiveState {
        LiveState {
            connection: RwSignal::new(connection),
            queue: RwSignal::new(QueueState::default()),
            pending: RwSignal::new(Vec::new()),
            drain: RwSignal::new(DrainEstimate::default()),
            current: RwSignal::new(None),
            runs: RwSignal::new(Vec::new()),
            preview: RwSignal::new(None),
            gpu: RwSignal::new(GpuState::default()),
            counters: RwSignal::new(Counters::default()),
            log: RwSignal::new(Vec::new()),
            last_update_ms: RwSignal::new(None),
            lifecycle: RwSignal::new(Vec::new()),
            server: RwSignal::new(None),
            extension: RwSignal::new(None),
            series: RwSignal::new(None),
        }
    }
}
