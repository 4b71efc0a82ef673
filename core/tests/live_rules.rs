//! The live tab's rules: how following a run ends, which warnings a run carries, the ETA and the
//! VRAM delta.

mod common;
use common::*;
use telemetry_core::badges::badges;
use telemetry_core::connection::EndpointKind;
use telemetry_core::eta::{eta, past_durations, EtaBasis};
use telemetry_core::follow::{ExitReason, FollowRecord, Next, Poll, QueuePolicy};
use telemetry_core::gpu::{GpuReading, GpuSource};
use telemetry_core::protocol::http::decode_queue;
use telemetry_core::warnings::{warnings_for, Severity, WarningContext};
use telemetry_core::{decode_text, RunStatus, ServerMessage, Tracker};

fn policy(max_wait_s: u32, max_attempts: u32, post_s: u32, retry: u32) -> QueuePolicy {
    QueuePolicy {
        max_wait_s,
        poll_interval_s: 2,
        max_attempts,
        post_execution_timeout_s: post_s,
        retry_budget: retry,
    }
}

#[test]
fn follow_succeeds_when_history_appears() {
    let mut f = FollowRecord::new(QueuePolicy::default(), 0.0);
    assert_eq!(f.on_poll(Poll::Missing, 1000.0), Next::PollAt(3000.0));
    assert_eq!(
        f.on_poll(Poll::Found, 3000.0),
        Next::Done(ExitReason::Success)
    );
    assert_eq!(f.attempts, 2);
    assert_eq!(f.waited_ms, Some(3000.0));
}

#[test]
fn follow_stops_at_max_wait() {
    let mut f = FollowRecord::new(policy(10, 0, 600, 1), 0.0);
    assert_eq!(f.on_poll(Poll::Missing, 8_000.0), Next::PollAt(10_000.0));
    assert_eq!(
        f.on_poll(Poll::Missing, 10_000.0),
        Next::Done(ExitReason::MaxWait)
    );
    let mut queued = FollowRecord::new(policy(10, 0, 600, 1), 0.0);
    assert_eq!(queued.check(9_999.0), None);
    assert_eq!(
        queued.check(10_000.0),
        Some(ExitReason::MaxWait),
        "a run stuck in the queue times out too"
    );
}

#[test]
fn follow_stops_at_attempt_limit_and_zero_means_unbounded() {
    let mut f = FollowRecord::new(policy(600, 3, 600, 1), 0.0);
    assert!(matches!(f.on_poll(Poll::Missing, 1.0), Next::PollAt(_)));
    assert!(matches!(f.on_poll(Poll::Missing, 2.0), Next::PollAt(_)));
    assert_eq!(
        f.on_poll(Poll::Missing, 3.0),
        Next::Done(ExitReason::AttemptLimit)
    );
    let mut unbounded = FollowRecord::new(policy(600, 0, 600, 1), 0.0);
    for i in 0..200 {
        assert!(matches!(
            unbounded.on_poll(Poll::Missing, i as f64),
            Next::PollAt(_)
        ));
    }
}

#[test]
fn follow_stops_at_post_execution_timeout() {
    let mut f = FollowRecord::new(policy(600, 0, 30, 1), 0.0);
    f.execution_done(5_000.0);
    assert!(matches!(
        f.on_poll(Poll::Missing, 30_000.0),
        Next::PollAt(_)
    ));
    assert_eq!(
        f.on_poll(Poll::Missing, 35_000.0),
        Next::Done(ExitReason::PostExecution)
    );
}

#[test]
fn follow_retries_failed_requests_within_the_budget_only() {
    let mut f = FollowRecord::new(policy(600, 0, 600, 1), 0.0);
    assert!(
        matches!(f.on_poll(Poll::Failed, 1.0), Next::PollAt(_)),
        "one retry allowed"
    );
    assert_eq!(
        f.on_poll(Poll::Failed, 2.0),
        Next::Done(ExitReason::Unknown)
    );
    let mut none = FollowRecord::new(policy(600, 0, 600, 0), 0.0);
    assert_eq!(
        none.on_poll(Poll::Failed, 1.0),
        Next::Done(ExitReason::Unknown)
    );
}

