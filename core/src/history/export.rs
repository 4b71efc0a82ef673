//! Exports of stored runs: CSV for spreadsheets, JSON for backups that import back.

use super::query::format_iso;
use crate::format::MIB;
use crate::run::Run;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const JSON_FORMAT: &str = "comfy-dashboard-runs";
pub const JSON_VERSION: u32 = 1;

pub const CSV_COLUMNS: &[&str] = &[
    "run_id",
    "server",
    "status",
    "exit_reason",
    "workflow",
    "started_at",
    "ended_at",
    "duration_s",
    "queue_wait_s",
    "nodes_done",
    "nodes_total",
    "nodes_cached",
    "outputs",
    "output_files",
    "gpu",
    "vram_before_mb",
    "vram_after_mb",
    "vram_delta_mb",
    "vram_peak_mb",
    "history_attempts",
    "source",
    "error_type",
    "error_node",
    "error_message",
];

/// A text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) gets a
/// leading apostrophe, so a crafted filename or error text cannot execute on open.
fn text_cell(s: &str) -> String {
    let guarded = match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    };
    quote(&guarded)
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Through `fixed` (as `format!("{v:.N}")` writes it): `f64`'s `Display` would bring core's
/// float formatter into the history page (issue #22).
fn num(v: Option<f64>, decimals: u32) -> String {
    v.filter(|v| v.is_finite())
        .map(|v| crate::fixed_point::fixed(v, decimals))
        .unwrap_or_default()
}

/// The header line (with a BOM so Excel reads UTF-8), CRLF-terminated.
pub fn csv_header() -> String {
    format!("\u{feff}{}\r\n", CSV_COLUMNS.join(","))
}

/// One run as a CSV line, CRLF-terminated. Numbers are plain (no units); unknown is empty.
pub fn csv_row(run: &Run) -> String {
    let end = run.ended_at_ms.unwrap_or(run.last_update_ms);
    let error = run.error.as_ref();
    let mb = |b: Option<f64>| num(b.map(|b| b / MIB), 0);
    let cells = [
        text_cell(&run.prompt_id),
        text_cell(&run.server),
        run.status.as_str().to_owned(),
        super::record::exit_reason(run),
        text_cell(run.workflow.as_deref().unwrap_or("")),
        run.server_started_ms
            .map(|s| s as f64)
            .or(run.started_at_ms)
            .map(format_iso)
            .unwrap_or_default(),
        run.server_ended_ms
            .map(|s| s as f64)
            .or(run.ended_at_ms)
            .map(format_iso)
            .unwrap_or_default(),
        num(run.duration_ms(end).map(|d| d / 1000.0), 3),
        num(run.queue_wait_ms().map(|d| d / 1000.0), 3),
        run.nodes_done().to_string(),
        run.node_total.map(|t| t.to_string()).unwrap_or_default(),
        run.nodes_cached().to_string(),
        run.outputs.len().to_string(),
        text_cell(
            &run.outputs
                .iter()
                .filter(|o| !o.filename.is_empty())
                .map(|o| o.filename.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        text_cell(run.gpu_name.as_deref().unwrap_or("")),
        mb(run.vram_free_before),
        mb(run.vram_free_after),
        mb(run.vram_delta()),
        mb(run.vram_peak_used),
        run.follow
            .as_ref()
            .map(|f| f.attempts)
            .or(run.history_attempts)
            .map(|a| a.to_string())
            .unwrap_or_default(),
        format!("{:?}", run.source).to_ascii_lowercase(),
        text_cell(
            error
                .and_then(|e| e.exception_type.as_deref())
                .unwrap_or(""),
        ),
        text_cell(error.and_then(|e| e.node_id.as_deref()).unwrap_or("")),
        text_cell(
            error
                .and_then(|e| e.exception_message.as_deref())
                .unwrap_or("")
                .trim_end(),
        ),
    ];
    format!("{}\r\n", cells.join(","))
}

pub fn csv(runs: &[Run]) -> String {
    let mut out = csv_header();
    for r in runs {
        out.push_str(&csv_row(r));
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    pub format: String,
    pub version: u32,
    pub exported_at: String,
    pub count: usize,
    pub runs: Vec<Run>,
}

pub fn json(mut runs: Vec<Run>, now_ms: f64) -> String {
    // Records stored before the page kept only labels may hold a raw client id: never exported.
    for run in &mut runs {
        if let Some(id) = &run.client_id {
            run.client_id = Some(crate::protocol::client_label::client_label(id));
        }
    }
    // `Backup`'s shape, written by the store's hand-written form (`stored_form`): serde's
    // derive for the run types would be a second serializer per type in the wasm.
    let mut backup = serde_json::Map::new();
    backup.insert("format".into(), JSON_FORMAT.into());
    backup.insert("version".into(), JSON_VERSION.into());
    backup.insert("exported_at".into(), format_iso(now_ms).into());
    backup.insert("count".into(), runs.len().into());
    let runs = runs.iter().map(super::stored_form::run_to_value).collect();
    backup.insert("runs".into(), Value::Array(runs));
    crate::json::to_string_pretty(&Value::Object(backup))
}

/// A file name without characters that some systems refuse (the React export used ":").
pub fn file_name(prefix: &str, now_ms: f64, ext: &str) -> String {
    let stamp: String = format_iso(now_ms)
        .chars()
        .take(19)
        .map(|c| if c == ':' { '-' } else { c })
        .collect();
    format!("{prefix}-{stamp}.{ext}")
}
