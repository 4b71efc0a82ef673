//! A fake ComfyUI server that replays recorded WebSocket traces on one shared timeline and
//! answers ComfyUI's HTTP API from the playback state, so the dashboard can be tested and
//! demonstrated without a GPU or a real ComfyUI.

mod api;
mod control;
mod event;
mod extension;
mod held;
mod history;
mod hub;
mod jobs;
mod playback;
mod png;
mod pseudonym;
mod queued;
mod recorded;
mod reply;
mod router;
mod runlog;
mod state;
mod static_files;
mod timeline;
mod trace;
mod view;
mod ws;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use hub::Stream;

/// Everything the command line can set; tests build it directly.
#[derive(Debug, Clone)]
pub struct Config {
    pub fixtures: PathBuf,
    /// Scenario folder names in play order; empty means every scenario folder, alphabetically.
    pub scenarios: Vec<String>,
    pub speed: f64,
    pub looping: bool,
    pub gap_ms: u64,
    /// A built single-page app to serve; it then owns the root, so the API is only under `/api`.
    pub dist: Option<PathBuf>,
    pub base_path: String,
    pub telemetry: bool,
    /// `/telemetry` speaks the custom node's protocol (hello, catch-up, queued, gpu).
    pub extension: bool,
    /// What `/ws` sends: the observer stream is what a passive dashboard really gets.
    pub ws_stream: Stream,
    pub system_stats: bool,
    pub cors: bool,
    pub autostart: bool,
    /// Answer `/api/jobs` as newer servers do (`jobs.rs`); 0.3.64 answers 404.
    pub jobs: bool,
    /// Jobs listed as cancelled before they ran (with `jobs`).
    pub cancelled_jobs: Vec<String>,
    /// `POST /api/prompt` queues the prompt and holds it pending (see `held.rs`).
    pub hold_prompts: bool,
    /// Serve these run-log records at `/telemetry/runs` (`runlog.rs`); none: 404 there.
    pub runlog: Option<PathBuf>,
}

impl Config {
    pub fn new(fixtures: impl Into<PathBuf>) -> Self {
        Self {
            fixtures: fixtures.into(),
            scenarios: Vec::new(),
            speed: 1.0,
            looping: false,
            gap_ms: 1500,
            dist: None,
            base_path: "/".to_owned(),
            telemetry: true,
            extension: false,
            ws_stream: Stream::Observer,
            system_stats: true,
            cors: false,
            autostart: false,
            jobs: false,
            cancelled_jobs: Vec::new(),
            hold_prompts: false,
            runlog: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read fixtures directory {path}: {source}")]
    Fixtures {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("scenario {name}: {reason}")]
    Scenario { name: String, reason: String },
    #[error("no scenario with a ws_*.jsonl trace in {0}")]
    NoScenarios(PathBuf),
    #[error("run log {0}")]
    RunLog(String),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Loaded recordings plus the live state shared by every handler.
pub(crate) struct App {
    pub config: Config,
    pub names: Vec<String>,
    pub runs: Vec<Vec<history::PromptRun>>,
    pub schedule: Vec<Vec<event::Scheduled>>,
    pub timeline: timeline::Timeline,
    pub recorded: recorded::Recorded,
    pub view_files: HashSet<String>,
    pub png: Vec<u8>,
    pub hub: hub::Hub,
    pub playback: playback::Playback,
    pub outage: control::Outage,
    pub extension: extension::Info,
    pub held: held::Held,
    pub runlog: Option<runlog::RunLog>,
}

fn load(mut config: Config) -> Result<App, ReplayError> {
    config.base_path = normalize_base(&config.base_path);
    let names = if config.scenarios.is_empty() {
        trace::list_scenarios(&config.fixtures)?
    } else {
        config.scenarios.clone()
    };
    if names.is_empty() {
        return Err(ReplayError::NoScenarios(config.fixtures.clone()));
    }
    let scenarios = names
        .iter()
        .map(|n| trace::load_scenario(&config.fixtures, n))
        .collect::<Result<Vec<_>, _>>()?;
    let recorded = recorded::load(&config.fixtures.join("http"));
    let runs = scenarios
        .iter()
        .map(|s| history::prompt_runs(s, &recorded.history))
        .collect();
    let durations: Vec<f64> = scenarios.iter().map(|s| s.duration_ms).collect();
    let timeline = timeline::Timeline::new(
        &durations,
        config.speed,
        config.gap_ms as f64,
        config.looping,
    );
    let view_files = history::output_filenames(&scenarios, &recorded.history);
    let png = png::preview_png(&scenarios).unwrap_or_else(png::tiny_png);
    let schedule = scenarios
        .iter()
        .map(|s| playback::schedule_of(s, config.extension))
        .collect();
    let extension = extension::info(&recorded);
    let runlog = match &config.runlog {
        Some(path) => Some(runlog::RunLog::load(path).map_err(ReplayError::RunLog)?),
        None => None,
    };
    for s in &scenarios {
        eprintln!(
            "scenario {}: {} frames, {} observer frames, {} prompts, {:.0} ms",
            s.name,
            s.full.len(),
            s.observer.len(),
            s.prompts.len(),
            s.duration_ms
        );
    }
    Ok(App {
        config,
        names,
        runs,
        schedule,
        timeline,
        recorded,
        view_files,
        png,
        hub: hub::Hub::default(),
        playback: playback::Playback::default(),
        outage: control::Outage::default(),
        extension,
        held: held::Held::default(),
        runlog,
    })
}

fn normalize_base(base: &str) -> String {
    let trimmed = base.trim_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        format!("/{trimmed}/")
    }
}

/// Recordings loaded and checked, ready to serve. Loading first lets the binary report bad
/// fixtures before it announces that it is listening.
pub struct Server {
    app: Arc<App>,
}

impl Server {
    pub fn load(config: Config) -> Result<Self, ReplayError> {
        Ok(Self {
            app: Arc::new(load(config)?),
        })
    }

    /// Serves until the listener fails; the caller owns the listener so it can bind port 0 and
    /// learn the real port first.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> Result<(), ReplayError> {
        if self.app.config.autostart {
            playback::Playback::start_if_idle(&self.app);
        }
        axum::serve(listener, router::build(self.app)).await?;
        Ok(())
    }
}

pub async fn serve(config: Config, listener: tokio::net::TcpListener) -> Result<(), ReplayError> {
    Server::load(config)?.serve(listener).await
}

/// The first of the usual fixture locations that exists, relative to the current directory.
pub fn default_fixtures() -> PathBuf {
    ["../shared/fixtures/comfyui", "demo/recordings"]
        .iter()
        .map(Path::new)
        .find(|p| p.is_dir())
        .unwrap_or(Path::new("../shared/fixtures/comfyui"))
        .to_path_buf()
}
