//! Imports: our own JSON backups, and the React pipeline's `artifact-metadata.json` (one run
//! per scene, its queue policy, GPU and fallback notes mapped onto our fields).

use super::export::JSON_FORMAT;
use super::query::parse_iso;
use crate::follow::{ExitReason, FollowRecord, QueuePolicy};
use crate::format::MIB;
use crate::protocol::ExecutionError;
use crate::run::{Run, RunSource, RunStatus};
use serde_json::{Map, Value};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ImportError {
    #[error("the file is not JSON: {0}")]
    NotJson(String),
    #[error("this is not a dashboard backup or a gemDirect1 artifact-metadata.json")]
    UnknownFormat,
    #[error("the backup is version {0}, newer than this dashboard understands")]
    TooNew(u32),
    #[error("the file holds no runs")]
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Backup,
    GemDirect,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub kind: ImportKind,
    pub runs: Vec<Run>,
    /// Entries that could not be read and were skipped.
    pub skipped: usize,
}

pub const GEMDIRECT_SERVER: &str = "gemDirect1";

/// Reads either format, deciding by content, not file name.
pub fn import(text: &str) -> Result<Imported, ImportError> {
    let value = crate::json::parse(text.trim_start_matches('\u{feff}'))
        .map_err(|e| ImportError::NotJson(e.to_string()))?;
    let imported = if value.get("format").and_then(Value::as_str) == Some(JSON_FORMAT) {
        backup(value)?
    } else if value.get("Scenes").is_some_and(Value::is_array) {
        gemdirect(&value)
    } else if let Value::Array(items) = value {
        runs_of(items, ImportKind::Backup)
    } else {
        return Err(ImportError::UnknownFormat);
    };
    if imported.runs.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(imported)
}

fn runs_of(items: Vec<Value>, kind: ImportKind) -> Imported {
    let total = items.len();
    let runs: Vec<Run> = items
        .into_iter()
        .filter_map(|v| super::stored_form::run_from_value(&v))
        .collect();
    Imported {
        kind,
        skipped: total - runs.len(),
        runs,
    }
}

fn backup(value: Value) -> Result<Imported, ImportError> {
    let version = value.get("version").and_then(Value::as_u64).unwrap_or(1) as u32;
    if version > super::export::JSON_VERSION {
        return Err(ImportError::TooNew(version));
    }
    // Runs are read one by one so that one damaged entry does not lose the rest.
    let items = match value.get("runs") {
        Some(Value::Array(items)) => items.clone(),
        _ => return Err(ImportError::UnknownFormat),
    };
    Ok(runs_of(items, ImportKind::Backup))
}

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

fn num(m: &Map<String, Value>, k: &str) -> Option<f64> {
    m.get(k).and_then(crate::protocol::number_of)
}