#[test]
fn a_run_queued_by_another_client_is_followed_to_its_history_entry() {
    let mut t = Tracker::new("s");
    let mut out = Vec::new();
    let running = decode_queue(&http_body("queue_running.json")).expect("queue");
    t.apply_queue(&running, 0.0, &mut out);
    let id = "c648fb54-0737-4f17-8abe-38eed93bf844";
    assert!(t.is_following());
    assert!(
        t.due_history_polls(1.0).is_empty(),
        "no history poll while it is queued or running"
    );
    let idle = decode_queue(&http_body("queue_idle_after.json")).expect("queue");
    t.apply_queue(&idle, 4_000.0, &mut out);
    assert_eq!(t.due_history_polls(4_000.0), vec![id.to_owned()]);
    assert!(
        t.due_history_polls(4_000.0).is_empty(),
        "returned once until reported"
    );
    t.apply_history_poll(id, Ok(None), 4_100.0, &mut out);
    assert!(t.due_history_polls(5_000.0).is_empty());
    assert_eq!(t.due_history_polls(6_100.0), vec![id.to_owned()]);
    let entry = history("history_prompt_interrupted.json").remove(0);
    t.apply_history_poll(id, Ok(Some(&entry)), 6_200.0, &mut out);
    let run = t.run(id).expect("run");
    assert_eq!(run.status, RunStatus::Interrupted);
    let f = run.follow.as_ref().expect("follow record");
    assert_eq!((f.attempts, f.exit), (2, Some(ExitReason::Success)));
    assert!(!t.is_following());
    let codes: Vec<_> = warnings_for(run, &WarningContext::default())
        .iter()
        .map(|w| w.code)
        .collect();
    assert_eq!(
        codes,
        vec!["events-not-streamed", "reconstructed-from-history"]
    );
}

#[test]
fn a_followed_run_that_never_reaches_history_ends_unknown_with_an_error_warning() {
    let mut t = Tracker::new("s");
    t.policy = policy(20, 0, 600, 1);
    let mut out = Vec::new();
    t.apply_queue(
        &decode_queue(&http_body("queue_running.json")).expect("q"),
        0.0,
        &mut out,
    );
    t.check_follows(19_000.0, &mut out);
    let id = "c648fb54-0737-4f17-8abe-38eed93bf844";
    assert_eq!(t.run(id).map(|r| r.status), Some(RunStatus::Running));
    t.check_follows(20_000.0, &mut out);
    let run = t.run(id).expect("run");
    assert_eq!(run.status, RunStatus::Unknown);
    let w = warnings_for(run, &WarningContext::default());
    assert_eq!(w[0].code, "max-wait-exceeded");
    assert_eq!(w[0].severity, Severity::Error);
}

#[test]
fn a_streamed_successful_run_is_clean() {
    let r = replay("a_success", "ws_submitter");
    let run = r.tracker.runs()[0].clone();
    let ctx = WarningContext {
        endpoint: Some(EndpointKind::Telemetry),
        ..WarningContext::default()
    };
    assert!(
        warnings_for(&run, &ctx).is_empty(),
        "success is not a warning"
    );
}

#[test]
fn session_warnings_have_their_codes() {
    let r = replay("a_success", "ws_submitter");
    let run = r.tracker.runs()[0].clone();
    let ctx = WarningContext {
        endpoint: Some(EndpointKind::Ws),
        telemetry_missing: true,
        system_stats_failed: true,
        malformed_frames: 3,
        dropped_messages: 0,
    };
    let w = warnings_for(&run, &ctx);
    let codes: Vec<_> = w.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        vec![
            "telemetry-endpoint-missing",
            "system-stats-unavailable",
            "malformed-frames"
        ]
    );
    assert!(w[2].detail.contains('3'));
}

#[test]
fn stream_lost_mid_run_is_flagged() {
    let frames = frames("i_reconnect", "ws_submitter_before");
    let mut r = replay_frames(&frames);
    let mut out = Vec::new();
    r.tracker.stream_lost(&mut out);
    let run = r.tracker.runs()[0].clone();
    assert!(run.stream_lost);
    let codes: Vec<_> = warnings_for(&run, &WarningContext::default())
        .iter()
        .map(|w| w.code)
        .collect();
    assert_eq!(codes, vec!["stream-lost"]);
}

