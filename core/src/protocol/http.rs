//! ComfyUI's HTTP answers that a passive dashboard relies on: `/api/queue`, `/api/history` and
//! `/api/system_stats`. Like the socket, their bodies are untrusted and decoded leniently.

use super::ServerMessage;
use super::{lenient, output::artifacts_of, text::decode_payload, Artifact, DecodeError};
use crate::str_map::StrSet;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueSnapshot {
    pub running: Vec<QueueItem>,
    pub pending: Vec<QueueItem>,
}

/// One queue item, ComfyUI's array `[number, prompt_id, prompt, extra_data, outputs_to_execute]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueItem {
    pub number: Option<i64>,
    pub prompt_id: String,
    pub client_id: Option<String>,
    /// `(node id, class type)` in node order.
    pub nodes: Vec<(String, String)>,
    pub outputs_to_execute: Vec<String>,
    /// `(node id, the node one of its inputs links to)`: what each node needs.
    pub links: Vec<(String, String)>,
}

impl QueueItem {
    /// A name for the workflow that groups runs of the same graph: its distinct node types.
    pub fn workflow(&self) -> Option<String> {
        crate::run::workflow_name(self.nodes.iter().map(|(_, t)| t.as_str()))
    }

    /// The nodes ComfyUI had to run for this prompt: its outputs to execute and every node they
    /// link to, directly or not (ComfyUI runs nothing else). `None` when the item does not say
    /// which outputs it executes.
    pub fn needed(&self) -> Option<StrSet> {
        if self.outputs_to_execute.is_empty() {
            return None;
        }
        let mut needed = StrSet::new();
        let mut todo: Vec<&str> = self.outputs_to_execute.iter().map(String::as_str).collect();
        while let Some(id) = todo.pop() {
            if needed.insert(id) {
                let inputs = self.links.iter().filter(|(to, _)| to == id);
                todo.extend(inputs.map(|(_, from)| from.as_str()));
            }
        }
        Some(needed)
    }
}

/// A node input that is a link: ComfyUI's `[source node id, output index]`.
fn link_source(input: &Value) -> Option<String> {
    match input.as_array()?.as_slice() {
        [source, index] if index.is_u64() => lenient::id_of(source),
        _ => None,
    }
}

fn parse_json(what: &str, body: &str) -> Result<Value, DecodeError> {
    crate::json::parse(body).map_err(|e| DecodeError::bad_data(what, e))
}

pub fn decode_queue(body: &str) -> Result<QueueSnapshot, DecodeError> {
    let value = parse_json("queue", body)?;
    let list = |key: &str| -> Vec<QueueItem> {
        value
            .get(key)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(queue_item).collect())
            .unwrap_or_default()
    };
    if !value.is_object() {
        return Err(DecodeError::bad_data("queue", "not an object"));
    }
    Ok(QueueSnapshot {
        running: list("queue_running"),
        pending: list("queue_pending"),
    })
}

pub(crate) fn queue_item(item: &Value) -> Option<QueueItem> {
    let parts = item.as_array()?;
    let prompt_id = parts.get(1).and_then(lenient::id_of)?;
    let prompt = parts.get(2).and_then(Value::as_object);
    let links = prompt
        .into_iter()
        .flatten()
        .flat_map(|(id, node)| {
            let inputs = node.get("inputs").and_then(Value::as_object).into_iter();
            inputs
                .flat_map(|i| i.values().filter_map(link_source))
                .map(move |from| (id.clone(), from))
        })
        .collect();
    let mut nodes: Vec<(String, String)> = prompt
        .map(|prompt| {
            prompt
                .iter()
                .map(|(id, node)| {
                    let class = node
                        .get("class_type")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_owned();
                    (id.clone(), class)
                })
                .collect()
        })
        .unwrap_or_default();
    crate::sort::sort_by(&mut nodes, |a, b| crate::run::node_order(&a.0, &b.0));
    Some(QueueItem {
        number: parts.first().and_then(lenient::number_of).map(|n| n as i64),
        prompt_id,
        // Never the raw id (see `client_label`).
        client_id: parts
            .get(3)
            .and_then(|extra| extra.get("client_id"))
            .and_then(lenient::id_of)
            .map(|id| super::client_label::client_label(&id)),
        nodes,
        outputs_to_execute: parts
            .get(4)
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(lenient::id_of).collect())
            .unwrap_or_default(),
        links,
    })
}

/// One `/api/history` entry: what ComfyUI remembers of a finished prompt.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoryEntry {
    pub prompt_id: String,
    pub prompt: Option<QueueItem>,
    pub outputs: Vec<Artifact>,
    /// `success` or `error`; an interrupted prompt is stored as `error`, and only its messages
    /// tell the two apart.
    pub status_str: Option<String>,
    pub completed: Option<bool>,
    /// The `execution_*` messages with their server timestamps, decoded like socket messages.
    pub messages: Vec<ServerMessage>,
}

