//! Newer ComfyUI (0.36–0.45, issue 16) through derived fixtures: `/api/jobs`, multi-GPU
//! `/system_stats`, `assets.seed.*` broadcasts. See tests/fixtures/derived/README.md: these
//! are built from ComfyUI source, not recorded.

use serde_json::json;
use telemetry_core::connection::EndpointKind;
use telemetry_core::gpu::GpuReading;
use telemetry_core::input::{Input, Reply};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::protocol::http::decode_system_stats;
use telemetry_core::protocol::jobs::{decode_jobs, JobStatus};
use telemetry_core::tracker::Request;
use telemetry_core::{decode_text, RunStatus, ServerMessage};

fn derived(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/derived")
        .join(name);
    std::fs::read_to_string(path).expect("derived fixture")
}

/// The server's answer to `request` through the one door: the requests it makes the page send.
fn answer(p: &mut Pipeline, request: Request, reply: Reply, now_ms: f64) -> Vec<Request> {
    p.step(Input::Answer { request, reply }, now_ms).requests
}

fn body(text: &str) -> Reply {
    Reply::Body(text.to_owned())
}

fn id(n: u8) -> String {
    format!("5a1c0c2e-0000-4000-8000-00000000000{n}")
}

#[test]
fn jobs_decode_with_every_status_and_time() {
    let jobs = decode_jobs(&derived("jobs_list.json")).expect("decodes");
    let statuses: Vec<JobStatus> = jobs.iter().map(|j| j.status).collect();
    assert_eq!(
        statuses,
        vec![
            JobStatus::Pending,
            JobStatus::InProgress,
            JobStatus::Completed,
            JobStatus::Failed,
            JobStatus::Cancelled
        ]
    );
    assert_eq!(jobs[2].execution_end_time, Some(1795525745500));
    assert_eq!(
        jobs[3].error_message.as_deref(),
        Some("probe failure: boom")
    );
    assert!(decode_jobs("not json").is_err());
    assert!(decode_jobs(r#"{"detail": 1}"#).is_err());
}

#[test]
fn reconciling_through_jobs_shows_cancelled_as_cancelled() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let connected = Input::Connected {
        endpoint: EndpointKind::Telemetry,
    };
    let requests = p.step(connected, 0.0).requests;
    assert!(requests.contains(&Request::ReadFeatures), "{requests:?}");
    let features = body(r#"{"supports_preview_metadata": true}"#);
    let requests = answer(&mut p, Request::ReadFeatures, features, 1.0);
    assert!(requests.contains(&Request::ReadJobs), "{requests:?}");
    answer(
        &mut p,
        Request::ReadJobs,
        body(&derived("jobs_list.json")),
        10.0,
    );
    let t = p.tracker();
    assert_eq!(t.run(&id(1)).unwrap().status, RunStatus::Queued);
    assert_eq!(t.run(&id(2)).unwrap().status, RunStatus::Running);
    let done = t.run(&id(3)).unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    assert_eq!(done.duration_ms(0.0), Some(4500.0), "server times");
    assert_eq!(t.run(&id(4)).unwrap().status, RunStatus::Failed);
    let cancelled = t.run(&id(5)).unwrap();
    assert_eq!(
        cancelled.status,
        RunStatus::Cancelled,
        "not failed, not lost"
    );
    assert_eq!(RunStatus::parse("cancelled"), Some(RunStatus::Cancelled));
    // From now on a reconcile reads the jobs, not queue + history.
    let dropped = Input::Text(r#"{"type":"telemetry.dropped","data":{"count":3}}"#);
    let requests = p.step(dropped, 20.0).requests;
    assert!(requests.contains(&Request::ReadJobs));
    assert!(!requests.contains(&Request::ReadQueue));
}

#[test]
fn without_jobs_reconcile_reads_queue_and_history_as_before() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let absent = || Reply::Failed { status: Some(404) };
    answer(&mut p, Request::ReadFeatures, absent(), 0.0);
    let requests = answer(&mut p, Request::ReadJobs, absent(), 1.0);
    assert!(requests.contains(&Request::ReadQueue), "{requests:?}");
    assert!(requests
        .iter()
        .any(|r| matches!(r, Request::ReadHistory { .. })));
}

#[test]
fn two_gpu_system_stats_list_both_devices_primary_first() {
    let stats = decode_system_stats(&derived("system_stats_two_gpus.json")).expect("decodes");
    assert_eq!(stats.os.as_deref(), Some("linux"));
    assert_eq!(stats.devices.len(), 2);
    assert!(stats.devices[1].name.contains("3060"));
    let reading = GpuReading::from_system_stats(&stats, 0.0).expect("reading");
    assert!(
        reading.name.unwrap().contains("4090"),
        "badges use the primary"
    );
    assert_eq!(reading.vram_total, Some(25757220864.0));
}

#[test]
fn assets_seed_broadcasts_are_harmless_during_a_run() {
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let start = json!({"type":"execution_start","data":{"prompt_id":"P","timestamp":1}});
    p.step(Input::Text(&start.to_string()), 1.0);
    for line in derived("assets_seed_frames.jsonl").lines() {
        let msg = decode_text(line).expect("decodes, never an error");
        assert!(matches!(msg, ServerMessage::Unknown { .. }));
        p.step(Input::Text(line), 2.0);
    }
    assert_eq!(p.tracker().run("P").unwrap().status, RunStatus::Running);
    assert_eq!(p.tracker().counters.malformed, 0);
}

#[test]
fn a_cancelled_job_that_had_started_was_interrupted() {
    // comfy_execution/jobs.py: status_str "error" with execution_interrupted → "cancelled".
    let body = r#"{"jobs": [{"id": "5a1c0c2e-0000-4000-8000-000000000009", "status": "cancelled",
        "priority": 3, "execution_start_time": 1795525741000, "execution_end_time": 1795525742000}]}"#;
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    answer(
        &mut p,
        Request::ReadJobs,
        Reply::Body(body.to_owned()),
        10.0,
    );
    let run = p.tracker().run(&id(9)).unwrap();
    assert_eq!(run.status, RunStatus::Interrupted);
    assert_eq!(run.duration_ms(0.0), Some(1000.0));
}

