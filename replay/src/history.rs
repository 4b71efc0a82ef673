//! Each queued prompt's life (queued, running, finished) and its `/history` entry.
//!
//! Everything is derived from the full stream, even when clients are served the observer stream:
//! a real server knows its queue whatever a given socket is told.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::trace::{Frame, Payload, QueuedPrompt, Scenario};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Error,
    Interrupted,
}

/// Times are recorded milliseconds since the scenario origin (not scaled by speed).
#[derive(Debug, Clone)]
pub struct PromptRun {
    pub prompt_id: String,
    pub queued_ms: f64,
    pub started_ms: f64,
    pub ended_ms: f64,
    /// `[number, prompt_id, prompt, extra_data, outputs_to_execute]`, as `/queue` and `/history`
    /// show it.
    pub queue_item: Box<RawValue>,
    pub number: f64,
    pub entry: Box<RawValue>,
}

const END_EVENTS: [&str; 3] = [
    "execution_success",
    "execution_error",
    "execution_interrupted",
];
const HISTORY_EVENTS: [&str; 5] = [
    "execution_start",
    "execution_cached",
    "execution_success",
    "execution_error",
    "execution_interrupted",
];

#[derive(Serialize)]
struct QueueItem<'a>(
    &'a Value,
    &'a str,
    &'a RawValue,
    BTreeMap<&'a str, &'a str>,
    Vec<String>,
);

#[derive(Serialize)]
struct Entry<'a> {
    prompt: &'a RawValue,
    outputs: BTreeMap<String, &'a RawValue>,
    status: Status<'a>,
    meta: BTreeMap<String, Meta>,
}

#[derive(Serialize)]
struct Status<'a> {
    status_str: &'static str,
    completed: bool,
    messages: Vec<(&'a str, &'a RawValue)>,
}

#[derive(Serialize)]
struct Meta {
    node_id: String,
    display_node: String,
    parent_node: Option<String>,
    real_node_id: String,
}

pub fn prompt_runs(
    scenario: &Scenario,
    recorded: &HashMap<String, Box<RawValue>>,
) -> Vec<PromptRun> {
    let mut queued = scenario.prompts.clone();
    // A recording without the client's actions still shows prompts starting.
    let mut known: HashSet<String> = queued.iter().map(|q| q.prompt_id.clone()).collect();
    for f in &scenario.full {
        let Payload::Text { msg, .. } = &f.payload else {
            continue;
        };
        let Some(id) = msg.prompt_id().filter(|_| msg.kind == "execution_start") else {
            continue;
        };
        if known.insert(id.to_owned()) {
            if let Ok(prompt) = RawValue::from_string("{}".to_owned()) {
                queued.push(QueuedPrompt {
                    at_ms: f.at_ms,
                    prompt_id: id.to_owned(),
                    number: Value::from(queued.len()),
                    prompt,
                    client_id: None,
                });
            }
        }
    }
    queued
        .iter()
        .filter_map(|q| run_of(&scenario.full, scenario.duration_ms, q, recorded))
        .collect()
}

