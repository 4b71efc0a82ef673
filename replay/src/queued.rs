//! Which prompts the recording client queued: the successful `POST /prompt`s of `actions.jsonl`,
//! and `prompts.json` for those it missed. Its own module so the trace loader uses it without
//! this module knowing frames (the loader says when the stream first mentions a prompt).

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// A prompt that the recording client queued with a successful `POST /prompt`.
#[derive(Debug, Clone)]
pub struct QueuedPrompt {
    pub at_ms: f64,
    pub prompt_id: String,
    pub number: Value,
    pub prompt: Box<RawValue>,
    pub client_id: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Action {
    pub(crate) t_mono_ms: Option<f64>,
    method: Option<String>,
    path: Option<String>,
    status: Option<u64>,
    request_body: Option<Box<RawValue>>,
    response: Option<Value>,
}

#[derive(Deserialize)]
struct PromptBody {
    /// Raw so `/queue` and `/history` show the prompt as it was posted.
    prompt: Option<Box<RawValue>>,
    client_id: Option<String>,
}

pub(crate) fn queued_prompts(actions: &[Action], origin: f64) -> Vec<QueuedPrompt> {
    actions
        .iter()
        .filter_map(|a| {
            let path = a.path.as_deref()?;
            if a.method.as_deref() != Some("POST")
                || !path.trim_end_matches('/').ends_with("/prompt")
                || a.status != Some(200)
            {
                return None;
            }
            let body: PromptBody = serde_json::from_str(a.request_body.as_ref()?.get()).ok()?;
            let response = a.response.as_ref()?;
            Some(QueuedPrompt {
                at_ms: a.t_mono_ms? - origin,
                prompt_id: response.get("prompt_id")?.as_str()?.to_owned(),
                number: response.get("number").cloned().unwrap_or(Value::Null),
                prompt: body.prompt.or_else(empty_object)?,
                client_id: body.client_id,
            })
        })
        .collect()
}

fn empty_object() -> Option<Box<RawValue>> {
    RawValue::from_string("{}".to_owned()).ok()
}

fn queued_from(request: &Value, response: &Value, at_ms: f64) -> Option<QueuedPrompt> {
    let prompt_id = response.get("prompt_id")?.as_str()?.to_owned();
    let prompt = request.get("prompt").cloned().unwrap_or(Value::Null);
    Some(QueuedPrompt {
        at_ms,
        prompt_id,
        number: response.get("number").cloned().unwrap_or(Value::Null),
        prompt: serde_json::value::to_raw_value(&prompt).ok()?,
        client_id: request
            .get("client_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// `prompts.json` has no times; its prompts only matter when `actions.jsonl` missed them, and are
/// then taken as queued when the stream first mentions them.
pub(crate) fn add_prompts_json(
    path: &Path,
    first_seen: impl Fn(&str) -> f64,
    prompts: &mut Vec<QueuedPrompt>,
) {
    if !path.is_file() {
        return;
    }
    let parsed: Option<Value> = fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let Some(Value::Object(map)) = parsed else {
        eprintln!("warning: {} is not a JSON object, ignored", path.display());
        return;
    };
    let known: HashSet<String> = prompts.iter().map(|p| p.prompt_id.clone()).collect();
    for entry in map.values() {
        if entry.get("status").and_then(Value::as_u64) != Some(200) {
            continue;
        }
        let (Some(req), Some(resp)) = (entry.get("request"), entry.get("response")) else {
            continue;
        };
        let Some(id) = resp.get("prompt_id").and_then(Value::as_str) else {
            continue;
        };
        if known.contains(id) {
            continue;
        }
        let first_seen = first_seen(id);
        if let Some(q) = queued_from(req, resp, first_seen) {
            prompts.push(q);
        }
    }
}
