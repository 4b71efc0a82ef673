use super::fields::{self, Fields};
use super::small_frames::{self, id_list, object, opt_id, required_id};
use super::{lenient, output::artifacts_of, *};
use crate::json;
use serde_json::{Map, Value};

/// Decodes one text frame. The envelope is read first with the payload left raw (its `type` and
/// the text of its `data`), so a flood of `progress` frames costs one pass over each frame, not a
/// generic JSON tree per message.
pub fn decode_text(frame: &str) -> Result<ServerMessage, DecodeError> {
    let envelope = json::envelope(frame).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
    let Some(kind) = envelope.kind else {
        return decode_untyped(frame);
    };
    decode_payload(&kind, envelope.data.unwrap_or("null"))
}

fn decode_untyped(frame: &str) -> Result<ServerMessage, DecodeError> {
    let value = json::parse(frame).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
    match value.as_object() {
        Some(obj) if obj.contains_key("sceneId") => seed_telemetry(obj),
        _ => Err(DecodeError::MissingType),
    }
}

pub(crate) fn decode_payload(kind: &str, data: &str) -> Result<ServerMessage, DecodeError> {
    Ok(match kind {
        "status" => ServerMessage::Status(status(kind, data)?),
        "progress_state" => ServerMessage::ProgressState(progress_state(kind, data)?),
        "executed" => ServerMessage::Executed(executed(kind, data)?),
        "execution_error" => ServerMessage::ExecutionError(execution_error(kind, data)?),
        "logs" => ServerMessage::Logs(logs(kind, data)?),
        "crystools.monitor" => ServerMessage::CrystoolsMonitor(monitor(kind, data)?),
        "telemetry.hello" => {
            ServerMessage::TelemetryHello(super::extension::hello(kind, &object(kind, data)?))
        }
        "telemetry.queued" => ServerMessage::TelemetryQueued(super::extension::queued_prompt(
            kind,
            &Value::Object(object(kind, data)?),
        )?),
        "telemetry" | "telemetry_update" | "telemetry.update" => {
            seed_telemetry(&object(kind, data)?)?
        }
        other => match small_frames::decode(other, data) {
            Some(read) => read?,
            None => ServerMessage::Unknown {
                kind: other.to_owned(),
            },
        },
    })
}

fn status(kind: &str, data: &str) -> Result<Status, DecodeError> {
    let map = Fields::parse(kind, data)?;
    let queue_remaining = map
        .object("status")
        .and_then(|s| s.object("exec_info"))
        .and_then(|e| e.get("queue_remaining"))
        .as_ref()
        .and_then(lenient::number_of)
        .filter(|n| *n >= 0.0)
        .map(|n| n.min(u32::MAX as f64) as u32);
    let sid = opt_id(&map, "sid");
    Ok(Status {
        queue_remaining,
        sid,
    })
}

fn progress_state(kind: &str, data: &str) -> Result<ProgressState, DecodeError> {
    let map = Fields::parse(kind, data)?;
    let prompt_id = required_id(kind, &map, "prompt_id")?;
    let nodes = match map.raw("nodes") {
        Some(raw) if raw.starts_with('{') => Fields::parse(kind, raw)?.without_repeats(),
        Some("null") | None => Fields::none(),
        Some(_) => return Err(DecodeError::bad_data(kind, "\"nodes\" is not an object")),
    };
    let mut nodes: Vec<NodeProgress> = nodes
        .iter()
        .map(|(key, node)| {
            let node = fields::object_of(node).unwrap_or_else(Fields::none);
            let number = |field: &str| node.get(field).as_ref().and_then(lenient::number_of);
            let text = |field: &str| match node.get(field) {
                Some(Value::String(s)) => Some(s),
                _ => None,
            };
            NodeProgress {
                node_id: opt_id(&node, "node_id").unwrap_or_else(|| key.to_owned()),
                value: number("value"),
                max: number("max"),
                state: text("state")
                    .map(|s| NodeState::parse(&s))
                    .unwrap_or(NodeState::Unknown),
                display_node_id: opt_id(&node, "display_node_id"),
                parent_node_id: opt_id(&node, "parent_node_id"),
                real_node_id: opt_id(&node, "real_node_id"),
                activity: text("activity"),
                seconds: number("seconds").filter(|s| *s >= 0.0),
            }
        })
        .collect();
    crate::sort::sort_by(&mut nodes, |a, b| {
        crate::run::node_order(&a.node_id, &b.node_id)
    });
    Ok(ProgressState { prompt_id, nodes })
}