#[test]
fn a_jobs_answer_older_than_an_announced_prompt_keeps_it_pending() {
    // The jobs read goes out at 1 ms; the extension announces a prompt at 20 ms, while it is on
    // its way; the answer (the server before that prompt) arrives at 50 ms.
    let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
    let connected = Input::Connected {
        endpoint: EndpointKind::Telemetry,
    };
    p.step(connected, 0.0);
    let features = body(r#"{"supports_preview_metadata": true}"#);
    let requests = answer(&mut p, Request::ReadFeatures, features, 1.0);
    assert!(requests.contains(&Request::ReadJobs), "{requests:?}");
    let queued = r#"{"type":"telemetry.queued","data":{"prompt_id":"q1","number":9,"client_id":"c-5f3a","node_count":1,"nodes":{"1":"A"},"queued_at":1000}}"#;
    p.step(Input::Text(queued), 20.0);
    let pending = |p: &Pipeline| -> Vec<String> {
        let t = p.tracker();
        t.pending().iter().map(|r| r.prompt_id.clone()).collect()
    };
    assert!(pending(&p).contains(&"q1".to_owned()));
    let requests = answer(
        &mut p,
        Request::ReadJobs,
        body(&derived("jobs_list.json")),
        50.0,
    );
    let mut now_pending = pending(&p);
    now_pending.sort();
    assert_eq!(
        now_pending,
        vec![id(1), "q1".to_owned()],
        "the older answer dropped it"
    );
    assert!(
        !requests.contains(&Request::ReadHistoryEntry("q1".into())),
        "{requests:?}"
    );
    assert_eq!(p.tracker().run("q1").unwrap().status, RunStatus::Queued);
}
