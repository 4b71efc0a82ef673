//! The small fixed-shape frames (`feature_flags`, `execution_start`/`_success`,
//! `execution_cached`, `executing`, `progress`, `execution_interrupted`, `telemetry.gpu`,
//! `telemetry.dropped`), read from their object like every other frame in `text.rs`.
//!
//! They were `#[derive(Deserialize)]` structs: each derive compiled its own field matcher and
//! map loop over the JSON text, about 1 kB of wasm per type on the live page (issue #22), while
//! every field still went through a `Value` for its lenient reading. One `Value` object per
//! frame and a getter per field read the same fields the same way: ids that are strings or
//! numbers, numbers that may be numeric strings, nulls anywhere.

use super::extension::{Dropped, GpuSample};
use super::fields::Fields;
use super::{lenient, DecodeError};
use super::{Executing, ExecutionCached, ExecutionInterrupted, ExecutionStamp, FeatureFlags};
use super::{Progress, ServerMessage};
use serde_json::{Map, Value};

type Object<'a> = Fields<'a>;

type Read = fn(&str, &Object<'_>) -> Result<ServerMessage, DecodeError>;

/// The frame of `kind` read from its `data` object; `None` for kinds that are not small frames.
pub(super) fn decode(kind: &str, data: &str) -> Option<Result<ServerMessage, DecodeError>> {
    let read: Read = match kind {
        "feature_flags" => |k, m| feature_flags(k, m).map(ServerMessage::FeatureFlags),
        "execution_start" => |k, m| stamp(k, m).map(ServerMessage::ExecutionStart),
        "execution_success" => |k, m| stamp(k, m).map(ServerMessage::ExecutionSuccess),
        "execution_cached" => |k, m| cached(k, m).map(ServerMessage::ExecutionCached),
        "executing" => |_, m| Ok(ServerMessage::Executing(executing(m))),
        "progress" => |_, m| Ok(ServerMessage::Progress(progress(m))),
        "execution_interrupted" => {
            |k, m| interrupted(k, m).map(ServerMessage::ExecutionInterrupted)
        }
        "telemetry.gpu" => |k, m| gpu(k, m).map(ServerMessage::TelemetryGpu),
        "telemetry.dropped" => |_, m| Ok(ServerMessage::TelemetryDropped(dropped(m))),
        _ => return None,
    };
    Some(Fields::parse(kind, data).and_then(|map| read(kind, &map)))
}

/// A string or number id; the frame is malformed without it.
pub(super) fn required_id(kind: &str, map: &Object, field: &str) -> Result<String, DecodeError> {
    opt_id(map, field).ok_or_else(|| DecodeError::bad_data(kind, format!("missing \"{field}\"")))
}

/// A string or number id, `None` when absent or of another type.
pub(super) fn opt_id(map: &Object, field: &str) -> Option<String> {
    map.get(field).and_then(lenient::into_id)
}

/// A list of ids (other items skipped); empty when absent or not a list.
pub(super) fn id_list(map: &Object, field: &str) -> Vec<String> {
    match map.get(field) {
        Some(Value::Array(items)) => items.into_iter().filter_map(lenient::into_id).collect(),
        _ => Vec::new(),
    }
}

fn number(map: &Object, field: &str) -> Option<f64> {
    map.get(field).as_ref().and_then(lenient::number_of)
}

fn int(map: &Object, field: &str) -> Option<i64> {
    number(map, field).map(|v| v as i64)
}

/// A string, or a number or boolean as text.
fn text(map: &Object, field: &str) -> Option<String> {
    match map.get(field)? {
        Value::Bool(b) => Some(b.to_string()),
        other => lenient::into_id(other),
    }
}

/// `false` when absent; anything but a boolean (null included) makes the frame malformed.
fn flag(kind: &str, map: &Object, field: &str) -> Result<bool, DecodeError> {
    match map.get(field) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(_) => Err(DecodeError::bad_data(
            kind,
            format!("\"{field}\" is not a boolean"),
        )),
    }
}

fn feature_flags(kind: &str, map: &Object) -> Result<FeatureFlags, DecodeError> {
    Ok(FeatureFlags {
        supports_preview_metadata: flag(kind, map, "supports_preview_metadata")?,
        max_upload_size: int(map, "max_upload_size"),
    })
}

fn stamp(kind: &str, map: &Object) -> Result<ExecutionStamp, DecodeError> {
    Ok(ExecutionStamp {
        prompt_id: required_id(kind, map, "prompt_id")?,
        timestamp: int(map, "timestamp"),
    })
}

fn cached(kind: &str, map: &Object) -> Result<ExecutionCached, DecodeError> {
    Ok(ExecutionCached {
        prompt_id: required_id(kind, map, "prompt_id")?,
        nodes: id_list(map, "nodes"),
        timestamp: int(map, "timestamp"),
    })
}

fn executing(map: &Object) -> Executing {
    Executing {
        node: opt_id(map, "node"),
        display_node: opt_id(map, "display_node"),
        prompt_id: opt_id(map, "prompt_id"),
    }
}

fn progress(map: &Object) -> Progress {
    Progress {
        value: number(map, "value"),
        max: number(map, "max"),
        prompt_id: opt_id(map, "prompt_id"),
        node: opt_id(map, "node"),
    }
}

