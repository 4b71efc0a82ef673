//! A server run log for the replay (`--runlog FILE`), shaped like the extension's
//! `/telemetry/runs` (docs/telemetry-protocol.md, "Run log"): the records of FILE (a listing
//! body as the extension answers it) served newest first, paged with a cursor, one by id, and
//! deleted for good (in memory). Without `--runlog` every route answers 404, as a server
//! without the log does, so the page's detection is tested both ways.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::reply::json as reply;
use crate::App;

/// The records, newest first.
#[derive(Debug, Default)]
pub struct RunLog {
    runs: Mutex<Vec<Value>>,
}

impl RunLog {
    /// Reads a listing body (`{"runs": [...]}`) or a bare array of records.
    pub fn load(path: &Path) -> Result<RunLog, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let value: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut runs = match value {
            Value::Array(runs) => runs,
            mut other => match other.get_mut("runs").map(Value::take) {
                Some(Value::Array(runs)) => runs,
                _ => return Err(format!("{}: no \"runs\" list", path.display())),
            },
        };
        runs.retain(|r| r.get("prompt_id").and_then(Value::as_str).is_some());
        let start = |r: &Value| r.get("start_ms").and_then(Value::as_f64).unwrap_or(0.0);
        runs.sort_by(|a, b| start(b).total_cmp(&start(a)));
        Ok(RunLog {
            runs: Mutex::new(runs),
        })
    }

    fn runs(&self) -> std::sync::MutexGuard<'_, Vec<Value>> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn delete(&self, ids: &[&str]) -> usize {
        let mut runs = self.runs();
        let before = runs.len();
        runs.retain(|r| !ids.contains(&id_of(r)));
        before - runs.len()
    }
}

fn id_of(run: &Value) -> &str {
    run.get("prompt_id").and_then(Value::as_str).unwrap_or("")
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/telemetry/runs", get(list))
        .route("/telemetry/runs/delete", post(delete_many))
        .route("/telemetry/runs/{id}", get(one).delete(delete_one))
}

fn not_found() -> Response {
    reply(
        StatusCode::NOT_FOUND,
        r#"{"error": "no run log"}"#.to_owned(),
    )
}

fn bad(why: &str) -> Response {
    reply(StatusCode::BAD_REQUEST, json!({ "error": why }).to_string())
}

/// `limit` (1–500, default 50) and `cursor` (the previous page's `next_cursor`: the id of its
/// last run, so a run deleted meanwhile neither repeats nor skips a row).
async fn list(State(app): State<Arc<App>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(log) = &app.runlog else {
        return not_found();
    };
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 50,
        Some(Ok(n @ 1..=500)) => n,
        Some(_) => return bad("limit must be 1-500"),
    };
    let runs = log.runs();
    let from = match q.get("cursor") {
        None => 0,
        Some(c) => match runs.iter().position(|r| id_of(r) == c) {
            Some(at) => at + 1,
            None => return bad("unknown cursor"),
        },
    };
    let page: Vec<Value> = runs.iter().skip(from).take(limit).cloned().collect();
    let next = (from + page.len() < runs.len())
        .then(|| page.last().map(|r| id_of(r).to_owned()))
        .flatten();
    reply(
        StatusCode::OK,
        json!({ "runs": page, "next_cursor": next, "limit": limit }).to_string(),
    )
}

async fn one(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    let Some(log) = &app.runlog else {
        return not_found();
    };
    let found = log.runs().iter().find(|r| id_of(r) == id).cloned();
    match found {
        Some(run) => reply(StatusCode::OK, run.to_string()),
        None => not_found(),
    }
}

async fn delete_one(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    let Some(log) = &app.runlog else {
        return not_found();
    };
    match log.delete(&[id.as_str()]) {
        0 => reply(StatusCode::NOT_FOUND, r#"{"deleted": 0}"#.to_owned()),
        n => reply(StatusCode::OK, json!({ "deleted": n }).to_string()),
    }
}

/// Body `{"prompt_ids": [...]}`.
async fn delete_many(State(app): State<Arc<App>>, body: String) -> Response {
    let Some(log) = &app.runlog else {
        return not_found();
    };
    let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let Some(ids) = value.get("prompt_ids").and_then(Value::as_array) else {
        return bad("body must be {\"prompt_ids\": [...]}");
    };
    let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
    reply(
        StatusCode::OK,
        json!({ "deleted": log.delete(&ids) }).to_string(),
    )
}
