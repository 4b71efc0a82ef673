//! The `Value`-tree readers that `wire` replaced, kept verbatim for the property test that the
//! two agree on any data (tests only).

use super::{lenient, *};
use serde_json::{Map, Value};

fn object(kind: &str, data: &str) -> Result<Map<String, Value>, DecodeError> {
    match serde_json::from_str::<Value>(data) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(DecodeError::bad_data(kind, "data is not an object")),
        Err(e) => Err(DecodeError::bad_data(kind, e)),
    }
}

fn required_id(kind: &str, map: &Map<String, Value>, field: &str) -> Result<String, DecodeError> {
    map.get(field)
        .and_then(lenient::id_of)
        .ok_or_else(|| DecodeError::bad_data(kind, format!("missing \"{field}\"")))
}

/// Crystools reports `-1` for anything it cannot measure.
fn measured(v: Option<&Value>) -> Option<f64> {
    v.and_then(lenient::number_of).filter(|n| *n >= 0.0)
}

pub(super) fn status(kind: &str, data: &str) -> Result<Status, DecodeError> {
    let map = object(kind, data)?;
    let queue_remaining = map
        .get("status")
        .and_then(|s| s.get("exec_info"))
        .and_then(|e| e.get("queue_remaining"))
        .and_then(lenient::number_of)
        .filter(|n| *n >= 0.0)
        .map(|n| n.min(u32::MAX as f64) as u32);
    let sid = map.get("sid").and_then(lenient::id_of);
    Ok(Status {
        queue_remaining,
        sid,
    })
}

pub(super) fn progress_state(kind: &str, data: &str) -> Result<ProgressState, DecodeError> {
    let map = object(kind, data)?;
    let prompt_id = required_id(kind, &map, "prompt_id")?;
    let mut nodes: Vec<NodeProgress> = match map.get("nodes") {
        Some(Value::Object(nodes)) => nodes
            .iter()
            .map(|(key, node)| NodeProgress {
                node_id: node
                    .get("node_id")
                    .and_then(lenient::id_of)
                    .unwrap_or_else(|| key.clone()),
                value: node.get("value").and_then(lenient::number_of),
                max: node.get("max").and_then(lenient::number_of),
                state: node
                    .get("state")
                    .and_then(Value::as_str)
                    .map(NodeState::parse)
                    .unwrap_or(NodeState::Unknown),
                display_node_id: node.get("display_node_id").and_then(lenient::id_of),
                parent_node_id: node.get("parent_node_id").and_then(lenient::id_of),
                real_node_id: node.get("real_node_id").and_then(lenient::id_of),
                activity: node
                    .get("activity")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                seconds: node
                    .get("seconds")
                    .and_then(lenient::number_of)
                    .filter(|s| *s >= 0.0),
            })
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err(DecodeError::bad_data(kind, "\"nodes\" is not an object")),
    };
    nodes.sort_by(|a, b| crate::run::node_order(&a.node_id, &b.node_id));
    Ok(ProgressState { prompt_id, nodes })
}

pub(super) fn monitor(kind: &str, data: &str) -> Result<MonitorSample, DecodeError> {
    let map = object(kind, data)?;
    let gpus = map
        .get("gpus")
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
    Ok(MonitorSample {
        cpu_utilization: measured(map.get("cpu_utilization")),
        ram_total: measured(map.get("ram_total")),
        ram_used: measured(map.get("ram_used")),
        device_type: map
            .get("device_type")
            .and_then(Value::as_str)
            .map(str::to_owned),
        gpus,
    })
}

/// The preview metadata fields as `binary.rs` read them from a `Value`.
fn preview_meta(meta: &[u8]) -> Option<(ImageMime, [Option<String>; 3])> {
    let meta: Value = serde_json::from_slice(meta).ok()?;
    if !meta.is_object() {
        return None;
    }
    let field = |name: &str| meta.get(name).and_then(lenient::id_of);
    let mime = match meta.get("image_type").and_then(Value::as_str) {
        Some("image/png") => ImageMime::Png,
        Some("image/webp") => ImageMime::Webp,
        _ => ImageMime::Jpeg,
    };
    Some((
        mime,
        [
            field("node_id"),
            field("prompt_id"),
            field("display_node_id"),
        ],
    ))
}

mod tests {
    use super::super::high_rate;
    use super::*;
    use proptest::prelude::*;

