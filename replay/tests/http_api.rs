//! ComfyUI HTTP routes, the served dashboard and server options.

mod common;

use std::time::Duration;

use common::*;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A scenario no fixture has: a filename with spaces, and a malformed line that must be skipped.
fn custom_fixtures() -> std::path::PathBuf {
    let dir = temp_dir("custom");
    let s = dir.join("zz_custom");
    std::fs::create_dir_all(&s).expect("mkdir");
    let lines = [
        r#"{"t_mono_ms":100.0,"kind":"open","clientId":"abc"}"#,
        r#"{"t_mono_ms":100.5,"kind":"text","msg":{"type":"status","data":{"status":{"exec_info":{"queue_remaining":0}},"sid":"abc"}}}"#,
        r#"this is not json"#,
        r#"{"t_mono_ms":120.0,"kind":"text","msg":{"type":"execution_start","data":{"prompt_id":"p-1","timestamp":1}}}"#,
        r#"{"t_mono_ms":130.0,"kind":"text","msg":{"type":"executed","data":{"node":"9","display_node":"9","output":{"images":[{"filename":"my render (1).png","subfolder":"","type":"output"}]},"prompt_id":"p-1"}}}"#,
        r#"{"t_mono_ms":131.0,"kind":"binary","b64":"!!!"}"#,
        r#"{"t_mono_ms":140.0,"kind":"text","msg":{"type":"execution_success","data":{"prompt_id":"p-1","timestamp":2}}}"#,
    ];
    std::fs::write(s.join("ws_submitter.jsonl"), lines.join("\n")).expect("write");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view_serves_known_outputs_as_png_and_404s_the_rest() {
    let fx = fixtures_or_skip!();
    let addr = start(config(&fx, &["a_success"], 1.0)).await;

    let r = get(
        addr,
        "/api/view?filename=probe_40fe31_00001_.png&subfolder=&type=output",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(
        r.header("content-disposition"),
        Some("filename=\"probe_40fe31_00001_.png\"")
    );
    assert!(r.body.starts_with(PNG_MAGIC));

    let r = get(addr, "/api/view?filename=does_not_exist.png&type=output").await;
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    // Without --dist the root routes answer as well, like ComfyUI.
    assert_eq!(
        get(addr, "/view?filename=probe_40fe31_00001_.png")
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view_decodes_percent_and_plus_encoded_names() {
    let dir = custom_fixtures();
    let addr = start(config(&dir, &[], 1.0)).await;
    for q in [
        "filename=my%20render%20%281%29.png&subfolder=&type=output",
        "filename=my+render+(1).png&type=output",
    ] {
        let r = get(addr, &format!("/api/view?{q}")).await;
        assert_eq!(r.status, 200, "{q}");
        assert!(r.body.starts_with(PNG_MAGIC));
        assert_eq!(
            r.header("content-disposition"),
            Some("filename=\"my render (1).png\"")
        );
    }
    // The frames after the malformed lines still play.
    let mut tele = ws(addr, "/telemetry").await;
    let mut types = Vec::new();
    while let Some(v) = next_json(&mut tele, Duration::from_millis(500)).await {
        types.push(msg_type(&v).to_owned());
    }
    assert_eq!(
        types,
        ["status", "execution_start", "executed", "execution_success"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_answers_match_comfyui() {
    let fx = fixtures_or_skip!();
    let addr = start(config(&fx, &["a_success"], 1.0)).await;

    let stats = get(addr, "/api/system_stats").await;
    assert_eq!(stats.status, 200);
    assert_eq!(stats.json()["system"]["comfyui_version"], "0.3.64");
    assert_eq!(
        get(addr, "/api/features").await.json()["supports_preview_metadata"],
        true
    );
    assert_eq!(
        get(addr, "/api/prompt").await.json()["exec_info"]["queue_remaining"],
        0
    );

    let refused = post(addr, "/api/prompt").await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"]["type"], "replay_only");
    let interrupt = post(addr, "/api/interrupt").await;
    assert_eq!(interrupt.status, 200);
    assert!(interrupt.body.is_empty());
    assert_eq!(get(addr, "/api/no_such_route").await.status, 404);
    assert_eq!(
        get(addr, "/api/history/unknown-id").await.json(),
        serde_json::json!({})
    );
    // No CORS headers unless asked for.
    assert_eq!(stats.header("access-control-allow-origin"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_flags_change_answers() {
    let fx = fixtures_or_skip!();
    let mut cfg = config(&fx, &["a_success"], 1.0);
    cfg.system_stats = false;
    cfg.cors = true;
    let addr = start(cfg).await;

    let stats = get(addr, "/api/system_stats").await;
    assert_eq!(stats.status, 500);
    assert!(stats.body.is_empty());
    assert_eq!(stats.header("access-control-allow-origin"), Some("*"));

    let pre = request(addr, "OPTIONS", "/api/prompt").await;
    assert_eq!(pre.status, 200);
    assert_eq!(
        pre.header("access-control-allow-methods"),
        Some("POST, GET, DELETE, PUT, OPTIONS")
    );
    assert_eq!(
        pre.header("access-control-allow-headers"),
        Some("Content-Type, Authorization")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_telemetry_the_dashboard_falls_back_to_ws() {
    let fx = fixtures_or_skip!();
    let mut cfg = config(&fx, &["a_success"], 1.0);
    cfg.telemetry = false;
    let addr = start(cfg).await;

    assert_eq!(ws_refused_status(addr, "/telemetry").await, 404);
    assert_eq!(ws_refused_status(addr, "/api/telemetry").await, 404);
    let mut sock = ws(addr, "/api/ws").await;
    let hello = next_json(&mut sock, Duration::from_secs(5))
        .await
        .expect("status");
    assert_eq!(msg_type(&hello), "status");
    let sid = hello["data"]["sid"].as_str().expect("sid");
    assert_eq!(sid.len(), 32, "invented clientId {sid}");
    assert!(sid.chars().all(|c| c.is_ascii_hexdigit()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dist_serves_the_app_with_spa_fallback_and_api_under_api() {
    let fx = fixtures_or_skip!();
    let dist = temp_dir("dist");
    std::fs::write(dist.join("index.html"), "<html>dashboard</html>").expect("write");
    std::fs::write(dist.join("app_bg.wasm"), b"\0asm\x01\0\0\0").expect("write");
    std::fs::write(dist.join("app.js"), "export {}").expect("write");
    let mut cfg = config(&fx, &["a_success"], 1.0);
    cfg.dist = Some(dist.clone());
    let addr = start(cfg).await;

    for path in ["/", "/history", "/runs/42"] {
        let r = get(addr, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.text(), "<html>dashboard</html>", "{path}");
        assert!(r
            .header("content-type")
            .unwrap_or("")
            .starts_with("text/html"));
    }
    let wasm = get(addr, "/app_bg.wasm").await;
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert!(get(addr, "/app.js")
        .await
        .header("content-type")
        .unwrap_or("")
        .contains("javascript"));
    let q = get(addr, "/api/queue").await;
    assert_eq!(
        q.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(q.json()["queue_running"].is_array());
    assert_eq!(get(addr, "/api/nope").await.status, 404);
    let _ = std::fs::remove_dir_all(&dist);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dist_under_a_base_path() {
    let fx = fixtures_or_skip!();
    let dist = temp_dir("dist-base");
    std::fs::write(dist.join("index.html"), "<html>ui</html>").expect("write");
    std::fs::write(dist.join("style.css"), "body{}").expect("write");
    let mut cfg = config(&fx, &["a_success"], 1.0);
    cfg.dist = Some(dist.clone());
    cfg.base_path = "/telemetry/ui".into();
    let addr = start(cfg).await;

    assert_eq!(get(addr, "/telemetry/ui/").await.text(), "<html>ui</html>");
    assert_eq!(
        get(addr, "/telemetry/ui/history").await.text(),
        "<html>ui</html>"
    );
    assert!(get(addr, "/telemetry/ui/style.css")
        .await
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/css"));
    assert_eq!(get(addr, "/elsewhere").await.status, 404);
    // The telemetry socket still lives right next to the UI.
    let mut tele = ws(addr, "/telemetry").await;
    assert!(next_json(&mut tele, Duration::from_secs(5)).await.is_some());
    let _ = std::fs::remove_dir_all(&dist);
}
