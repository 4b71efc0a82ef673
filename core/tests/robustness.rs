//! No input, however broken, may panic: the release build aborts on panic and kills the page.

use proptest::prelude::*;
use telemetry_core::protocol::http::{decode_history, decode_queue, decode_system_stats};
use telemetry_core::{decode_binary, decode_text, DecodeError, ServerMessage, Tracker};

const KINDS: &[&str] = &[
    "status",
    "execution_start",
    "execution_cached",
    "executing",
    "progress",
    "progress_state",
    "executed",
    "execution_success",
    "execution_error",
    "execution_interrupted",
    "feature_flags",
    "logs",
    "crystools.monitor",
    "telemetry",
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("prompt_id".to_owned()),
                    Just("node".to_owned()),
                    Just("nodes".to_owned()),
                    Just("value".to_owned()),
                    Just("max".to_owned()),
                    Just("output".to_owned()),
                    Just("images".to_owned()),
                    Just("filename".to_owned()),
                    Just("status".to_owned()),
                    Just("exec_info".to_owned()),
                    Just("queue_remaining".to_owned()),
                    Just("traceback".to_owned()),
                    Just("sceneId".to_owned()),
                    Just("gpus".to_owned()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_text_never_panics(s in ".{0,200}") {
        let _ = decode_text(&s);
        let _ = decode_queue(&s);
        let _ = decode_history(&s);
        let _ = decode_system_stats(&s);
    }

    #[test]
    fn random_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..64), event in 0u32..6) {
        let mut frame = event.to_be_bytes().to_vec();
        frame.extend(b.iter());
        let _ = decode_binary(&frame);
        let _ = decode_binary(&b);
    }

    #[test]
    fn typed_messages_with_random_data_never_panic_the_tracker(
        kind in prop::sample::select(KINDS),
        data in json_value(),
    ) {
        let frame = serde_json::json!({"type": kind, "data": data}).to_string();
        let mut tracker = Tracker::new("s");
        let mut out = Vec::new();
        match decode_text(&frame) {
            Ok(msg) => tracker.apply(&msg, 0.0, &mut out),
            Err(e) => tracker.record_malformed(e, &mut out),
        }
        let _ = tracker.current_run().map(|r| (r.progress(), r.duration_ms(1.0)));
    }
}

#[test]
fn truncated_recorded_frames_yield_errors_not_panics() {
    let good = r#"{"type":"executed","data":{"node":"3","display_node":"3","output":{"images":[{"filename":"a.png","subfolder":"","type":"output"}]},"prompt_id":"p"}}"#;
    for cut in 0..good.len() {
        let _ = decode_text(&good[..cut]);
    }
    let meta = br#"{"node_id": "2", "prompt_id": "p", "image_type": "image/png"}"#;
    let mut frame = vec![0, 0, 0, 4];
    frame.extend((meta.len() as u32).to_be_bytes());
    frame.extend(meta);
    frame.extend([0x89, b'P', b'N', b'G']);
    for cut in 0..frame.len() {
        let _ = decode_binary(&frame[..cut]);
    }
    assert!(matches!(
        decode_binary(&frame),
        Ok(ServerMessage::Preview(_))
    ));
}

#[test]
fn malformed_frames_get_typed_errors_and_unknown_types_do_not() {
    assert!(matches!(decode_text("{"), Err(DecodeError::InvalidJson(_))));
    assert!(matches!(
        decode_text(r#"{"data":{}}"#),
        Err(DecodeError::MissingType)
    ));
    assert!(matches!(
        decode_text(r#"{"type":"executed","data":{"node":"1"}}"#),
        Err(DecodeError::BadData { .. })
    ));
    assert!(matches!(
        decode_text(r#"{"type":"progress_state","data":"x"}"#),
        Err(DecodeError::BadData { .. })
    ));
    assert_eq!(
        decode_text(r#"{"type":"my_extension.event","data":{"x":1}}"#),
        Ok(ServerMessage::Unknown {
            kind: "my_extension.event".into()
        })
    );
    assert!(matches!(
        decode_binary(&[0, 0]),
        Err(DecodeError::BinaryTooShort { .. })
    ));
    assert!(matches!(
        decode_binary(&[0, 0, 0, 4, 0, 0, 1, 0, b'{']),
        Err(DecodeError::BinaryLength { .. })
    ));
    assert!(matches!(
        decode_binary(&[0, 0, 0, 9]),
        Ok(ServerMessage::Unknown { .. })
    ));
}

#[test]
fn lenient_numbers_and_ids() {
    let m = decode_text(
        r#"{"type":"progress","data":{"value":"3","max":10.0,"prompt_id":"p","node":7}}"#,
    )
    .expect("decodes");
    match m {
        ServerMessage::Progress(p) => {
            assert_eq!(
                (p.value, p.max, p.node.as_deref()),
                (Some(3.0), Some(10.0), Some("7"))
            );
        }
        other => panic!("{other:?}"),
    }
    // The ExecutionBlocked variant: current_inputs is a list and there is no timestamp.
    let blocked = r#"{"type":"execution_error","data":{"prompt_id":"p","node_id":"5","node_type":"X","executed":[],"exception_message":"blocked","exception_type":"ExecutionBlocked","traceback":[],"current_inputs":[],"current_outputs":[]}}"#;
    match decode_text(blocked).expect("decodes") {
        ServerMessage::ExecutionError(e) => {
            assert_eq!(e.exception_type.as_deref(), Some("ExecutionBlocked"));
            assert!(e.timestamp.is_none() && e.traceback.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn seed_flat_update_becomes_a_run() {
    let msg = decode_text(r#"{"sceneId":"scene-001","timestamp":1763000000000,"status":"executing","duration":12.4,"attempts":6,"gpuVramFree":9876543210,"gpuName":"RTX 3090"}"#).expect("decodes");
    let mut t = Tracker::new("s");
    let mut out = Vec::new();
    t.apply(&msg, 0.0, &mut out);
    let run = t.run("scene-001").expect("run");
    assert_eq!(run.status, telemetry_core::RunStatus::Running);
    assert_eq!(run.history_attempts, Some(6));
    assert_eq!(run.gpu_name.as_deref(), Some("RTX 3090"));
    let done = decode_text(
        r#"{"sceneId":"scene-001","timestamp":1763000001000,"status":"completed","duration":20.0}"#,
    )
    .expect("decodes");
    t.apply(&done, 1.0, &mut out);
    assert_eq!(
        t.run("scene-001").map(|r| r.status),
        Some(telemetry_core::RunStatus::Succeeded)
    );
}
