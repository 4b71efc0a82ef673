//! `--extension`: `/telemetry` speaks the protocol of the `comfyui_telemetry` custom node
//! (docs/telemetry-protocol.md, version 1) instead of being a bare copy of the full stream:
//! `telemetry.hello` and a catch-up replay on connect, `telemetry.queued` when a recorded
//! prompt was queued, and `telemetry.gpu` from the recorded `/system_stats` device.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::ws::Message;
use serde_json::{json, Map, Value};

use crate::event::{Event, TextMeta};
use crate::history::PromptRun;
use crate::hub::Cursor;
use crate::pseudonym::pseudonym;
use crate::recorded::Recorded;
use crate::trace::QueuedPrompt;
use crate::{state, App};

pub const PROTOCOL: u64 = 1;
pub const EXTENSION_VERSION: &str = "0.1.0";
/// Catch-up messages kept, like the extension's default ring.
pub const RING: usize = 512;

const TERMINAL: [&str; 3] = [
    "execution_success",
    "execution_error",
    "execution_interrupted",
];

/// What the extension would know about the machine, from the recorded `/system_stats`.
#[derive(Debug, Clone)]
pub struct Info {
    comfyui_version: Option<String>,
    /// A `telemetry.gpu` data object without its timestamp.
    gpu: Map<String, Value>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn envelope(kind: &str, data: &Value) -> Message {
    let kind = Value::String(kind.to_owned());
    Message::Text(format!(r#"{{"type":{kind},"data":{data}}}"#).into())
}

fn bytes(v: Option<&Value>) -> Value {
    v.and_then(Value::as_u64).map_or(Value::Null, Value::from)
}

pub fn info(recorded: &Recorded) -> Info {
    let stats: Value = recorded
        .system_stats
        .as_ref()
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or(Value::Null);
    let comfyui_version = stats
        .pointer("/system/comfyui_version")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let device = stats.pointer("/devices/0").cloned().unwrap_or(Value::Null);
    let kind = device.get("type").and_then(Value::as_str).unwrap_or("cpu");
    let cpu_only = kind == "cpu";
    let name = match device.get("name").and_then(Value::as_str) {
        Some(n) => n.to_owned(),
        None => kind.to_owned(),
    };
    let device_id = match device.get("index").and_then(Value::as_u64) {
        Some(i) => format!("{kind}:{i}"),
        None => kind.to_owned(),
    };
    let (reserved, allocated) = if cpu_only {
        (Value::Null, Value::Null)
    } else {
        let total = device.get("torch_vram_total").and_then(Value::as_u64);
        let free = device.get("torch_vram_free").and_then(Value::as_u64);
        let allocated = match (total, free) {
            (Some(t), Some(f)) => Value::from(t.saturating_sub(f)),
            _ => Value::Null,
        };
        (bytes(device.get("torch_vram_total")), allocated)
    };
    let mut gpu = Map::new();
    gpu.insert("device".into(), Value::String(device_id));
    gpu.insert("name".into(), Value::String(name));
    gpu.insert("cpu_only".into(), Value::Bool(cpu_only));
    gpu.insert("vram_total".into(), bytes(device.get("vram_total")));
    gpu.insert("vram_free".into(), bytes(device.get("vram_free")));
    gpu.insert("torch_vram_reserved".into(), reserved);
    gpu.insert("torch_vram_allocated".into(), allocated);
    gpu.insert("utilization".into(), Value::Null);
    gpu.insert("temperature".into(), Value::Null);
    Info {
        comfyui_version,
        gpu,
    }
}

pub fn gpu_frame(info: &Info) -> Message {
    let mut data = info.gpu.clone();
    data.insert("timestamp".into(), Value::from(now_ms()));
    envelope("telemetry.gpu", &Value::Object(data))
}

fn integer(v: &Value) -> Value {
    if let Some(i) = v.as_i64() {
        return Value::from(i);
    }
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
        _ => Value::Null,
    }
}

/// A QueuedPrompt object (protocol v1), its client as a pseudonym like the extension's.
pub fn queued_prompt(
    prompt_id: &str,
    number: &Value,
    client_id: Option<&str>,
    prompt: &Value,
) -> Value {
    let mut nodes = Map::new();
    let mut count = 0;
    if let Some(obj) = prompt.as_object() {
        count = obj.len();
        for (id, node) in obj {
            if let Some(class) = node.get("class_type").and_then(Value::as_str) {
                nodes.insert(id.clone(), Value::String(class.to_owned()));
            }
        }
    }
    json!({
        "prompt_id": prompt_id,
        "number": integer(number),
        "client_id": client_id.map(pseudonym),
        "node_count": count,
        "nodes": nodes,
    })
}

/// `telemetry.queued` data for a recorded prompt, without `queued_at` (set when played).
pub fn queued_data(q: &QueuedPrompt) -> Value {
    let prompt: Value = serde_json::from_str(q.prompt.get()).unwrap_or(Value::Null);
    queued_prompt(&q.prompt_id, &q.number, q.client_id.as_deref(), &prompt)
}

pub fn queued_frame(mut data: Value) -> Message {
    if let Some(obj) = data.as_object_mut() {
        obj.insert("queued_at".into(), Value::from(now_ms()));
    }
    envelope("telemetry.queued", &data)
}

fn from_queue_item(run: &PromptRun) -> Value {
    let item: Value = serde_json::from_str(run.queue_item.get()).unwrap_or(Value::Null);
    let client_id = item.pointer("/3/client_id").and_then(Value::as_str);
    queued_prompt(
        &run.prompt_id,
        item.get(0).unwrap_or(&Value::Null),
        client_id,
        item.get(2).unwrap_or(&Value::Null),
    )
}

/// What the extension's hub would hold after the frames played so far: the catch-up ring
/// (text frames with a prompt_id, of the current and the previous prompt) and what executes.
#[derive(Default)]
struct Tracker {
    current: Option<String>,
    previous: Option<String>,
    executing: (Option<String>, Option<String>),
    ring: Vec<(String, Message)>,
}

impl Tracker {
    fn see(&mut self, meta: &TextMeta, msg: &Message) {
        let pid = meta.prompt_id.as_deref();
        if let Some(p) = pid {
            if self.current.as_deref() != Some(p) {
                if self.current.is_some() {
                    self.previous = self.current.take();
                }
                self.current = Some(p.to_owned());
                let (cur, prev) = (self.current.clone(), self.previous.clone());
                self.ring
                    .retain(|(id, _)| Some(id) == cur.as_ref() || Some(id) == prev.as_ref());
            }
            self.ring.push((p.to_owned(), msg.clone()));
        }
        let same = pid.is_none() || pid == self.executing.0.as_deref();
        match meta.kind.as_str() {
            "execution_start" => self.executing = (pid.map(str::to_owned), None),
            k if TERMINAL.contains(&k) && same => self.executing = (None, None),
            "executing" => match &meta.node {
                Some(Some(node)) => {
                    let prompt = pid.map(str::to_owned).or(self.executing.0.take());
                    self.executing = (prompt, Some(node.clone()));
                }
                Some(None) if same => self.executing = (None, None),
                _ => {}
            },
            "progress" => {
                if let (Some(p), Some(Some(node))) = (pid, &meta.node) {
                    if self.executing.0.is_none() || self.executing.0.as_deref() == Some(p) {
                        self.executing = (Some(p.to_owned()), Some(node.clone()));
                    }
                }
            }
            _ => {}
        }
    }
}

/// `telemetry.hello` followed by the catch-up frames, for a client connecting at `cursor`.
pub fn greeting(app: &App, cursor: Option<Cursor>) -> Vec<Message> {
    let mut tracker = Tracker::default();
    if let Some(c) = cursor {
        let played = app
            .schedule
            .get(c.index)
            .map_or(&[][..], |s| &s[..c.next.min(s.len())]);
        for f in played {
            if let Event::Frame {
                msg,
                meta: Some(meta),
                ..
            } = &f.event
            {
                tracker.see(meta, msg);
            }
        }
    }
    let queue = state::queue(app);
    let running: Vec<Value> = queue.running.iter().map(|r| from_queue_item(r)).collect();
    let pending: Vec<Value> = queue.pending.iter().map(|r| from_queue_item(r)).collect();
    let running_ids: Vec<&str> = queue.running.iter().map(|r| r.prompt_id.as_str()).collect();
    let (mut prompt_id, mut node) = tracker.executing;
    if !prompt_id
        .as_deref()
        .is_some_and(|p| running_ids.contains(&p))
    {
        prompt_id = running_ids.first().map(|s| (*s).to_owned());
        node = None;
    }
    let skip = tracker.ring.len().saturating_sub(RING);
    let replay: Vec<Message> = tracker
        .ring
        .into_iter()
        .skip(skip)
        .map(|(_, m)| m)
        .collect();
    let hello = json!({
        "protocol": PROTOCOL,
        "extension_version": EXTENSION_VERSION,
        "comfyui_version": app.extension.comfyui_version,
        "queue": {"running": running, "pending": pending},
        "executing": {"prompt_id": prompt_id, "node": node},
        "replay": {"count": replay.len()},
    });
    let mut out = Vec::with_capacity(replay.len() + 1);
    out.push(envelope("telemetry.hello", &hello));
    out.extend(replay);
    out
}