#[test]
fn eta_from_step_rate_then_from_past_runs() {
    let frames = frames("d_interrupted", "ws_submitter");
    // Stop just after a few steps of the 100-step node.
    let cut = frames
        .iter()
        .position(|f| matches!(decode(f), Ok(ServerMessage::Progress(p)) if p.value == Some(10.0)))
        .expect("step 10");
    let r = replay_frames(&frames[..=cut]);
    let run = r.tracker.current_run().expect("running").clone();
    let now = frames[cut].t_ms;
    let e = eta(&run, now, &mut []).expect("eta");
    assert_eq!(e.basis, EtaBasis::StepRate);
    // 10 steps took about a second at 0.1 s/step: 90 remain, about 9 s.
    assert!((7_000.0..11_000.0).contains(&e.remaining_ms), "{e:?}");
    let mut past = past_durations(&run, std::iter::empty());
    assert!(past.is_empty());
    let mut durations = vec![20_000.0, 12_000.0, 14_000.0];
    let e = eta(&run, now, &mut durations).expect("eta");
    assert_eq!(e.basis, EtaBasis::WorkflowMedian);
    let elapsed = run.duration_ms(now).expect("elapsed");
    assert!((e.remaining_ms - (14_000.0 - elapsed)).abs() < 1e-6);
    past.push(1.0);
    let done = replay("a_success", "ws_submitter").tracker.runs()[0].clone();
    assert!(
        eta(&done, 0.0, &mut []).is_none(),
        "no ETA for an ended run"
    );
}

fn reading(at_ms: f64, free_mb: f64) -> GpuReading {
    GpuReading {
        at_ms,
        source: GpuSource::Extension,
        name: Some("RTX 4090".into()),
        cpu_only: false,
        vram_total: Some(24_564.0 * 1048576.0),
        vram_free: Some(free_mb * 1048576.0),
        utilization: Some(97.0),
        temperature: None,
    }
}

#[test]
fn vram_delta_is_after_minus_before_and_peak_is_the_largest_use() {
    let frames = frames("a_success", "ws_submitter");
    let mut t = Tracker::new("s");
    let mut out = Vec::new();
    let mut fed_before = false;
    for f in &frames {
        if let Ok(msg) = decode(f) {
            t.apply(&msg, f.t_ms, &mut out);
            if matches!(msg, ServerMessage::ExecutionStart(_)) && !fed_before {
                t.apply_gpu(reading(f.t_ms, 10_240.0), f.t_ms, &mut out);
                t.apply_gpu(reading(f.t_ms + 1.0, 2_000.0), f.t_ms + 1.0, &mut out);
                fed_before = true;
            }
        }
    }
    let end = frames.last().expect("frames").t_ms;
    t.apply_gpu(reading(end + 10.0, 9_664.0), end + 10.0, &mut out);
    t.apply_gpu(reading(end + 20.0, 9_000.0), end + 20.0, &mut out);
    let run = t.runs()[0].clone();
    assert_eq!(run.gpu_name.as_deref(), Some("RTX 4090"));
    assert_eq!(run.vram_free_before, Some(10_240.0 * 1048576.0));
    assert_eq!(
        run.vram_free_after,
        Some(9_664.0 * 1048576.0),
        "the first reading after the end"
    );
    let b = badges(&run, end, None);
    let get = |field: &str| b.iter().find(|x| x.field == field).expect(field).clone();
    assert_eq!(get("vram_delta_mb").value.as_deref(), Some("-576"));
    assert_eq!(get("vram_delta_mb").display, "-576 MB");
    assert_eq!(get("vram_delta_mb").tone, "bad");
    assert_eq!(get("vram_peak_mb").value.as_deref(), Some("22564"));
    assert_eq!(get("duration_s").value.as_deref(), Some("2"));
    assert_eq!(get("nodes_done").value.as_deref(), Some("3"));
    assert_eq!(get("queue_wait_s").value, None, "never made up");
    assert_eq!(get("queue_wait_s").display, "unknown");
    assert_eq!(get("exit_reason").display, "n/a (streamed)");
    assert_eq!(get("vram_delta_mb").label, "VRAM delta");
    // The same run on a CPU-only server: the figures are system RAM and say so.
    let mut cpu = run.clone();
    cpu.cpu_only = true;
    let labels: Vec<&str> = badges(&cpu, end, None).iter().map(|b| b.label).collect();
    assert!(labels.contains(&"RAM delta") && labels.contains(&"Peak RAM used"));
    assert!(!labels.iter().any(|l| l.contains("VRAM")), "{labels:?}");
}

