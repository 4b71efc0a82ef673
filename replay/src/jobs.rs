//! `/api/jobs` as newer ComfyUI servers answer it (`comfy_execution/jobs.py`), built from the
//! playback state: pending and running prompts from the queue, finished ones from their history
//! entries. Off unless `--jobs` (0.3.64 has no such route, and answers 404). `--cancelled-job ID`
//! adds a job that was removed from the queue before it ran, as a server that records them shows
//! it: status `cancelled`, no execution times.
//!
//! The status rules are ComfyUI's: `status_str` "success" → completed; "error" → cancelled when
//! the messages hold `execution_interrupted`, else failed; execution times from the
//! `execution_start` and end messages.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::history::PromptRun;
use crate::reply::json;
use crate::{state, App};

pub async fn jobs(State(app): State<Arc<App>>) -> Response {
    if !app.config.jobs {
        return StatusCode::NOT_FOUND.into_response();
    }
    let q = state::queue(&app);
    let mut list: Vec<Value> = Vec::new();
    for run in &q.pending {
        list.push(queued(run, "pending"));
    }
    for run in &q.running {
        list.push(queued(run, "in_progress"));
    }
    for run in state::finished(&app) {
        list.push(finished(run));
    }
    for id in &app.config.cancelled_jobs {
        list.push(json!({"id": id, "status": "cancelled", "priority": 0,
                         "outputs_count": 0, "previewable_outputs_count": 0}));
    }
    let total = list.len();
    let body = json!({"jobs": list,
                      "pagination": {"offset": 0, "limit": total, "total": total, "has_more": false}});
    json(StatusCode::OK, body.to_string())
}

fn queued(run: &PromptRun, status: &str) -> Value {
    json!({"id": run.prompt_id, "status": status, "priority": run.number,
           "outputs_count": 0, "previewable_outputs_count": 0})
}

fn finished(run: &PromptRun) -> Value {
    let entry: Value = serde_json::from_str(run.entry.get()).unwrap_or(Value::Null);
    let status = &entry["status"];
    let mut start = None;
    let mut end = None;
    let mut error = None;
    let mut interrupted = false;
    for message in status["messages"].as_array().into_iter().flatten() {
        let (Some(name), data) = (message[0].as_str(), &message[1]) else {
            continue;
        };
        match name {
            "execution_start" => start = data["timestamp"].as_i64(),
            "execution_success" | "execution_error" | "execution_interrupted" => {
                end = data["timestamp"].as_i64();
                if name == "execution_error" {
                    error = Some(data.clone());
                }
                interrupted |= name == "execution_interrupted";
            }
            _ => {}
        }
    }
    let status = match status["status_str"].as_str() {
        Some("error") if interrupted => "cancelled",
        Some("error") => "failed",
        _ => "completed",
    };
    let outputs = entry["outputs"].as_object().map_or(0, |o| o.len());
    let mut job = json!({"id": run.prompt_id, "status": status, "priority": run.number,
                         "outputs_count": outputs, "previewable_outputs_count": outputs});
    if let Some(t) = start {
        job["execution_start_time"] = json!(t);
    }
    if let Some(t) = end {
        job["execution_end_time"] = json!(t);
    }
    if let Some(e) = error {
        job["execution_error"] = e;
    }
    job
}