fn gemdirect(value: &Value) -> Imported {
    let empty = Map::new();
    let top = value.as_object().unwrap_or(&empty);
    let run_id = text(top, "RunId").unwrap_or_else(|| "run".into());
    let run_end = text(top, "Timestamp").and_then(|t| parse_iso(&t));
    let qc = top
        .get("QueueConfig")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let base_policy = QueuePolicy::default();
    let knob =
        |m: &Map<String, Value>, k: &str, d: u32| num(m, k).map(|v| v.max(0.0) as u32).unwrap_or(d);
    let mut runs = Vec::new();
    let mut skipped = 0;
    for scene in top
        .get("Scenes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(scene) = scene.as_object() else {
            skipped += 1;
            continue;
        };
        let Some(scene_id) = text(scene, "SceneId") else {
            skipped += 1;
            continue;
        };
        let tel = scene
            .get("Telemetry")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let gpu = tel.get("GPU").and_then(Value::as_object).unwrap_or(&empty);
        let prompt_id = text(scene, "PromptId").unwrap_or_else(|| format!("{run_id}/{scene_id}"));
        let duration_s = num(tel, "DurationSeconds").or_else(|| num(scene, "DurationSeconds"));
        let ended = text(tel, "QueueEnd")
            .and_then(|t| parse_iso(&t))
            .or(run_end);
        let started = text(tel, "QueueStart")
            .and_then(|t| parse_iso(&t))
            .or_else(|| Some(ended? - duration_s? * 1000.0));
        let seen = started.or(ended).unwrap_or(0.0);
        let mut run = Run::new(GEMDIRECT_SERVER, &prompt_id, RunSource::Seed, seen);
        run.status = match scene.get("Success").and_then(Value::as_bool) {
            Some(true) => RunStatus::Succeeded,
            Some(false) => RunStatus::Failed,
            None => RunStatus::Unknown,
        };
        run.client_id = text(scene, "ClientId");
        run.started_at_ms = started;
        run.ended_at_ms = ended;
        run.last_update_ms = ended.unwrap_or(seen);
        run.reported_duration_s = duration_s;
        run.workflow = Some(format!(
            "gemDirect1 {}",
            text(scene, "SceneTitle").unwrap_or_else(|| "scene".into())
        ));
        run.history_attempts = num(tel, "HistoryAttempts")
            .or_else(|| num(scene, "HistoryAttempts"))
            .map(|a| a as u32);
        run.gpu_name = text(gpu, "Name").filter(|n| n != "Unknown");
        run.vram_total = num(gpu, "VramTotal");
        run.vram_free_before =
            num(gpu, "VramFreeBefore").or_else(|| num(gpu, "VramBeforeMB").map(|m| m * MIB));
        run.vram_free_after =
            num(gpu, "VramFreeAfter").or_else(|| num(gpu, "VramAfterMB").map(|m| m * MIB));
        run.reported_vram_delta =
            num(gpu, "VramDelta").or_else(|| num(gpu, "VramDeltaMB").map(|m| m * MIB));
        let policy = QueuePolicy {
            max_wait_s: knob(
                tel,
                "MaxWaitSeconds",
                knob(qc, "HistoryMaxWaitSeconds", base_policy.max_wait_s),
            ),
            poll_interval_s: knob(
                tel,
                "PollIntervalSeconds",
                knob(
                    qc,
                    "HistoryPollIntervalSeconds",
                    base_policy.poll_interval_s,
                ),
            ),
            max_attempts: knob(
                tel,
                "HistoryAttemptLimit",
                knob(qc, "HistoryMaxAttempts", base_policy.max_attempts),
            ),
            post_execution_timeout_s: knob(
                tel,
                "PostExecutionTimeoutSeconds",
                knob(
                    qc,
                    "PostExecutionTimeoutSeconds",
                    base_policy.post_execution_timeout_s,
                ),
            ),
            retry_budget: knob(
                tel,
                "SceneRetryBudget",
                knob(qc, "SceneRetryBudget", base_policy.retry_budget),
            ),
        };
        let mut follow = FollowRecord::new(policy, seen);
        follow.attempts = run.history_attempts.unwrap_or(0);
        follow.waited_ms = None;
        follow.exit = text(tel, "HistoryExitReason")
            .and_then(|e| ExitReason::parse(&e))
            .or_else(|| {
                (tel.get("HistoryPostExecutionTimeoutReached")
                    .and_then(Value::as_bool)
                    == Some(true))
                .then_some(ExitReason::PostExecution)
            });
        run.follow = Some(follow);
        let list = |m: &Map<String, Value>, k: &str| -> Vec<String> {
            m.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let system = tel
            .get("System")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        run.notes = list(system, "FallbackNotes");
        run.notes.extend(list(scene, "Warnings"));
        let errors = list(scene, "Errors");
        if run.status == RunStatus::Failed || !errors.is_empty() {
            run.error = (!errors.is_empty()).then(|| ExecutionError {
                prompt_id: prompt_id.clone(),
                node_id: None,
                node_type: None,
                exception_type: Some("PipelineError".into()),
                exception_message: Some(errors.join("; ")),
                traceback: Vec::new(),
                executed: Vec::new(),
                timestamp: None,
            });
        }
        runs.push(run);
    }
    Imported {
        kind: ImportKind::GemDirect,
        runs,
        skipped,
    }
}
