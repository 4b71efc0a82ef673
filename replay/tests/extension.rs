//! `--extension`: `/telemetry` speaks the comfyui_telemetry custom node's protocol.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(5);

fn ext_config(fx: &std::path::Path, scenarios: &[&str], speed: f64) -> comfy_replay::Config {
    let mut c = config(fx, scenarios, speed);
    c.extension = true;
    c
}

/// Non-GPU frames until none came for `quiet` (GPU samples never stop in extension mode).
async fn until_quiet(tele: &mut Ws, quiet: Duration) -> Vec<Value> {
    let mut out = Vec::new();
    let mut last = Instant::now();
    while last.elapsed() < quiet {
        match next_json(tele, quiet).await {
            Some(v) if msg_type(&v) == "telemetry.gpu" => {}
            Some(v) => {
                out.push(v);
                last = Instant::now();
            }
            None => break,
        }
    }
    out
}

/// The prompts a scenario queued, in order: (prompt_id, prompt object).
fn queued_prompts(fx: &std::path::Path, scenario: &str) -> Vec<(String, Value)> {
    trace_lines(&fx.join(scenario).join("actions.jsonl"))
        .into_iter()
        .filter(|a| a["method"] == "POST" && a["path"] == "/prompt" && a["status"] == 200)
        .map(|a| {
            (
                a["response"]["prompt_id"].as_str().expect("id").to_owned(),
                a["request_body"]["prompt"].clone(),
            )
        })
        .collect()
}

