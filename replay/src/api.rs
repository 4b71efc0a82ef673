//! ComfyUI's HTTP API, answered from recordings and the playback state.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::Message;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::value::RawValue;

use crate::held::QueueEdit;
use crate::history::PromptRun;
use crate::reply::json;
use crate::{state, view, App};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/system_stats", get(system_stats))
        .route("/queue", get(queue).post(queue_post))
        .route("/prompt", get(prompt_info).post(prompt_post))
        .route("/history", get(history_list))
        .route("/history/{id}", get(history_one))
        .route("/view", get(view::view))
        .route("/interrupt", post(interrupt))
        .route("/features", get(features))
        .route("/jobs", get(crate::jobs::jobs))
        .route("/object_info", get(object_info_all))
        .route("/object_info/{class}", get(object_info_one))
        .merge(crate::runlog::routes())
}

/// The first path segments that belong to the API when it is also mounted at the root.
pub const ROOT_SEGMENTS: [&str; 9] = [
    "jobs",
    "system_stats",
    "queue",
    "prompt",
    "history",
    "view",
    "interrupt",
    "features",
    "object_info",
];

fn ok_json(body: String) -> Response {
    json(StatusCode::OK, body)
}

async fn system_stats(State(app): State<Arc<App>>) -> Response {
    if !app.config.system_stats {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    match &app.recorded.system_stats {
        Some(raw) => ok_json(raw.get().to_owned()),
        None => ok_json(
            r#"{"system":{"os":"posix","ram_total":0,"ram_free":0,"comfyui_version":"replay","python_version":"","pytorch_version":"","embedded_python":false,"argv":["comfy-replay"]},"devices":[]}"#
                .to_owned(),
        ),
    }
}

async fn features(State(app): State<Arc<App>>) -> Response {
    match &app.recorded.features {
        Some(raw) => ok_json(raw.get().to_owned()),
        None => {
            ok_json(r#"{"supports_preview_metadata":true,"max_upload_size":104857600}"#.to_owned())
        }
    }
}

fn items(runs: &[&PromptRun]) -> String {
    let parts: Vec<&str> = runs.iter().map(|r| r.queue_item.get()).collect();
    format!("[{}]", parts.join(","))
}

async fn queue(State(app): State<Arc<App>>) -> Response {
    let q = state::queue(&app);
    let mut pending: Vec<String> = q
        .pending
        .iter()
        .map(|r| r.queue_item.get().to_owned())
        .collect();
    pending.extend(app.held.items());
    ok_json(format!(
        r#"{{"queue_running":{},"queue_pending":[{}]}}"#,
        items(&q.running),
        pending.join(",")
    ))
}

fn remaining(app: &App) -> usize {
    state::queue(app).remaining() + app.held.len()
}

/// Tells every socket how many prompts are left, as ComfyUI does when its queue changes.
fn announce_queue(app: &App) {
    let n = remaining(app);
    let frame = format!(
        r#"{{"type":"status","data":{{"status":{{"exec_info":{{"queue_remaining":{n}}}}}}}}}"#
    );
    app.hub.broadcast(&Message::Text(frame.into()));
}

/// `POST /api/queue {"delete": [ids]}` or `{"clear": true}`: applies to held prompts (recorded
/// ones play as recorded). 200 whatever it removed, as ComfyUI answers.
async fn queue_post(State(app): State<Arc<App>>, body: String) -> StatusCode {
    let edit: QueueEdit = serde_json::from_str(&body).unwrap_or_default();
    let removed = app.held.edit(&edit);
    eprintln!("POST /queue: {removed} held prompt(s) removed");
    if removed > 0 {
        announce_queue(&app);
    }
    StatusCode::OK
}

async fn prompt_info(State(app): State<Arc<App>>) -> Response {
    let n = remaining(&app);
    ok_json(format!(r#"{{"exec_info":{{"queue_remaining":{n}}}}}"#))
}

async fn prompt_post(State(app): State<Arc<App>>, body: String) -> Response {
    if app.config.hold_prompts {
        return match app.held.post(&body) {
            Ok((id, number)) => {
                announce_queue(&app);
                let id = serde_json::Value::String(id);
                ok_json(format!(r#"{{"prompt_id":{id},"number":{number},"node_errors":{{}}}}"#))
            }
            Err(why) => json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": {"type": "invalid_prompt", "message": why, "details": "", "extra_info": {}}, "node_errors": {}}).to_string(),
            ),
        };
    }
    eprintln!("POST /prompt refused: replay only");
    json(
        StatusCode::BAD_REQUEST,
        r#"{"error":{"type":"replay_only","message":"this replay server does not execute prompts","details":"","extra_info":{}},"node_errors":{}}"#
            .to_owned(),
    )
}

async fn interrupt() -> StatusCode {
    eprintln!("POST /interrupt received (nothing to interrupt in a replay)");
    StatusCode::OK
}

fn entries<'a>(runs: impl Iterator<Item = &'a PromptRun>) -> String {
    let parts: Vec<String> = runs
        .map(|r| {
            let key = serde_json::Value::String(r.prompt_id.clone());
            format!("{key}:{}", r.entry.get())
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// Same selection as ComfyUI: without `offset` the last `max_items`, otherwise `max_items` from
/// `offset`, oldest first.
async fn history_list(
    State(app): State<Arc<App>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let done = state::finished(&app);
    let max_items = params
        .get("max_items")
        .and_then(|v| v.parse::<usize>().ok());
    let offset = params.get("offset").and_then(|v| v.parse::<i64>().ok());
    let start = match (offset, max_items) {
        (Some(o), _) if o >= 0 => o as usize,
        (_, Some(m)) => done.len().saturating_sub(m),
        _ => 0,
    };
    let take = max_items.unwrap_or(usize::MAX);
    ok_json(entries(done.into_iter().skip(start).take(take)))
}

async fn history_one(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let done = state::finished(&app);
    ok_json(entries(done.into_iter().filter(|r| r.prompt_id == id)))
}

async fn object_info_all(State(app): State<Arc<App>>) -> Response {
    let mut names: Vec<&String> = app.recorded.object_info.keys().collect();
    names.sort();
    let parts: Vec<String> = names
        .into_iter()
        .filter_map(|n| {
            let raw: &RawValue = app.recorded.object_info.get(n)?;
            Some(format!(
                "{}:{}",
                serde_json::Value::String(n.clone()),
                raw.get()
            ))
        })
        .collect();
    ok_json(format!("{{{}}}", parts.join(",")))
}

async fn object_info_one(State(app): State<Arc<App>>, Path(class): Path<String>) -> Response {
    match app.recorded.object_info.get(&class) {
        Some(raw) => ok_json(format!(
            "{{{}:{}}}",
            serde_json::Value::String(class.clone()),
            raw.get()
        )),
        None => ok_json("{}".to_owned()),
    }
}