/// Decodes `/api/history` or `/api/history/{id}`: an object keyed by prompt id, oldest first.
/// Entries that cannot be read are skipped so one odd entry cannot hide the others.
pub fn decode_history(body: &str) -> Result<Vec<HistoryEntry>, DecodeError> {
    history_page(body, None).map(|(entries, _)| entries)
}

/// Decodes a `/api/history?max_items=N` page read for a few runs only: the entries `wanted`
/// names (the others are not decoded: a page read for the runs waiting for their details
/// should not pay for the rest) and how many entries the page held, readable or not (fewer
/// than asked: the page is the server's whole history).
pub fn decode_history_page(
    body: &str,
    wanted: &[String],
) -> Result<(Vec<HistoryEntry>, usize), DecodeError> {
    history_page(body, Some(wanted))
}

/// The entries (those of `wanted` only, when given) and how many the body held.
fn history_page(
    body: &str,
    wanted: Option<&[String]>,
) -> Result<(Vec<HistoryEntry>, usize), DecodeError> {
    let value = parse_json("history", body)?;
    let map = value
        .as_object()
        .ok_or_else(|| DecodeError::bad_data("history", "not an object"))?;
    let entries = map
        .iter()
        .filter(|(id, _)| wanted.is_none_or(|w| w.iter().any(|x| x == *id)))
        .filter_map(|(id, entry)| history_entry(id, entry))
        .collect();
    Ok((entries, map.len()))
}

fn history_entry(prompt_id: &str, entry: &Value) -> Option<HistoryEntry> {
    let entry = entry.as_object()?;
    let mut outputs = Vec::new();
    if let Some(Value::Object(nodes)) = entry.get("outputs") {
        let mut ids: Vec<&String> = nodes.keys().collect();
        crate::sort::sort_by(&mut ids, |a, b| crate::run::node_order(a, b));
        for id in ids {
            if let Some(Value::Object(output)) = nodes.get(id) {
                outputs.extend(artifacts_of(id, output));
            }
        }
    }
    let status = entry.get("status").and_then(Value::as_object);
    let messages = status
        .and_then(|s| s.get("messages"))
        .and_then(Value::as_array)
        .map(|messages| messages.iter().filter_map(history_message).collect())
        .unwrap_or_default();
    Some(HistoryEntry {
        prompt_id: prompt_id.to_owned(),
        prompt: entry.get("prompt").and_then(queue_item),
        outputs,
        status_str: status
            .and_then(|s| s.get("status_str"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        completed: status
            .and_then(|s| s.get("completed"))
            .and_then(Value::as_bool),
        messages,
    })
}

fn history_message(pair: &Value) -> Option<ServerMessage> {
    let pair = pair.as_array()?;
    let kind = pair.first()?.as_str()?;
    let data = crate::json::to_string(pair.get(1)?);
    decode_payload(kind, &data).ok()
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SystemStats {
    pub comfyui_version: Option<String>,
    pub os: Option<String>,
    pub ram_total: Option<f64>,
    pub ram_free: Option<f64>,
    pub devices: Vec<Device>,
}

/// A compute device. Byte counts; on `--cpu` servers the "VRAM" is system RAM.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Device {
    pub name: String,
    pub kind: String,
    pub index: Option<i64>,
    pub vram_total: Option<f64>,
    pub vram_free: Option<f64>,
    pub torch_vram_total: Option<f64>,
    pub torch_vram_free: Option<f64>,
}

pub fn decode_system_stats(body: &str) -> Result<SystemStats, DecodeError> {
    let value = parse_json("system_stats", body)?;
    let empty = Map::new();
    let system = value
        .get("system")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let num = |v: Option<&Value>| v.and_then(lenient::number_of).filter(|n| *n >= 0.0);
    let devices = value
        .get("devices")
        .and_then(Value::as_array)
        .map(|devices| {
            devices
                .iter()
                .map(|d| Device {
                    name: d
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown device")
                        .to_owned(),
                    kind: d
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    index: d
                        .get("index")
                        .and_then(lenient::number_of)
                        .map(|i| i as i64),
                    vram_total: num(d.get("vram_total")),
                    vram_free: num(d.get("vram_free")),
                    torch_vram_total: num(d.get("torch_vram_total")),
                    torch_vram_free: num(d.get("torch_vram_free")),
                })
                .collect()
        })
        .unwrap_or_default();
    if !value.is_object() {
        return Err(DecodeError::bad_data("system_stats", "not an object"));
    }
    Ok(SystemStats {
        comfyui_version: system
            .get("comfyui_version")
            .and_then(Value::as_str)
            .map(str::to_owned),
        os: system.get("os").and_then(Value::as_str).map(str::to_owned),
        ram_total: num(system.get("ram_total")),
        ram_free: num(system.get("ram_free")),
        devices,
    })
}
