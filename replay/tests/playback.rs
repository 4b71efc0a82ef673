//! What dashboard sockets receive while recordings play.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telemetry_gets_the_full_run_in_recorded_order_and_ws_only_status() {
    let fx = fixtures_or_skip!();
    let addr = start(config(&fx, &["a_success"], 20.0)).await;
    let mut tele = ws(addr, "/telemetry?clientId=tele1").await;
    let mut obs = ws(addr, "/ws?clientId=obs1").await;

    let hello = next_json(&mut tele, WAIT).await.expect("greeting");
    assert_eq!(msg_type(&hello), "status");
    assert_eq!(hello["data"]["sid"], "tele1");
    let hello = next_json(&mut obs, WAIT).await.expect("greeting");
    assert_eq!(hello["data"]["sid"], "obs1");

    // Both sockets are open: replay from the start so neither misses anything.
    assert_eq!(post(addr, "/__replay/restart").await.status, 200);

    let expected: Vec<Value> = trace_lines(&fx.join("a_success/ws_submitter.jsonl"))
        .into_iter()
        .filter(|l| l["kind"] == "text")
        .map(|l| l["msg"].clone())
        .filter(|m| !(m["type"] == "status" && m["data"].get("sid").is_some()))
        .collect();
    let mut got = Vec::new();
    while got.len() < expected.len() {
        got.push(
            next_json(&mut tele, WAIT)
                .await
                .expect("next recorded frame"),
        );
    }
    assert_eq!(got, expected, "frames differ from the recording");

    let order: Vec<&str> = got.iter().map(msg_type).collect();
    let pos = |t: &str| order.iter().position(|x| *x == t).expect(t);
    assert!(pos("execution_start") < pos("executing"));
    assert!(pos("executing") < pos("progress"));
    assert!(pos("progress") < pos("executed"));
    assert!(pos("executed") < pos("execution_success"));
    let executed = &got[pos("executed")];
    assert_eq!(
        executed["data"]["output"]["images"][0]["filename"],
        "probe_40fe31_00001_.png"
    );

    let mut observer_types = Vec::new();
    while let Some(v) = next_json(&mut obs, Duration::from_millis(400)).await {
        observer_types.push(msg_type(&v).to_owned());
    }
    assert!(!observer_types.is_empty(), "observer got nothing");
    assert!(
        observer_types.iter().all(|t| t == "status"),
        "observer got {observer_types:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_shows_the_running_prompt_and_history_has_it_afterwards() {
    let fx = fixtures_or_skip!();
    let id = prompt_id(&fx, "a_success");
    let addr = start(config(&fx, &["a_success"], 4.0)).await;

    let before = get(addr, "/api/queue").await.json();
    assert_eq!(before["queue_running"], Value::Array(vec![]));
    assert_eq!(
        get(addr, &format!("/api/history/{id}")).await.json(),
        serde_json::json!({})
    );

    let mut tele = ws(addr, "/telemetry").await;
    loop {
        let v = next_json(&mut tele, WAIT).await.expect("execution_start");
        if msg_type(&v) == "execution_start" {
            break;
        }
    }
    let q = get(addr, "/api/queue").await;
    assert_eq!(
        q.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let q = q.json();
    assert_eq!(q["queue_running"][0][1], id.as_str(), "queue: {q}");
    assert!(q["queue_running"][0][3]["client_id"].is_string());
    assert_eq!(
        get(addr, "/api/prompt").await.json()["exec_info"]["queue_remaining"],
        1
    );
    assert_eq!(
        get(addr, &format!("/api/history/{id}")).await.json(),
        serde_json::json!({})
    );

    loop {
        let v = next_json(&mut tele, WAIT).await.expect("execution_success");
        if msg_type(&v) == "execution_success" {
            break;
        }
    }
    let h = get(addr, &format!("/api/history/{id}")).await.json();
    let entry = &h[id.as_str()];
    assert_eq!(entry["status"]["status_str"], "success", "history: {h}");
    assert_eq!(
        entry["outputs"]["3"]["images"][0]["filename"],
        "probe_40fe31_00001_.png"
    );
    let list = get(addr, "/api/history?max_items=10").await.json();
    assert!(list.get(&id).is_some(), "history list: {list}");
    assert_eq!(
        get(addr, "/api/queue").await.json()["queue_running"],
        Value::Array(vec![])
    );
}

async fn history_of(addr: std::net::SocketAddr, id: &str) -> Value {
    let h = get(addr, &format!("/api/history/{id}")).await.json();
    h.get(id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not in history: {h}"))
}

fn message_types(entry: &Value) -> Vec<String> {
    entry["status"]["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|pair| pair[0].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn check_error_and_interrupt(fx: &std::path::Path, ids_from: &std::path::Path) {
    let mut cfg = config(fx, &["c_error", "d_interrupted"], 50.0);
    cfg.autostart = true;
    let addr = start(cfg).await;
    wait_finished(addr).await;

    let failed = history_of(addr, &prompt_id(ids_from, "c_error")).await;
    assert_eq!(failed["status"]["status_str"], "error");
    assert!(message_types(&failed).contains(&"execution_error".to_owned()));

    let stopped = history_of(addr, &prompt_id(ids_from, "d_interrupted")).await;
    assert_eq!(stopped["status"]["status_str"], "error");
    assert_eq!(stopped["status"]["completed"], false);
    assert!(message_types(&stopped).contains(&"execution_interrupted".to_owned()));

    let list = get(addr, "/api/history?max_items=1").await.json();
    let keys: Vec<&String> = list.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        vec![&prompt_id(ids_from, "d_interrupted")],
        "last one only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_and_interrupted_prompts_are_errors_in_recorded_history() {
    let fx = fixtures_or_skip!();
    check_error_and_interrupt(&fx, &fx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_and_interrupted_prompts_are_errors_in_synthesized_history() {
    let fx = fixtures_or_skip!();
    // Same traces, no recorded http/ answers: history must be built from the frames.
    let tmp = temp_dir("synth");
    for s in ["c_error", "d_interrupted"] {
        copy_dir(&fx.join(s), &tmp.join(s));
    }
    check_error_and_interrupt(&tmp, &fx).await;
    let _ = std::fs::remove_dir_all(&tmp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_binary_frames_are_byte_identical() {
    let fx = fixtures_or_skip!();
    let addr = start(config(&fx, &["f_preview_metadata"], 20.0)).await;
    let mut tele = ws(addr, "/telemetry").await;
    send_text(
        &mut tele,
        r#"{"type":"feature_flags","data":{"supports_preview_metadata":true}}"#,
    )
    .await;

    let expected: Vec<Vec<u8>> = trace_lines(&fx.join("f_preview_metadata/ws_submitter.jsonl"))
        .iter()
        .filter(|l| l["kind"] == "binary")
        .map(|l| {
            base64::engine::general_purpose::STANDARD
                .decode(l["b64"].as_str().expect("b64"))
                .expect("valid b64")
        })
        .collect();
    assert!(!expected.is_empty());

    let mut got = Vec::new();
    let mut flags_reply = None;
    while got.len() < expected.len() {
        match next(&mut tele, WAIT).await.expect("next frame") {
            Message::Binary(b) => got.push(b.to_vec()),
            Message::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                if msg_type(&v) == "feature_flags" {
                    flags_reply = Some(v);
                }
            }
            _ => {}
        }
    }
    assert_eq!(got, expected);
    assert_eq!(&got[0][..4], &[0, 0, 0, 4], "event 4 header");
    let flags = flags_reply.expect("feature_flags answered");
    assert_eq!(flags["data"]["supports_preview_metadata"], true);
}
