//! Replays the recorded ComfyUI traces through decoder and tracker, as the dashboard would.
#![allow(dead_code)]

pub mod server;

use std::path::PathBuf;
use telemetry_core::protocol::http::{decode_history, HistoryEntry};
use telemetry_core::trace::{merge, parse_trace, Payload, TraceFrame};
use telemetry_core::tracker::Change;
use telemetry_core::{decode_binary, decode_text, DecodeError, ServerMessage, Tracker};

pub fn fixtures() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/comfyui");
    assert!(
        dir.is_dir(),
        "recorded fixtures not found at {}: clone the repository beside shared/",
        dir.display()
    );
    dir
}

/// Every scenario folder with a WebSocket recording.
pub fn scenarios() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures dir readable")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter(|e| {
            std::fs::read_dir(e.path())
                .map(|files| {
                    files.filter_map(|f| f.ok()).any(|f| {
                        let name = f.file_name().to_string_lossy().to_string();
                        name.starts_with("ws_") && name.ends_with(".jsonl")
                    })
                })
                .unwrap_or(false)
        })
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

pub fn trace_files(scenario: &str, prefix: &str) -> Vec<PathBuf> {
    let dir = fixtures().join(scenario);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenario dir readable")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .map(|n| {
                    n.to_string_lossy().starts_with(prefix)
                        && n.to_string_lossy().ends_with(".jsonl")
                })
                .unwrap_or(false)
        })
        .collect();
    files.sort();
    files
}

pub fn frames(scenario: &str, prefix: &str) -> Vec<TraceFrame> {
    merge(
        trace_files(scenario, prefix)
            .iter()
            .map(|p| parse_trace(&std::fs::read_to_string(p).expect("trace readable")))
            .collect(),
    )
}

pub fn decode(frame: &TraceFrame) -> Result<ServerMessage, DecodeError> {
    match &frame.payload {
        Payload::Text(t) => decode_text(t),
        Payload::Binary(b) => decode_binary(b),
    }
}

pub struct Replay {
    pub tracker: Tracker,
    pub messages: Vec<ServerMessage>,
    pub changes: Vec<Change>,
    pub errors: Vec<DecodeError>,
    pub queue_seen: Vec<u32>,
}

pub fn replay_frames(frames: &[TraceFrame]) -> Replay {
    let mut tracker = Tracker::new("http://127.0.0.1:8188");
    let mut messages = Vec::new();
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    let mut queue_seen = Vec::new();
    for frame in frames {
        match decode(frame) {
            Ok(msg) => {
                tracker.apply(&msg, frame.t_ms, &mut changes);
                if let ServerMessage::Status(s) = &msg {
                    if let Some(n) = s.queue_remaining {
                        queue_seen.push(n);
                    }
                }
                messages.push(msg);
            }
            Err(e) => {
                tracker.record_malformed(e.clone(), &mut changes);
                errors.push(e);
            }
        }
    }
    Replay {
        tracker,
        messages,
        changes,
        errors,
        queue_seen,
    }
}

pub fn replay(scenario: &str, prefix: &str) -> Replay {
    replay_frames(&frames(scenario, prefix))
}

/// The runs of the six recorded scenarios as the submitter's stream shows them.
pub fn scenario_runs() -> Vec<telemetry_core::run::Run> {
    let mut runs = Vec::new();
    for s in [
        "a_success",
        "b_cached",
        "c_error",
        "d_interrupted",
        "e_queue3",
        "f_preview_metadata",
    ] {
        runs.extend(
            replay(s, "ws_submitter")
                .tracker
                .runs()
                .into_iter()
                .cloned(),
        );
    }
    runs
}

pub fn http_body(name: &str) -> String {
    let raw = std::fs::read_to_string(fixtures().join("http").join(name)).expect("http fixture");
    let v: serde_json::Value = serde_json::from_str(&raw).expect("http fixture json");
    v.get("body").expect("body").to_string()
}

pub fn history(name: &str) -> Vec<HistoryEntry> {
    decode_history(&http_body(name)).expect("history decodes")
}