fn run_of(
    full: &[Frame],
    duration_ms: f64,
    queued: &QueuedPrompt,
    recorded: &HashMap<String, Box<RawValue>>,
) -> Option<PromptRun> {
    let id = queued.prompt_id.as_str();
    let number = &queued.number;
    let prompt: &RawValue = &queued.prompt;
    let client_id = queued.client_id.as_deref();
    let mut started = None;
    let mut ended = None;
    let mut last_seen = None;
    let mut outcome = Outcome::Success;
    let mut messages: Vec<(&str, &RawValue)> = Vec::new();
    let mut outputs: BTreeMap<String, &RawValue> = BTreeMap::new();
    let mut meta: BTreeMap<String, Meta> = BTreeMap::new();
    let mut executed_nodes: Vec<String> = Vec::new();

    for f in full {
        let Payload::Text { msg, .. } = &f.payload else {
            continue;
        };
        if msg.prompt_id() != Some(id) {
            continue;
        }
        last_seen = Some(f.at_ms);
        let kind = msg.kind.as_str();
        if kind == "execution_start" && started.is_none() {
            started = Some(f.at_ms);
        }
        if HISTORY_EVENTS.contains(&kind) {
            if let Some(raw) = &msg.data_raw {
                messages.push((kind, raw));
            }
        }
        let finishes = END_EVENTS.contains(&kind)
            || (kind == "executing" && msg.data.get("node").is_some_and(Value::is_null));
        if finishes && ended.is_none() {
            ended = Some(f.at_ms);
        }
        match kind {
            "execution_error" => outcome = Outcome::Error,
            "execution_interrupted" => outcome = Outcome::Interrupted,
            "executed" => {
                if let Some(node) = node_str(msg.data.get("node")) {
                    if let Some(out) = output_raw(msg.data_raw.as_deref()) {
                        outputs.insert(node.clone(), out);
                    }
                    let display = node_str(msg.data.get("display_node")).unwrap_or(node.clone());
                    meta.insert(
                        node.clone(),
                        Meta {
                            node_id: node.clone(),
                            display_node: display,
                            parent_node: None,
                            real_node_id: node.clone(),
                        },
                    );
                    executed_nodes.push(node);
                }
            }
            _ => {}
        }
    }

    let queued_ms = queued.at_ms.max(0.0);
    let started_ms = started.unwrap_or(queued_ms).max(queued_ms);
    let ended_ms = ended
        .or(last_seen.filter(|t| *t > started_ms))
        .or_else(|| first_idle_status(full, started_ms))
        .unwrap_or(duration_ms)
        .max(started_ms);

    let prompt_value: Value = serde_json::from_str(prompt.get()).unwrap_or(Value::Null);
    let mut outputs_to_execute = sink_nodes(&prompt_value);
    outputs_to_execute.extend(executed_nodes);
    outputs_to_execute.sort();
    outputs_to_execute.dedup();
    let mut extra = BTreeMap::new();
    if let Some(c) = client_id {
        extra.insert("client_id", c);
    }
    let queue_item =
        serde_json::value::to_raw_value(&QueueItem(number, id, prompt, extra, outputs_to_execute))
            .ok()?;
    let entry = match recorded.get(id) {
        Some(r) => r.clone(),
        None => serde_json::value::to_raw_value(&Entry {
            prompt: &queue_item,
            outputs,
            status: Status {
                status_str: if outcome == Outcome::Success {
                    "success"
                } else {
                    "error"
                },
                completed: outcome == Outcome::Success,
                messages,
            },
            meta,
        })
        .ok()?,
    };
    Some(PromptRun {
        prompt_id: id.to_owned(),
        queued_ms,
        started_ms,
        ended_ms,
        number: number.as_f64().unwrap_or(0.0),
        queue_item,
        entry,
    })
}

fn node_str(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn output_raw(data: Option<&RawValue>) -> Option<&RawValue> {
    #[derive(serde::Deserialize)]
    struct Executed<'a> {
        #[serde(borrow)]
        output: Option<&'a RawValue>,
    }
    let parsed: Executed = serde_json::from_str(data?.get()).ok()?;
    parsed.output
}

/// Prompts posted without a client_id produce no end event at all, only a final idle status.
fn first_idle_status(full: &[Frame], after_ms: f64) -> Option<f64> {
    full.iter()
        .filter(|f| f.at_ms > after_ms)
        .find(|f| match &f.payload {
            Payload::Text { msg, .. } => {
                msg.kind == "status"
                    && msg
                        .data
                        .pointer("/status/exec_info/queue_remaining")
                        .and_then(Value::as_u64)
                        == Some(0)
            }
            Payload::Binary(_) => false,
        })
        .map(|f| f.at_ms)
}

/// The API prompt does not say which nodes are outputs; the nodes nothing consumes are.
fn sink_nodes(prompt: &Value) -> Vec<String> {
    let Some(nodes) = prompt.as_object() else {
        return Vec::new();
    };
    let mut referenced = HashSet::new();
    for node in nodes.values() {
        if let Some(inputs) = node.get("inputs").and_then(Value::as_object) {
            for v in inputs.values() {
                if let Some(Value::String(src)) = v.as_array().and_then(|a| a.first()) {
                    referenced.insert(src.clone());
                }
            }
        }
    }
    let mut sinks: Vec<String> = nodes
        .keys()
        .filter(|k| !referenced.contains(*k))
        .cloned()
        .collect();
    sinks.sort();
    sinks
}

/// Every `filename` mentioned in outputs, so `/view` knows which images "exist".
pub fn output_filenames(
    scenarios: &[Scenario],
    recorded: &HashMap<String, Box<RawValue>>,
) -> HashSet<String> {
    let mut names = HashSet::new();
    for s in scenarios {
        for f in &s.full {
            if let Payload::Text { msg, .. } = &f.payload {
                if msg.kind == "executed" {
                    if let Some(out) = msg.data.get("output") {
                        collect_filenames(out, &mut names);
                    }
                }
            }
        }
    }
    for entry in recorded.values() {
        if let Ok(v) = serde_json::from_str::<Value>(entry.get()) {
            if let Some(out) = v.get("outputs") {
                collect_filenames(out, &mut names);
            }
        }
    }
    names
}

fn collect_filenames(v: &Value, names: &mut HashSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                match (k.as_str(), val) {
                    ("filename", Value::String(s)) => {
                        names.insert(s.clone());
                    }
                    _ => collect_filenames(val, names),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_filenames(i, names)),
        _ => {}
    }
}
