use super::wire::{Key, Leaf, Strict};
use super::{high_rate, lenient, output::artifacts_of, *};
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{value::RawValue, Map, Value};

#[derive(Deserialize)]
struct Envelope<'a> {
    /// Borrowed unless the name has escapes.
    #[serde(rename = "type", borrow, default)]
    kind: Option<Key<'a>>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// Decodes one text frame in one pass: with `type` before `data`, as ComfyUI and the extension
/// always send them, the payload of a high-rate type is read straight from the frame into its
/// message, and any other payload (or one that came before its `type`) is left raw for its own
/// reader. Anything unusual (a duplicate or non-string `type`, any serde error) goes the
/// two-pass way instead,
/// which gives the same result and the exact old error (a test compares both on random frames).
pub fn decode_text(frame: &str) -> Result<ServerMessage, DecodeError> {
    match serde_json::from_str::<OnePass>(frame) {
        Ok(OnePass(result)) => result,
        Err(_) => decode_text_two_pass(frame),
    }
}

/// The envelope parsed first with the payload left raw, then the payload on its own.
pub(super) fn decode_text_two_pass(frame: &str) -> Result<ServerMessage, DecodeError> {
    let envelope: Envelope<'_> =
        serde_json::from_str(frame).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
    let Some(Key(kind)) = envelope.kind else {
        return decode_untyped(frame);
    };
    let data = envelope.data.map(RawValue::get).unwrap_or("null");
    decode_payload(&kind, data)
}

struct OnePass(Result<ServerMessage, DecodeError>);

impl<'de> Deserialize<'de> for OnePass {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(OnePassVisitor)
    }
}

struct OnePassVisitor;

impl<'de> Visitor<'de> for OnePassVisitor {
    type Value = OnePass;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a {type, data} frame")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OnePass, A::Error> {
        let unusual = || A::Error::custom("not the usual frame shape");
        let mut kind: Option<Key<'de>> = None;
        let mut decoded = None;
        // `data` before `type` (a re-serialized frame with sorted keys): kept raw until then.
        let mut raw: Option<&'de RawValue> = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match &*key {
                "type" if kind.is_none() => match map.next_value::<Leaf<'de>>()? {
                    Leaf::Str(s) => kind = Some(Key(s)),
                    _ => return Err(unusual()),
                },
                "data" if decoded.is_none() && raw.is_none() => match &kind {
                    Some(Key(k)) => decoded = Some(map.next_value_seed(Payload(k))?),
                    None => raw = Some(map.next_value::<&'de RawValue>()?),
                },
                "type" | "data" => return Err(unusual()),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (kind, decoded, raw) {
            (Some(_), Some(decoded), _) => Ok(OnePass(decoded)),
            (Some(Key(k)), None, raw) => Ok(OnePass(decode_payload(
                &k,
                raw.map_or("null", RawValue::get),
            ))),
            (None, ..) => Err(unusual()),
        }
    }
}

/// A payload read from the frame's own deserializer. A serde error here fails the one pass
/// (the two-pass way then reports it); errors found after reading are the result.
struct Payload<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for Payload<'_> {
    type Value = Result<ServerMessage, DecodeError>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let kind = self.0;
        Ok(match kind {
            "progress" => Ok(ServerMessage::Progress(Progress::deserialize(d)?)),
            "executing" => Ok(ServerMessage::Executing(Executing::deserialize(d)?)),
            "execution_cached" => Ok(ServerMessage::ExecutionCached(
                ExecutionCached::deserialize(d)?,
            )),
            "execution_start" => Ok(ServerMessage::ExecutionStart(ExecutionStamp::deserialize(
                d,
            )?)),
            "execution_success" => Ok(ServerMessage::ExecutionSuccess(
                ExecutionStamp::deserialize(d)?,
            )),
            "status" => Ok(ServerMessage::Status(high_rate::status_of(
                Strict::deserialize(d)?.0,
            ))),
            "progress_state" => high_rate::progress_state_of(kind, Strict::deserialize(d)?.0)
                .map(ServerMessage::ProgressState),
            "crystools.monitor" => Ok(ServerMessage::CrystoolsMonitor(high_rate::monitor_of(
                Strict::deserialize(d)?.0,
            ))),
            _ => decode_payload(kind, <&RawValue>::deserialize(d)?.get()),
        })
    }
}

fn decode_untyped(frame: &str) -> Result<ServerMessage, DecodeError> {
    let value: Value =
        serde_json::from_str(frame).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
    match value.as_object() {
        Some(obj) if obj.contains_key("sceneId") => seed_telemetry(obj),
        _ => Err(DecodeError::MissingType),
    }
}

