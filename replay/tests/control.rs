//! The test control API: simulated outage and recovery, state.

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_cuts_sockets_and_refuses_until_recover() {
    let fx = fixtures_or_skip!();
    let addr = start(config(&fx, &["a_success"], 1.0)).await;
    let mut sock = ws(addr, "/ws?clientId=victim").await;
    assert!(next_json(&mut sock, Duration::from_secs(5)).await.is_some());
    assert_eq!(get(addr, "/__replay/state").await.json()["clients"], 1);

    let r = post(addr, "/__replay/outage").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // The open socket dies like a crashed server: no close frame, just the connection gone.
    let end = tokio::time::timeout(Duration::from_secs(3), sock.next())
        .await
        .expect("socket ended in time");
    assert!(
        !matches!(end, Some(Ok(Message::Close(_)))),
        "expected an abrupt end, got {end:?}"
    );

    assert_eq!(ws_refused_status(addr, "/ws").await, 503);
    assert_eq!(ws_refused_status(addr, "/telemetry").await, 503);
    assert_eq!(get(addr, "/api/queue").await.status, 503);
    assert_eq!(get(addr, "/queue").await.status, 503);
    let state = get(addr, "/__replay/state").await.json();
    assert_eq!(state["outage"], true);
    assert_eq!(state["clients"], 0);

    assert_eq!(post(addr, "/__replay/recover").await.status, 200);
    assert_eq!(get(addr, "/api/queue").await.status, 200);
    let mut again = ws(addr, "/ws?clientId=victim").await;
    let hello = next_json(&mut again, Duration::from_secs(5))
        .await
        .expect("status");
    assert_eq!(hello["data"]["sid"], "victim");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_outage_recovers_by_itself() {
    let fx = fixtures_or_skip!();
    let addr = start(config(&fx, &["a_success"], 1.0)).await;
    assert_eq!(post(addr, "/__replay/outage?ms=300").await.status, 200);
    assert_eq!(get(addr, "/api/queue").await.status, 503);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get(addr, "/api/queue").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_reports_playback_progress() {
    let fx = fixtures_or_skip!();
    let addr = start(config(&fx, &["b_cached", "a_success"], 20.0)).await;
    let idle = get(addr, "/__replay/state").await;
    assert_eq!(idle.header("access-control-allow-origin"), Some("*"));
    let idle = idle.json();
    assert_eq!(idle["started"], false);
    assert_eq!(idle["frames_sent"], 0);
    assert_eq!(
        request(addr, "OPTIONS", "/__replay/restart").await.status,
        200
    );

    assert_eq!(post(addr, "/__replay/restart").await.status, 200);
    wait_finished(addr).await;
    let done = get(addr, "/__replay/state").await.json();
    assert_eq!(done["scenario"], "a_success");
    assert_eq!(done["scenario_index"], 1);
    assert!(done["frames_sent"].as_u64().unwrap_or(0) > 0);
}