fn class_types(prompt: &Value) -> Value {
    let map: serde_json::Map<String, Value> = prompt
        .as_object()
        .expect("prompt object")
        .iter()
        .map(|(k, v)| (k.clone(), v["class_type"].clone()))
        .collect();
    Value::Object(map)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_first_then_gpu_samples_every_scaled_second() {
    let fx = fixtures_or_skip!();
    let addr = start(ext_config(&fx, &["a_success"], 10.0)).await;
    let mut tele = ws(addr, "/telemetry").await;
    let hello = next_json(&mut tele, WAIT).await.expect("hello");
    assert_eq!(msg_type(&hello), "telemetry.hello", "{hello}");
    let d = &hello["data"];
    assert_eq!(d["protocol"], 1);
    assert_eq!(d["extension_version"], "0.1.0");
    assert_eq!(d["comfyui_version"], "0.3.64");
    assert_eq!(d["queue"]["running"], Value::Array(vec![]));
    assert_eq!(
        d["executing"],
        serde_json::json!({"prompt_id": null, "node": null})
    );
    assert_eq!(d["replay"]["count"], 0);

    // Speed 10: one sample per 100 ms, built from the recorded CPU-only /system_stats.
    let started = Instant::now();
    let mut samples = Vec::new();
    while samples.len() < 4 {
        let v = next_json(&mut tele, WAIT).await.expect("frame");
        if msg_type(&v) == "telemetry.gpu" {
            samples.push(v["data"].clone());
        }
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_millis(1500),
        "{elapsed:?}"
    );
    let s = &samples[0];
    assert_eq!(s["device"], "cpu");
    assert_eq!(s["name"], "cpu");
    assert_eq!(s["cpu_only"], true);
    assert_eq!(s["vram_total"], 25276510208u64);
    assert!(s["vram_free"].is_u64());
    assert_eq!(s["torch_vram_reserved"], Value::Null);
    assert_eq!(s["torch_vram_allocated"], Value::Null);
    assert_eq!(s["utilization"], Value::Null);
    assert_eq!(s["temperature"], Value::Null);
    assert!(s["timestamp"]
        .as_u64()
        .is_some_and(|t| t > 1_600_000_000_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_prompt_is_announced_when_queued() {
    let fx = fixtures_or_skip!();
    let expected = queued_prompts(&fx, "e_queue3");
    assert_eq!(expected.len(), 3);
    let addr = start(ext_config(&fx, &["e_queue3"], 20.0)).await;
    let mut tele = ws(addr, "/telemetry").await;
    let mut order = Vec::new();
    let mut queued = Vec::new();
    for v in until_quiet(&mut tele, Duration::from_millis(800)).await {
        let t = msg_type(&v).to_owned();
        if t == "telemetry.queued" {
            queued.push(v["data"].clone());
        }
        order.push((t, v["data"]["prompt_id"].as_str().map(str::to_owned)));
    }
    let ids: Vec<&str> = queued
        .iter()
        .filter_map(|q| q["prompt_id"].as_str())
        .collect();
    let want: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, want);
    for (q, (_, prompt)) in queued.iter().zip(&expected) {
        assert_eq!(q["node_count"], prompt.as_object().map_or(0, |o| o.len()));
        assert_eq!(q["nodes"], class_types(prompt));
        // A pseudonym like the extension's, never the recorded socket id.
        let client = q["client_id"].as_str().unwrap_or_default();
        assert!(client.starts_with("c-") && client.len() == 18, "{client}");
        assert!(q["number"].is_i64());
        assert!(q["queued_at"]
            .as_u64()
            .is_some_and(|t| t > 1_600_000_000_000));
    }
    // Announced before the prompt starts.
    for id in want {
        let pos = |t: &str| {
            order
                .iter()
                .position(|(k, p)| k == t && p.as_deref() == Some(id))
                .unwrap_or_else(|| panic!("{t} for {id}"))
        };
        assert!(pos("telemetry.queued") < pos("execution_start"));
    }
    // Plain mode never sends them.
    let addr = start(config(&fx, &["e_queue3"], 20.0)).await;
    let mut plain = ws(addr, "/telemetry").await;
    while let Some(v) = next_json(&mut plain, Duration::from_millis(800)).await {
        assert!(!msg_type(&v).starts_with("telemetry."), "{v}");
    }
}

/// Text frames of one prompt, in order, until `executing{node:null}` for it.
async fn prompt_frames(tele: &mut Ws, id: &str, mut got: Vec<Value>) -> Vec<Value> {
    loop {
        if got
            .last()
            .is_some_and(|v| msg_type(v) == "executing" && v["data"]["node"].is_null())
        {
            return got;
        }
        let v = next_json(tele, WAIT).await.expect("prompt frames");
        if v["data"]["prompt_id"] == id && !msg_type(&v).starts_with("telemetry.") {
            got.push(v);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_mid_run_gets_hello_and_catch_up_without_gap_or_duplicate() {
    let fx = fixtures_or_skip!();
    let (id, prompt) = queued_prompts(&fx, "a_success").remove(0);
    let addr = start(ext_config(&fx, &["a_success"], 2.0)).await;
    let mut first = ws(addr, "/telemetry").await;
    let hello = next_json(&mut first, WAIT).await.expect("hello");
    assert_eq!(hello["data"]["replay"]["count"], 0);

    // Wait until the run is well under way.
    let mut seen = Vec::new();
    loop {
        let v = next_json(&mut first, WAIT).await.expect("frames");
        if v["data"]["prompt_id"] == id.as_str() && !msg_type(&v).starts_with("telemetry.") {
            seen.push(v.clone());
        }
        if msg_type(&v) == "progress" && v["data"]["value"] == 3 {
            break;
        }
    }

    let mut again = ws(addr, "/telemetry").await;
    let hello = next_json(&mut again, WAIT).await.expect("hello");
    assert_eq!(msg_type(&hello), "telemetry.hello");
    let d = &hello["data"];
    let running = &d["queue"]["running"][0];
    assert_eq!(running["prompt_id"], id.as_str(), "{d}");
    assert_eq!(running["node_count"], 3);
    assert_eq!(running["nodes"], class_types(&prompt));
    assert_eq!(d["queue"]["pending"], Value::Array(vec![]));
    assert_eq!(d["executing"]["prompt_id"], id.as_str());
    assert_eq!(d["executing"]["node"], "2", "SlowProgress is node 2: {d}");
    let count = d["replay"]["count"].as_u64().expect("count") as usize;
    assert!(count >= seen.len(), "replay {count} < seen {}", seen.len());

    let mut replay = Vec::new();
    while replay.len() < count {
        let v = next_json(&mut again, WAIT).await.expect("replayed frame");
        assert_ne!(
            msg_type(&v),
            "telemetry.gpu",
            "gpu sample inside the replay"
        );
        replay.push(v);
    }
    assert!(replay.iter().all(|v| v["data"]["prompt_id"] == id.as_str()));
    assert_eq!(msg_type(&replay[0]), "execution_start");
    assert_eq!(&replay[..seen.len()], &seen[..]);

    let full_first = prompt_frames(&mut first, &id, seen).await;
    let full_again = prompt_frames(&mut again, &id, replay).await;
    assert_eq!(
        full_again, full_first,
        "catch-up + live must equal the uninterrupted run"
    );

    // After the run: a newcomer still gets the finished prompt, and nothing is executing.
    let mut late = ws(addr, "/telemetry").await;
    let hello = next_json(&mut late, WAIT).await.expect("hello");
    assert_eq!(
        hello["data"]["executing"],
        serde_json::json!({"prompt_id": null, "node": null})
    );
    assert_eq!(
        hello["data"]["replay"]["count"].as_u64(),
        Some(full_first.len() as u64)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_is_unchanged_in_extension_mode() {
    let fx = fixtures_or_skip!();
    let addr = start(ext_config(&fx, &["a_success"], 20.0)).await;
    let mut obs = ws(addr, "/ws?clientId=obs").await;
    let hello = next_json(&mut obs, WAIT).await.expect("status");
    assert_eq!(msg_type(&hello), "status");
    assert_eq!(hello["data"]["sid"], "obs");
    while let Some(v) = next_json(&mut obs, Duration::from_millis(600)).await {
        assert_eq!(msg_type(&v), "status", "{v}");
    }
}