    const KEYS: &[&str] = &[
        "prompt_id",
        "nodes",
        "node_id",
        "value",
        "max",
        "state",
        "display_node_id",
        "parent_node_id",
        "real_node_id",
        "activity",
        "seconds",
        "status",
        "exec_info",
        "queue_remaining",
        "sid",
        "cpu_utilization",
        "ram_total",
        "ram_used",
        "device_type",
        "gpus",
        "gpu_utilization",
        "gpu_temperature",
        "vram_total",
        "vram_used",
        "image_type",
        "1",
        "10",
        "2",
    ];

    /// JSON text (not a `Value`, so duplicate keys and escapes occur) built from the keys above.
    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            (-2i64..4).prop_map(|n| n.to_string()),
            (-1e6f64..1e6).prop_map(|f| serde_json::Number::from_f64(f)
                .map(|n| n.to_string())
                .unwrap_or_else(|| "0".into())),
            prop::sample::select(vec![
                "\"running\"",
                "\"finished\"",
                "\"image/png\"",
                "\"image/webp\"",
                "\" 12 \"",
                "\"-1\"",
                "\"1e400\"",
                "\"a\\u0062\"",
                "\"3\"",
            ])
            .prop_map(str::to_owned),
            "[a-z0-9 ]{0,6}".prop_map(|s| format!("\"{s}\"")),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec(
                    (
                        prop_oneof![
                            prop::sample::select(KEYS).prop_map(str::to_owned),
                            "[a-z]{1,3}",
                        ],
                        inner
                    ),
                    0..7
                )
                .prop_map(|fields| {
                    let body: Vec<String> = fields
                        .iter()
                        .map(|(k, v)| {
                            format!("{}:{v}", serde_json::to_string(k).unwrap_or_default())
                        })
                        .collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    fn same<T: PartialEq + std::fmt::Debug>(
        a: Result<T, DecodeError>,
        b: Result<T, DecodeError>,
    ) -> Result<(), TestCaseError> {
        match (a, b) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "value reader {a:?}, wire reader {b:?}"),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn wire_readers_agree_with_the_value_readers(data in json_text()) {
            same(progress_state("progress_state", &data), high_rate::progress_state("progress_state", &data))?;
            same(monitor("crystools.monitor", &data), high_rate::monitor("crystools.monitor", &data))?;
            same(status("status", &data), high_rate::status("status", &data))?;
            let wire = high_rate::preview_meta(data.as_bytes()).ok().map(|m| {
                (m.mime.unwrap_or(ImageMime::Jpeg), [m.node_id, m.prompt_id, m.display_node_id])
            });
            prop_assert_eq!(preview_meta(data.as_bytes()), wire);
        }

        /// The one-pass decoder gives exactly what the two-pass one gives, errors included,
        /// whatever the frame's shape.
        #[test]
        fn one_pass_equals_two_pass(
            kind in prop::sample::select(vec![
                "progress", "executing", "execution_cached", "execution_start",
                "execution_success", "status", "progress_state", "crystools.monitor",
                "executed", "logs", "telemetry.hello", "my.extension", "execution_error",
            ]),
            data in json_text(),
            shape in 0u8..8,
            cut in 0usize..400,
        ) {
            let kind_json = format!("{kind:?}");
            let frame = match shape {
                0 => format!("{{\"type\":{kind_json},\"data\":{data}}}"),
                1 => format!("{{\"data\":{data},\"type\":{kind_json}}}"),
                2 => format!("{{\"type\":{kind_json}}}"),
                3 => format!("{{\"type\":{kind_json},\"data\":{data},\"type\":\"status\"}}"),
                4 => format!("{{\"x\":[1],\"type\":{kind_json},\"data\":{data},\"y\":{{}}}}"),
                5 => format!("{{\"type\":null,\"data\":{data}}}"),
                6 => format!("{{\"type\":{kind_json},\"data\":{data},\"data\":null}}"),
                _ => {
                    let full = format!("{{\"type\":{kind_json},\"data\":{data}}}");
                    let mut at = cut.min(full.len());
                    while !full.is_char_boundary(at) {
                        at -= 1;
                    }
                    full[..at].to_owned()
                }
            };
            prop_assert_eq!(
                super::super::text::decode_text(&frame),
                super::super::text::decode_text_two_pass(&frame),
                "{}", frame
            );
        }

        #[test]
        fn progress_state_with_nodes_agrees(
            nodes in prop::collection::vec(("[0-9]{1,2}", json_text()), 0..8),
            pid in prop_oneof![Just("\"p\"".to_owned()), Just("7".to_owned()), Just("null".to_owned())],
        ) {
            let body: Vec<String> = nodes.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let data = format!("{{\"prompt_id\":{pid},\"nodes\":{{{}}}}}", body.join(","));
            same(progress_state("progress_state", &data), high_rate::progress_state("progress_state", &data))?;
        }
    }
}