fn typed<T: for<'de> Deserialize<'de>>(kind: &str, data: &str) -> Result<T, DecodeError> {
    serde_json::from_str(data).map_err(|e| DecodeError::bad_data(kind, e))
}

fn object(kind: &str, data: &str) -> Result<Map<String, Value>, DecodeError> {
    match serde_json::from_str::<Value>(data) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(DecodeError::bad_data(kind, "data is not an object")),
        Err(e) => Err(DecodeError::bad_data(kind, e)),
    }
}

pub(crate) fn decode_payload(kind: &str, data: &str) -> Result<ServerMessage, DecodeError> {
    Ok(match kind {
        "status" => ServerMessage::Status(high_rate::status(kind, data)?),
        "feature_flags" => ServerMessage::FeatureFlags(typed(kind, data)?),
        "execution_start" => ServerMessage::ExecutionStart(typed(kind, data)?),
        "execution_success" => ServerMessage::ExecutionSuccess(typed(kind, data)?),
        "execution_cached" => ServerMessage::ExecutionCached(typed(kind, data)?),
        "executing" => ServerMessage::Executing(typed(kind, data)?),
        "progress" => ServerMessage::Progress(typed(kind, data)?),
        "progress_state" => ServerMessage::ProgressState(high_rate::progress_state(kind, data)?),
        "executed" => ServerMessage::Executed(executed(kind, data)?),
        "execution_error" => ServerMessage::ExecutionError(execution_error(kind, data)?),
        "execution_interrupted" => ServerMessage::ExecutionInterrupted(typed(kind, data)?),
        "logs" => ServerMessage::Logs(logs(kind, data)?),
        "crystools.monitor" => ServerMessage::CrystoolsMonitor(high_rate::monitor(kind, data)?),
        "telemetry.hello" => {
            ServerMessage::TelemetryHello(super::extension::hello(kind, &object(kind, data)?))
        }
        "telemetry.queued" => ServerMessage::TelemetryQueued(super::extension::queued_prompt(
            kind,
            &Value::Object(object(kind, data)?),
        )?),
        "telemetry.gpu" => ServerMessage::TelemetryGpu(typed(kind, data)?),
        "telemetry.dropped" => ServerMessage::TelemetryDropped(typed(kind, data)?),
        "telemetry" | "telemetry_update" | "telemetry.update" => {
            seed_telemetry(&object(kind, data)?)?
        }
        other => ServerMessage::Unknown {
            kind: other.to_owned(),
        },
    })
}

fn required_id(kind: &str, map: &Map<String, Value>, field: &str) -> Result<String, DecodeError> {
    map.get(field)
        .and_then(lenient::id_of)
        .ok_or_else(|| DecodeError::bad_data(kind, format!("missing \"{field}\"")))
}

fn opt_str(map: &Map<String, Value>, field: &str) -> Option<String> {
    map.get(field).and_then(lenient::id_of)
}

fn id_list(map: &Map<String, Value>, field: &str) -> Vec<String> {
    map.get(field)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(lenient::id_of).collect())
        .unwrap_or_default()
}

fn executed(kind: &str, data: &str) -> Result<Executed, DecodeError> {
    let map = object(kind, data)?;
    let prompt_id = required_id(kind, &map, "prompt_id")?;
    let node = required_id(kind, &map, "node")?;
    let outputs = match map.get("output") {
        Some(Value::Object(output)) => artifacts_of(&node, output),
        _ => Vec::new(),
    };
    Ok(Executed {
        display_node: opt_str(&map, "display_node"),
        prompt_id,
        node,
        outputs,
    })
}

fn execution_error(kind: &str, data: &str) -> Result<ExecutionError, DecodeError> {
    let map = object(kind, data)?;
    // `traceback` is a list of strings; an ExecutionBlocked error sends `[]`, some extensions a
    // single string. `current_inputs` (an object, or a list in the blocked variant) is not kept:
    // it holds str() of tensors and can be megabytes.
    let traceback = match map.get("traceback") {
        Some(Value::Array(lines)) => lines
            .iter()
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    Ok(ExecutionError {
        prompt_id: required_id(kind, &map, "prompt_id")?,
        node_id: opt_str(&map, "node_id"),
        node_type: opt_str(&map, "node_type"),
        exception_type: opt_str(&map, "exception_type"),
        exception_message: opt_str(&map, "exception_message"),
        traceback,
        executed: id_list(&map, "executed"),
        timestamp: map
            .get("timestamp")
            .and_then(lenient::number_of)
            .map(|t| t as i64),
    })
}

fn logs(kind: &str, data: &str) -> Result<Logs, DecodeError> {
    let map = object(kind, data)?;
    let entries = map
        .get("entries")
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