fn interrupted(kind: &str, map: &Object) -> Result<ExecutionInterrupted, DecodeError> {
    Ok(ExecutionInterrupted {
        prompt_id: required_id(kind, map, "prompt_id")?,
        node_id: opt_id(map, "node_id"),
        node_type: text(map, "node_type"),
        executed: id_list(map, "executed"),
        timestamp: int(map, "timestamp"),
    })
}

fn gpu(kind: &str, map: &Object) -> Result<GpuSample, DecodeError> {
    Ok(GpuSample {
        timestamp: int(map, "timestamp"),
        device: text(map, "device"),
        name: text(map, "name"),
        cpu_only: flag(kind, map, "cpu_only")?,
        vram_total: number(map, "vram_total"),
        vram_free: number(map, "vram_free"),
        torch_vram_reserved: number(map, "torch_vram_reserved"),
        torch_vram_allocated: number(map, "torch_vram_allocated"),
        utilization: number(map, "utilization"),
        temperature: number(map, "temperature"),
    })
}

fn dropped(map: &Object) -> Dropped {
    Dropped {
        count: int(map, "count"),
        total: int(map, "total"),
    }
}

/// A frame's `data` as a JSON object (the rare frames that read it whole).
pub(super) fn object(kind: &str, data: &str) -> Result<Map<String, Value>, DecodeError> {
    match crate::json::parse(data) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(DecodeError::bad_data(kind, "data is not an object")),
        Err(e) => Err(DecodeError::bad_data(kind, e)),
    }
}

#[cfg(test)]
mod tests {
    use crate::protocol::{decode_text, DecodeError, ServerMessage};

    fn decode(kind: &str, data: &str) -> Result<ServerMessage, DecodeError> {
        decode_text(&format!(r#"{{"type":"{kind}","data":{data}}}"#))
    }

    #[test]
    fn ids_may_be_numbers_and_numbers_may_be_strings() {
        let Ok(ServerMessage::Progress(p)) = decode(
            "progress",
            r#"{"value":" 3 ","max":20.0,"prompt_id":7,"node":"12","extra":[1]}"#,
        ) else {
            panic!("progress did not decode");
        };
        assert_eq!(p.value, Some(3.0));
        assert_eq!(p.max, Some(20.0));
        assert_eq!(p.prompt_id.as_deref(), Some("7"));
        assert_eq!(p.node.as_deref(), Some("12"));
        let Ok(ServerMessage::ExecutionStart(s)) = decode(
            "execution_start",
            r#"{"prompt_id":"p","timestamp":"1700000000123"}"#,
        ) else {
            panic!("execution_start did not decode");
        };
        assert_eq!(s.timestamp, Some(1_700_000_000_123));
    }

    #[test]
    fn nulls_and_odd_types_are_unknown_not_errors() {
        let Ok(ServerMessage::Executing(e)) = decode(
            "executing",
            r#"{"node":null,"display_node":{},"prompt_id":"p"}"#,
        ) else {
            panic!("executing did not decode");
        };
        assert_eq!((e.node, e.display_node), (None, None));
        let Ok(ServerMessage::ExecutionInterrupted(i)) = decode(
            "execution_interrupted",
            r#"{"prompt_id":"p","node_id":3,"node_type":true,"executed":["1",2,null],"timestamp":null}"#,
        ) else {
            panic!("execution_interrupted did not decode");
        };
        assert_eq!(i.node_id.as_deref(), Some("3"));
        assert_eq!(i.node_type.as_deref(), Some("true"));
        assert_eq!(i.executed, ["1", "2"]);
        assert_eq!(i.timestamp, None);
        let Ok(ServerMessage::TelemetryDropped(d)) = decode("telemetry.dropped", "{}") else {
            panic!("telemetry.dropped did not decode");
        };
        assert_eq!((d.count, d.total), (None, None));
    }

    #[test]
    fn a_missing_prompt_id_or_a_non_boolean_flag_is_a_malformed_frame() {
        for (kind, data) in [
            ("execution_start", r#"{"timestamp":1}"#),
            ("execution_success", r#"{"prompt_id":null}"#),
            ("execution_cached", r#"{"nodes":[]}"#),
            ("execution_interrupted", r#"{"prompt_id":{}}"#),
            ("feature_flags", r#"{"supports_preview_metadata":"yes"}"#),
            ("telemetry.gpu", r#"{"cpu_only":null}"#),
            ("progress", "[1,2]"),
            ("executing", "null"),
        ] {
            assert!(
                matches!(decode(kind, data), Err(DecodeError::BadData { .. })),
                "{kind} {data}"
            );
        }
    }

    #[test]
    fn flags_default_to_false() {
        let Ok(ServerMessage::FeatureFlags(f)) =
            decode("feature_flags", r#"{"max_upload_size":104857600}"#)
        else {
            panic!("feature_flags did not decode");
        };
        assert!(!f.supports_preview_metadata);
        assert_eq!(f.max_upload_size, Some(104_857_600));
        let Ok(ServerMessage::TelemetryGpu(g)) = decode(
            "telemetry.gpu",
            r#"{"cpu_only":true,"vram_total":"8e9","utilization":"n/a","device":0}"#,
        ) else {
            panic!("telemetry.gpu did not decode");
        };
        assert!(g.cpu_only);
        assert_eq!(g.vram_total, Some(8e9));
        assert_eq!(g.utilization, None);
        assert_eq!(g.device.as_deref(), Some("0"));
    }
}
