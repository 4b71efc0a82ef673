//! Reads the recorded trace format (`ws_*.jsonl`: one JSON object per line with `t_mono_ms`,
//! `kind` and `msg` or `b64`) so the same recordings drive native tests, the replay server's
//! peers and the in-browser demo.

use base64::Engine;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Text(String),
    Binary(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TraceFrame {
    /// Recorder's monotonic clock, ms.
    pub t_ms: f64,
    pub payload: Payload,
}

/// Frames of one trace file, in file order. Client-side markers (`open`, `sent`, `closed`) and
/// lines that cannot be read are skipped: a recording is input like any other.
pub fn parse_trace(jsonl: &str) -> Vec<TraceFrame> {
    jsonl.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<TraceFrame> {
    let v = crate::json::parse(line.trim()).ok()?;
    let t_ms = v.get("t_mono_ms").and_then(Value::as_f64)?;
    let payload = match v.get("kind")?.as_str()? {
        "text" => Payload::Text(crate::json::to_string(v.get("msg")?)),
        "binary" => Payload::Binary(
            base64::engine::general_purpose::STANDARD
                .decode(v.get("b64")?.as_str()?)
                .ok()?,
        ),
        _ => return None,
    };
    Some(TraceFrame { t_ms, payload })
}

/// Merges several files of one recording (a socket closed and reopened) by time.
pub fn merge(mut traces: Vec<Vec<TraceFrame>>) -> Vec<TraceFrame> {
    let mut all: Vec<TraceFrame> = traces.drain(..).flatten().collect();
    crate::sort::sort_by(&mut all, |a, b| a.t_ms.total_cmp(&b.t_ms));
    all
}