#[test]
fn cpu_servers_say_their_vram_is_ram() {
    let r = replay("crystools_monitor", "ws_submitter");
    let latest = r.tracker.gpu.latest.clone();
    assert!(
        latest.is_none(),
        "crystools on CPU reports every GPU field as -1: no reading"
    );
    let mut t = Tracker::new("s");
    let mut out = Vec::new();
    let stats =
        telemetry_core::protocol::http::decode_system_stats(&http_body("system_stats.json"))
            .expect("stats");
    t.apply_system_stats(stats, 0.0, &mut out);
    let g = t.gpu.latest.expect("reading");
    assert!(g.cpu_only);
    assert_eq!(g.name.as_deref(), Some("cpu"));
}

#[test]
fn extension_messages_are_decoded_and_followed() {
    let hello = r#"{"type":"telemetry.hello","data":{"protocol":1,"extension_version":"0.1.0","comfyui_version":"0.3.64","queue":{"running":[{"prompt_id":"p1","number":4,"client_id":"ui","node_count":3,"nodes":{"1":"EmptyImage","2":"KSampler","10":"SaveImage"}}],"pending":[{"prompt_id":"p2","number":5,"client_id":"script","node_count":2,"nodes":{"1":"A","2":"B"}}]},"executing":{"prompt_id":"p1","node":"2"},"replay":{"count":0}}}"#;
    let mut t = Tracker::new("s");
    let mut out = Vec::new();
    t.apply(&decode_text(hello).expect("hello"), 0.0, &mut out);
    assert!(t.extension.is_some());
    assert_eq!((t.queue.running, t.queue.pending), (Some(1), Some(1)));
    let p1 = t.run("p1").expect("p1");
    assert_eq!(p1.status, RunStatus::Running);
    assert_eq!(p1.current_node.as_deref(), Some("2"));
    assert_eq!(p1.node_total, Some(3));
    assert_eq!(
        p1.workflow.as_deref(),
        Some("EmptyImage → KSampler → SaveImage")
    );
    assert!(
        p1.follow.is_none(),
        "on the full stream nothing needs polling"
    );
    let queued = r#"{"type":"telemetry.queued","data":{"prompt_id":"p3","number":6,"client_id":"x","node_count":1,"nodes":{"7":"PreviewAny"},"queued_at":1795525755689}}"#;
    t.apply(&decode_text(queued).expect("queued"), 1.0, &mut out);
    assert_eq!(t.run("p3").map(|r| r.status), Some(RunStatus::Queued));
    let gpu = r#"{"type":"telemetry.gpu","data":{"timestamp":1,"device":"cuda:0","name":"RTX 4090","cpu_only":false,"vram_total":25757220864,"vram_free":20000000000,"torch_vram_reserved":null,"torch_vram_allocated":null,"utilization":55,"temperature":61}}"#;
    t.apply(&decode_text(gpu).expect("gpu"), 2.0, &mut out);
    assert_eq!(
        t.run("p1").and_then(|r| r.gpu_name.clone()).as_deref(),
        Some("RTX 4090")
    );
    assert_eq!(
        t.gpu.latest.as_ref().and_then(|g| g.temperature),
        Some(61.0)
    );
    t.apply(
        &decode_text(r#"{"type":"telemetry.dropped","data":{"count":7,"total":7}}"#)
            .expect("dropped"),
        3.0,
        &mut out,
    );
    assert_eq!(t.counters.dropped, 7);
    assert!(matches!(
        decode_text(r#"{"type":"telemetry.future","data":{}}"#),
        Ok(ServerMessage::Unknown { .. })
    ));
}

#[test]
fn queue_wait_is_only_shown_when_both_ends_were_seen() {
    let mut t = Tracker::new("s");
    let mut out = Vec::new();
    // First seen already running: its queue time is not known.
    t.apply_queue(
        &decode_queue(&http_body("queue_running.json")).expect("q"),
        5.0,
        &mut out,
    );
    let running = t.run("c648fb54-0737-4f17-8abe-38eed93bf844").expect("run");
    assert_eq!(running.queue_wait_ms(), None);
    // First seen pending, then running: measured between the two polls.
    t.apply_queue(
        &decode_queue(&http_body("queue_pending.json")).expect("q"),
        10.0,
        &mut out,
    );
    let mut promoted = decode_queue(&http_body("queue_pending.json")).expect("q");
    let next = promoted.pending.remove(0);
    promoted.running = vec![next.clone()];
    t.apply_queue(&promoted, 2_010.0, &mut out);
    assert_eq!(
        t.run(&next.prompt_id).and_then(|r| r.queue_wait_ms()),
        Some(2_000.0)
    );
    // The extension's server clock wins when both ends carry it.
    let queued = r#"{"type":"telemetry.queued","data":{"prompt_id":"x","number":1,"client_id":null,"node_count":1,"nodes":{"1":"A"},"queued_at":1000}}"#;
    let start = r#"{"type":"execution_start","data":{"prompt_id":"x","timestamp":4500}}"#;
    t.apply(&decode_text(queued).expect("q"), 0.0, &mut out);
    t.apply(&decode_text(start).expect("s"), 1.0, &mut out);
    assert_eq!(t.run("x").and_then(|r| r.queue_wait_ms()), Some(3_500.0));
}

#[test]
fn a_run_seen_in_the_queue_first_that_then_streams_is_not_followed() {
    // e_queue3's second prompt: /api/queue shows it pending before its events arrive.
    let mut out = Vec::new();
    let mut queued = decode_queue(&http_body("queue_pending.json")).expect("q");
    queued.running.clear();
    // A queue poll before its events: then the same prompt streams.
    let id = &queued.pending[0].prompt_id;
    let mut t2 = Tracker::new("s");
    t2.apply_queue(&queued, 0.0, &mut out);
    assert!(
        t2.run(id).and_then(|r| r.follow.as_ref()).is_some(),
        "followed while only queued"
    );
    let start =
        format!(r#"{{"type":"execution_start","data":{{"prompt_id":"{id}","timestamp":1}}}}"#);
    let done =
        format!(r#"{{"type":"execution_success","data":{{"prompt_id":"{id}","timestamp":2}}}}"#);
    t2.apply(&decode_text(&start).expect("start"), 1.0, &mut out);
    t2.apply(&decode_text(&done).expect("done"), 2.0, &mut out);
    let run = t2.run(id).expect("run");
    assert_eq!(run.source, telemetry_core::run::RunSource::Stream);
    assert!(
        run.follow.is_none(),
        "it streamed: no follow record, exit reason 'streamed'"
    );
    assert_eq!(
        telemetry_core::history::record::exit_reason(run),
        "streamed"
    );
    assert!(warnings_for(run, &WarningContext::default()).is_empty());
    assert!(
        !t2.due_history_polls(1e12).contains(id),
        "never polled for history"
    );
}

#[test]
fn a_stored_run_restored_after_a_reload_keeps_its_start_and_nodes() {
    let frames = frames("d_interrupted", "ws_submitter");
    let cut = frames.len() / 2;
    let before = replay_frames(&frames[..cut]).tracker.runs()[0].clone();
    assert_eq!(before.status, RunStatus::Running);
    // After the reload a queue poll sees the run first, as running, before the store answers.
    let mut t = Tracker::new("s");
    let mut out = Vec::new();
    let running = decode_queue(&http_body("queue_running.json")).expect("q");
    let reload_at = frames[cut].t_ms + 5_000.0;
    t.apply_queue(&running, reload_at, &mut out);
    t.restore(before.clone());
    let run = t.run(&before.prompt_id).expect("run");
    assert_eq!(
        run.source,
        telemetry_core::run::RunSource::Stream,
        "it streamed before the reload"
    );
    assert!(run.follow.is_none());
    assert_eq!(
        run.started_at_ms, before.started_at_ms,
        "the start is not reset to the reload"
    );
    assert_eq!(run.server_started_ms, before.server_started_ms);
    assert_eq!(run.nodes_done(), before.nodes_done());
}
