//! Messages of our `/telemetry` ComfyUI extension (protocol v1, docs/telemetry-protocol.md).
//! Fields are optional on read: a newer extension may add fields, an older one may lack some.

use super::{lenient, DecodeError};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hello {
    pub protocol: Option<i64>,
    pub extension_version: Option<String>,
    pub comfyui_version: Option<String>,
    pub running: Vec<QueuedPrompt>,
    pub pending: Vec<QueuedPrompt>,
    pub executing_prompt: Option<String>,
    pub executing_node: Option<String>,
    pub replay_count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueuedPrompt {
    pub prompt_id: String,
    pub number: Option<i64>,
    pub client_id: Option<String>,
    pub node_count: Option<u32>,
    /// `(node id, class type)` in node order.
    pub nodes: Vec<(String, String)>,
    pub queued_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GpuSample {
    pub timestamp: Option<i64>,
    pub device: Option<String>,
    pub name: Option<String>,
    pub cpu_only: bool,
    pub vram_total: Option<f64>,
    pub vram_free: Option<f64>,
    pub torch_vram_reserved: Option<f64>,
    pub torch_vram_allocated: Option<f64>,
    pub utilization: Option<f64>,
    pub temperature: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dropped {
    pub count: Option<i64>,
    pub total: Option<i64>,
}

pub(crate) fn queued_prompt(kind: &str, v: &Value) -> Result<QueuedPrompt, DecodeError> {
    let map = v
        .as_object()
        .ok_or_else(|| DecodeError::bad_data(kind, "prompt is not an object"))?;
    let prompt_id = map
        .get("prompt_id")
        .and_then(lenient::id_of)
        .ok_or_else(|| DecodeError::bad_data(kind, "missing \"prompt_id\""))?;
    let mut nodes: Vec<(String, String)> = map
        .get("nodes")
        .and_then(Value::as_object)
        .map(|nodes| {
            nodes
                .iter()
                .map(|(id, class)| {
                    (
                        id.clone(),
                        lenient::id_of(class).unwrap_or_else(|| "?".into()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    crate::sort::sort_by(&mut nodes, |a, b| crate::run::node_order(&a.0, &b.0));
    let num = |f: &str| map.get(f).and_then(lenient::number_of);
    Ok(QueuedPrompt {
        prompt_id,
        number: num("number").map(|n| n as i64),
        client_id: map
            .get("client_id")
            .and_then(lenient::id_of)
            .map(|id| super::client_label::client_label(&id)),
        node_count: num("node_count")
            .filter(|n| *n >= 0.0)
            .map(|n| n.min(u32::MAX as f64) as u32)
            .or_else(|| (!nodes.is_empty()).then_some(nodes.len() as u32)),
        nodes,
        queued_at: num("queued_at").map(|n| n as i64),
    })
}

fn prompts(kind: &str, v: Option<&Value>) -> Vec<QueuedPrompt> {
    v.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| queued_prompt(kind, i).ok())
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn hello(kind: &str, map: &Map<String, Value>) -> Hello {
    let queue = map.get("queue");
    let executing = map.get("executing");
    let text = |v: Option<&Value>| v.and_then(lenient::id_of);
    Hello {
        protocol: map
            .get("protocol")
            .and_then(lenient::number_of)
            .map(|n| n as i64),
        extension_version: text(map.get("extension_version")),
        comfyui_version: text(map.get("comfyui_version")),
        running: prompts(kind, queue.and_then(|q| q.get("running"))),
        pending: prompts(kind, queue.and_then(|q| q.get("pending"))),
        executing_prompt: text(executing.and_then(|e| e.get("prompt_id"))),
        executing_node: text(executing.and_then(|e| e.get("node"))),
        replay_count: map
            .get("replay")
            .and_then(|r| r.get("count"))
            .and_then(lenient::number_of)
            .map(|n| n as i64),
    }
}
