//! `--runlog FILE`: the replay serves a server run log the way the extension does (listing
//! newest first with a cursor, one run, delete for good), and answers 404 without it, so the
//! page's detection and its use of the log are tested end to end.

mod common;

use common::*;
use serde_json::Value;

fn runlog_fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/runlog/page.json")
}

fn ids(body: &Value) -> Vec<&str> {
    body["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["prompt_id"].as_str().expect("id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_run_log_the_routes_are_missing() {
    let fx = fixtures_or_skip!();
    let addr = start(config(&fx, &["a_success"], 1.0)).await;
    assert_eq!(get(addr, "/api/telemetry/runs").await.status, 404);
    assert_eq!(get(addr, "/api/telemetry/runs/p-a").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_log_pages_answers_one_run_and_forgets_deleted_ones() {
    let fx = fixtures_or_skip!();
    let mut c = config(&fx, &["a_success"], 1.0);
    c.runlog = Some(runlog_fixture());
    let addr = start(c).await;

    let all: Value =
        serde_json::from_str(&get(addr, "/api/telemetry/runs").await.text()).expect("json");
    assert_eq!(ids(&all).len(), 3);
    assert_eq!(all["next_cursor"], Value::Null);

    let first: Value =
        serde_json::from_str(&get(addr, "/api/telemetry/runs?limit=2").await.text()).expect("json");
    assert_eq!(ids(&first).len(), 2);
    let cursor = first["next_cursor"].as_str().expect("more").to_owned();
    let rest: Value = serde_json::from_str(
        &get(
            addr,
            &format!("/api/telemetry/runs?limit=2&cursor={cursor}"),
        )
        .await
        .text(),
    )
    .expect("json");
    assert_eq!(ids(&rest).len(), 1);
    assert!(!ids(&first).contains(&ids(&rest)[0]));
    assert_eq!(get(addr, "/api/telemetry/runs?limit=0").await.status, 400);

    let one = get(addr, "/api/telemetry/runs/p-b").await;
    assert_eq!(one.status, 200);
    let one: Value = serde_json::from_str(&one.text()).expect("json");
    assert_eq!(one["params"]["steps"], 30);

    assert_eq!(
        request(addr, "DELETE", "/api/telemetry/runs/p-b")
            .await
            .status,
        200
    );
    assert_eq!(
        request(addr, "DELETE", "/api/telemetry/runs/p-b")
            .await
            .status,
        404
    );
    assert_eq!(get(addr, "/api/telemetry/runs/p-b").await.status, 404);
    let after: Value =
        serde_json::from_str(&get(addr, "/api/telemetry/runs").await.text()).expect("json");
    assert!(!ids(&after).contains(&"p-b"));
    assert_eq!(post(addr, "/api/telemetry/runs/delete").await.status, 400);
}