fn executed(kind: &str, data: &str) -> Result<Executed, DecodeError> {
    let map = Fields::parse(kind, data)?;
    let prompt_id = required_id(kind, &map, "prompt_id")?;
    let node = required_id(kind, &map, "node")?;
    let outputs = match map.get("output") {
        Some(Value::Object(output)) => artifacts_of(&node, &output),
        _ => Vec::new(),
    };
    Ok(Executed {
        display_node: opt_id(&map, "display_node"),
        prompt_id,
        node,
        outputs,
    })
}

fn execution_error(kind: &str, data: &str) -> Result<ExecutionError, DecodeError> {
    let map = Fields::parse(kind, data)?;
    // `traceback` is a list of strings; an ExecutionBlocked error sends `[]`, some extensions a
    // single string. `current_inputs` (an object, or a list in the blocked variant) is not kept:
    // it holds str() of tensors and can be megabytes, and is never parsed here.
    let traceback = match map.get("traceback") {
        Some(Value::Array(lines)) => lines
            .into_iter()
            .filter_map(|l| match l {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => vec![s],
        _ => Vec::new(),
    };
    Ok(ExecutionError {
        prompt_id: required_id(kind, &map, "prompt_id")?,
        node_id: opt_id(&map, "node_id"),
        node_type: opt_id(&map, "node_type"),
        exception_type: opt_id(&map, "exception_type"),
        exception_message: opt_id(&map, "exception_message"),
        traceback,
        executed: id_list(&map, "executed"),
        timestamp: map
            .get("timestamp")
            .as_ref()
            .and_then(lenient::number_of)
            .map(|t| t as i64),
    })
}

fn logs(kind: &str, data: &str) -> Result<Logs, DecodeError> {
    let map = Fields::parse(kind, data)?;
    let entries = map
        .get("entries")
        .as_ref()
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| LogEntry {
                    time: e.get("t").and_then(Value::as_str).unwrap_or("").to_owned(),
                    message: e.get("m").and_then(Value::as_str).unwrap_or("").to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Logs { entries })
}

/// Crystools reports `-1` for anything it cannot measure.
fn measured(v: Option<&Value>) -> Option<f64> {
    v.and_then(lenient::number_of).filter(|n| *n >= 0.0)
}

fn monitor(kind: &str, data: &str) -> Result<MonitorSample, DecodeError> {
    let map = Fields::parse(kind, data)?;
    let gpus = map
        .get("gpus")
        .as_ref()
        .and_then(Value::as_array)
        .map(|gpus| {
            gpus.iter()
                .map(|g| MonitorGpu {
                    utilization: measured(g.get("gpu_utilization")),
                    temperature: measured(g.get("gpu_temperature")),
                    vram_total: measured(g.get("vram_total")),
                    vram_used: measured(g.get("vram_used")),
                })
                .collect()
        })
        .unwrap_or_default();
    let field = |name: &str| map.get(name);
    Ok(MonitorSample {
        cpu_utilization: measured(field("cpu_utilization").as_ref()),
        ram_total: measured(field("ram_total").as_ref()),
        ram_used: measured(field("ram_used").as_ref()),
        device_type: match field("device_type") {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        gpus,
    })
}

fn seed_telemetry(map: &Map<String, Value>) -> Result<ServerMessage, DecodeError> {
    let scene_id = map
        .get("sceneId")
        .and_then(lenient::id_of)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| DecodeError::bad_data("telemetry", "missing \"sceneId\""))?;
    let num = |field: &str| map.get(field).and_then(lenient::number_of);
    Ok(ServerMessage::SeedTelemetry(SeedTelemetry {
        scene_id,
        timestamp: num("timestamp").map(|t| t as i64),
        status: map.get("status").and_then(Value::as_str).map(str::to_owned),
        duration_s: num("duration").filter(|d| *d >= 0.0),
        attempts: num("attempts")
            .filter(|a| *a >= 0.0)
            .map(|a| a.min(u32::MAX as f64) as u32),
        gpu_vram_free: num("gpuVramFree").filter(|v| *v >= 0.0),
        gpu_utilization: num("gpuUtilization").filter(|v| *v >= 0.0),
        gpu_name: map
            .get("gpuName")
            .and_then(Value::as_str)
            .map(str::to_owned),
        vram_delta: num("vramDelta"),
    }))
}
