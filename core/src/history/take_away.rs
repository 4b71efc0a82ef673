//! A run to take away: its prompt as ComfyUI's API JSON (what `POST /prompt` takes as
//! `prompt`), so a run seen on the dashboard can be queued again or shared. Read from the
//! server's `/history/<id>` entry (the queue item's third element), never rebuilt from what the
//! dashboard saw. Credentials never leave: the prompt's `extra_data` (where ComfyUI keeps the
//! Comfy.org key and token) is not part of it, and any input whose name says it holds a secret
//! has its value replaced.

use serde_json::Value;
use thiserror::Error;

/// What replaces a secret's value.
pub const REMOVED: &str = "[removed]";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TakeAwayError {
    #[error("the server's answer is not JSON")]
    NotJson,
    #[error("the server no longer has this run in its history")]
    NotInHistory,
    #[error("the server's history entry has no prompt")]
    NoPrompt,
}

/// Input names that hold secrets: ComfyUI's hidden Comfy.org inputs
/// (`SENSITIVE_EXTRA_DATA_KEYS`) and the usual names API nodes give keys and tokens.
fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "api_key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "credential",
    ]
    .iter()
    .any(|s| n.contains(s))
        || n == "authorization"
        || n == "auth"
}

/// Replaces every secret-named value at any depth; returns how many were replaced.
pub fn remove_secrets(value: &mut Value) -> usize {
    match value {
        Value::Object(map) => map
            .iter_mut()
            .map(|(k, v)| {
                if is_secret(k) && !v.is_null() {
                    *v = Value::String(REMOVED.into());
                    1
                } else {
                    remove_secrets(v)
                }
            })
            .sum(),
        Value::Array(items) => items.iter_mut().map(remove_secrets).sum(),
        _ => 0,
    }
}

/// The prompt of `prompt_id` from a `/history/<id>` (or `/history`) body, secrets removed,
/// as JSON with one node a line, in their id order (no pretty printer: it costs the page bytes).
pub fn api_prompt(history_body: &str, prompt_id: &str) -> Result<String, TakeAwayError> {
    let body = crate::json::parse(history_body).map_err(|_| TakeAwayError::NotJson)?;
    let entry = body.get(prompt_id).ok_or(TakeAwayError::NotInHistory)?;
    let mut prompt = entry
        .get("prompt")
        .and_then(|p| p.get(2))
        .filter(|p| p.is_object())
        .cloned()
        .ok_or(TakeAwayError::NoPrompt)?;
    remove_secrets(&mut prompt);
    let mut nodes: Vec<(String, Value)> = match prompt {
        Value::Object(map) => map.into_iter().collect(),
        _ => Vec::new(),
    };
    // Written by hand: serde_json's map sorts keys as text ("10" before "2").
    crate::sort::sort_by(&mut nodes, |a, b| crate::run::node_order(&a.0, &b.0));
    let mut out = String::from("{");
    for (i, (id, node)) in nodes.iter().enumerate() {
        out.push_str(if i == 0 { "\n  " } else { ",\n  " });
        crate::json::write_str(&mut out, id);
        out.push_str(": ");
        crate::json::write_value(&mut out, node);
    }
    out.push_str("\n}\n");
    Ok(out)
}

/// `prompt-<first 8 of the id>.json`, safe as a file name whatever the id holds.
pub fn file_name(prompt_id: &str) -> String {
    let short: String = prompt_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(8)
        .collect();
    format!(
        "prompt-{}.json",
        if short.is_empty() { "run" } else { &short }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn history(prompt: Value) -> String {
        json!({"P": {"prompt": [0, "P", prompt, {"client_id": "abc", "api_key_comfy_org": "sk-live"}, ["9"]],
                     "outputs": {}, "status": {"status_str": "success"}}})
        .to_string()
    }

    #[test]
    fn the_prompt_comes_out_as_api_json_in_node_order() {
        let body = history(
            json!({"10": {"class_type": "Save", "inputs": {"images": ["2", 0]}},
                                  "2": {"class_type": "KSampler", "inputs": {"seed": 7, "steps": 20}}}),
        );
        let text = api_prompt(&body, "P").unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["2"]["inputs"]["seed"], 7);
        assert!(
            text.find("\"2\"").unwrap() < text.find("\"10\"").unwrap(),
            "node order"
        );
        assert!(
            !text.contains("sk-live") && !text.contains("abc"),
            "extra_data stays behind"
        );
    }

    #[test]
    fn secrets_are_removed_at_any_depth_and_other_inputs_kept() {
        let body = history(json!({"1": {"class_type": "OpenAIChat", "inputs": {
            "api_key": "sk-abc", "prompt": "a cat", "seed": 1,
            "options": {"Authorization": "Bearer x", "nested": [{"auth_token_comfy_org": "t"}]}}}}));
        let text = api_prompt(&body, "P").unwrap();
        for secret in ["sk-abc", "Bearer x", "\"t\""] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["1"]["inputs"]["prompt"], "a cat");
        assert_eq!(back["1"]["inputs"]["api_key"], REMOVED);
        assert_eq!(back["1"]["inputs"]["seed"], 1);
    }

    #[test]
    fn an_unknown_run_or_a_broken_answer_is_an_error_not_a_panic() {
        assert_eq!(api_prompt("{}", "P"), Err(TakeAwayError::NotInHistory));
        assert_eq!(api_prompt("not json", "P"), Err(TakeAwayError::NotJson));
        assert_eq!(
            api_prompt(r#"{"P": {"prompt": [0, "P"]}}"#, "P"),
            Err(TakeAwayError::NoPrompt)
        );
        assert_eq!(api_prompt(r#"{"P": 5}"#, "P"), Err(TakeAwayError::NoPrompt));
        assert_eq!(file_name("../../x y"), "prompt-xy.json");
        assert_eq!(file_name("f265f327-46cd"), "prompt-f265f327.json");
    }
}
