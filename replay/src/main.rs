//! `comfy-replay`: run the fake ComfyUI from the command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use comfy_replay::{default_fixtures, Config, Server, Stream};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum WsStream {
    /// What a passive dashboard gets from stock ComfyUI: mostly status broadcasts.
    Observer,
    /// Everything the submitting client saw.
    Submitter,
}

/// Replays recorded ComfyUI WebSocket traces and answers ComfyUI's HTTP API.
#[derive(Debug, Parser)]
#[command(name = "comfy-replay", version)]
struct Cli {
    /// Recordings folder [default: ../shared/fixtures/comfyui or demo/recordings, whichever exists].
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Scenario folders to play, in order [default: all, alphabetically].
    #[arg(long, value_delimiter = ',')]
    scenario: Vec<String>,
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 8188)]
    port: u16,
    /// Playback speed factor (2 = twice as fast).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Start again from the first scenario after the last one.
    #[arg(long = "loop")]
    looping: bool,
    /// Pause between scenarios, in real milliseconds.
    #[arg(long, default_value_t = 1500)]
    gap_ms: u64,
    /// Built dashboard to serve; the API then lives under /api only.
    #[arg(long)]
    dist: Option<PathBuf>,
    /// URL path the dashboard is served under.
    #[arg(long, default_value = "/")]
    base_path: String,
    /// Answer 404 on /telemetry so a dashboard falls back to /ws.
    #[arg(long)]
    no_telemetry: bool,
    /// Make /telemetry behave like the comfyui_telemetry custom node: telemetry.hello and a
    /// catch-up replay on connect, telemetry.queued and telemetry.gpu.
    #[arg(long)]
    extension: bool,
    /// What /ws sends.
    #[arg(long, value_enum, default_value = "observer")]
    ws_stream: WsStream,
    /// Answer /system_stats with 500.
    #[arg(long)]
    no_system_stats: bool,
    /// Send CORS headers on every response, like ComfyUI's flag of the same name.
    #[arg(long)]
    enable_cors_header: bool,
    /// Start playback now instead of at the first WebSocket connection.
    #[arg(long)]
    autostart: bool,
    /// Answer /api/jobs as ComfyUI servers newer than 0.3.64 do.
    #[arg(long)]
    jobs: bool,
    /// With --jobs: also list this prompt id as a job cancelled before it ran (repeatable).
    #[arg(long = "cancelled-job")]
    cancelled_jobs: Vec<String>,
    /// Queue what `POST /api/prompt` posts and hold it pending (it never runs) until
    /// `POST /api/queue` deletes or clears it.
    #[arg(long)]
    hold_prompts: bool,
    /// Serve the run-log records in this JSON file at /api/telemetry/runs, as the extension's
    /// run log does (a listing body or a list of records); without it that route answers 404.
    #[arg(long)]
    runlog: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if !(cli.speed.is_finite() && cli.speed > 0.0) {
        eprintln!("error: --speed must be a positive number");
        return ExitCode::from(2);
    }
    let mut config = Config::new(cli.fixtures.unwrap_or_else(default_fixtures));
    config.scenarios = cli
        .scenario
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    config.speed = cli.speed;
    config.looping = cli.looping;
    config.gap_ms = cli.gap_ms;
    config.dist = cli.dist;
    config.base_path = cli.base_path;
    config.telemetry = !cli.no_telemetry;
    config.extension = cli.extension;
    config.ws_stream = match cli.ws_stream {
        WsStream::Observer => Stream::Observer,
        WsStream::Submitter => Stream::Full,
    };
    config.system_stats = !cli.no_system_stats;
    config.cors = cli.enable_cors_header;
    config.autostart = cli.autostart;
    config.jobs = cli.jobs;
    config.cancelled_jobs = cli.cancelled_jobs;
    config.hold_prompts = cli.hold_prompts;
    config.runlog = cli.runlog;

    let server = match Server::load(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind((cli.host.as_str(), cli.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}:{}: {e}", cli.host, cli.port);
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().map_or(cli.port, |a| a.port());
    let host = if cli.host.contains(':') {
        format!("[{}]", cli.host)
    } else {
        cli.host.clone()
    };
    let mut out = std::io::stdout().lock();
    // Scripts wait for this exact line to learn the port.
    let _ = writeln!(out, "listening on http://{host}:{port}");
    let _ = out.flush();
    drop(out);

    tokio::select! {
        r = server.serve(listener) => match r {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}
