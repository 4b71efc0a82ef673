//! Single-flight and cadence, decided in the core: `step` returns every request the shell has
//! to perform, never two of a kind in flight, and the tick's VRAM and queue polls at their
//! cadence (2 s active, 10 s idle, none hidden; the policy's interval while following).

mod common;

use common::server::FakeServer;
use telemetry_core::connection::EndpointKind;
use telemetry_core::input::{Input, Reply, Step};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::tracker::Request;

fn pipeline() -> Pipeline {
    Pipeline::new("http://127.0.0.1:8188", 200.0)
}

fn status(remaining: u32) -> String {
    format!(
        r#"{{"type":"status","data":{{"status":{{"exec_info":{{"queue_remaining":{remaining}}}}}}}}}"#
    )
}

fn start(id: &str) -> String {
    format!(r#"{{"type":"execution_start","data":{{"prompt_id":"{id}","timestamp":1}}}}"#)
}

fn success(id: &str) -> String {
    format!(r#"{{"type":"execution_success","data":{{"prompt_id":"{id}","timestamp":2}}}}"#)
}

fn tick(p: &mut Pipeline, at_s: u32, hidden: bool) -> Step {
    p.step(Input::Tick { hidden }, at_s as f64 * 1000.0)
}

fn stats_reads(steps: &[Step]) -> usize {
    steps
        .iter()
        .flat_map(|s| &s.requests)
        .filter(|r| **r == Request::ReadSystemStats)
        .count()
}

fn answer(p: &mut Pipeline, request: Request, now: f64) -> Step {
    let reply = FakeServer::new().reply(&request);
    p.step(Input::Answer { request, reply }, now)
}

/// A page on stock ComfyUI (no extension) that sees another client's prompt "other" running
/// in the queue: it follows it by polling.
fn following_another_clients_prompt() -> (Pipeline, FakeServer) {
    let mut p = pipeline();
    p.step(
        Input::Connected {
            endpoint: EndpointKind::Ws,
        },
        0.0,
    );
    // Another client's prompt in the queue: followed by polling (no extension).
    let mut server = FakeServer::new();
    server.running = vec!["other".into()];
    p.step(
        Input::Answer {
            request: Request::ReadQueue,
            reply: server.reply(&Request::ReadQueue),
        },
        10.0,
    );
    assert!(p.tracker().is_following());
    (p, server)
}

fn queue_reads(step: &Step) -> usize {
    step.requests
        .iter()
        .filter(|r| **r == Request::ReadQueue)
        .count()
}

#[test]
fn a_burst_of_status_frames_costs_two_queue_reads() {
    let mut p = pipeline();
    let mut reads = 0;
    for i in 0..50 {
        reads += queue_reads(&p.step(Input::Text(&status(i % 5 + 1)), i as f64));
    }
    assert_eq!(reads, 1, "one in flight");
    // Answered within the coalescing window: the one asked meanwhile waits for the window's end
    // and goes out with the next input (the tick at the latest).
    assert_eq!(queue_reads(&answer(&mut p, Request::ReadQueue, 100.0)), 0);
    assert_eq!(queue_reads(&p.step(Input::Text(&status(3)), 150.0)), 0);
    assert_eq!(
        queue_reads(&p.step(Input::Tick { hidden: false }, 1000.0)),
        1,
        "the one asked meanwhile follows"
    );
    let step = answer(&mut p, Request::ReadQueue, 1100.0);
    assert!(!step.requests.contains(&Request::ReadQueue));
}

/// A flood of `status` frames (a fast server answering every read at once) read the queue back
/// to back: ~35 reads a second, the page's largest cost per second (issue 22). A read starts at
/// most once per coalescing window, and the last status is still followed by a read.
#[test]
fn a_flood_of_status_frames_reads_the_queue_at_most_once_per_window() {
    let mut p = pipeline();
    let mut in_flight: Vec<(Request, f64)> = Vec::new();
    let mut reads = 0;
    let mut last_read_ms = 0.0;
    // 2 s at 1 000 frames a second; every read answered 5 ms after it went out.
    for i in 0..2000u32 {
        let now = f64::from(i);
        let mut steps = vec![p.step(Input::Text(&status(i % 7 + 1)), now)];
        let due: Vec<Request> = in_flight
            .iter()
            .filter(|(_, at)| *at <= now)
            .map(|(r, _)| r.clone())
            .collect();
        in_flight.retain(|(_, at)| *at > now);
        for request in due {
            steps.push(answer(&mut p, request, now));
        }
        for step in steps {
            for r in step.requests {
                if r == Request::ReadQueue {
                    reads += 1;
                    last_read_ms = now;
                }
                in_flight.push((r, now + 5.0));
            }
        }
    }
    assert!(reads <= 11, "{reads} queue reads in 2 s");
    assert!(
        reads >= 9,
        "{reads} queue reads in 2 s: the list must still follow the flood"
    );
    assert!(
        last_read_ms >= 1800.0,
        "the last window's status is read ({last_read_ms})"
    );
}

#[test]
fn vram_is_read_every_two_seconds_while_a_run_is_active_and_every_ten_when_idle() {
    let mut p = pipeline();
    let mut steps = Vec::new();
    for s in 0..=20 {
        let step = tick(&mut p, s, false);
        for r in &step.requests {
            if *r == Request::ReadSystemStats {
                answer(&mut p, r.clone(), s as f64 * 1000.0 + 10.0);
            }
        }
        steps.push(step);
    }
    assert_eq!(stats_reads(&steps), 3, "idle: at 0, 10 and 20 s");
    p.step(Input::Text(&start("a")), 20_500.0);
    let mut steps = Vec::new();
    for s in 21..=30 {
        let step = tick(&mut p, s, false);
        for r in &step.requests {
            if *r == Request::ReadSystemStats {
                answer(&mut p, r.clone(), s as f64 * 1000.0 + 10.0);
            }
        }
        steps.push(step);
    }
    // The start asked for a reading soon (at 21 s), then every 2 s: 21, 23, …, 29.
    assert_eq!(stats_reads(&steps), 5);
}

#[test]
fn no_vram_reads_while_hidden_and_no_second_read_while_one_is_in_flight() {
    let mut p = pipeline();
    let hidden: Vec<Step> = (0..30).map(|s| tick(&mut p, s, true)).collect();
    assert_eq!(stats_reads(&hidden), 0);
    // Shown again, never answered: one read, however many ticks.
    let shown: Vec<Step> = (30..60).map(|s| tick(&mut p, s, false)).collect();
    assert_eq!(stats_reads(&shown), 1);
}

#[test]
fn run_boundaries_never_reach_the_shell_as_gpu_requests() {
    let mut p = pipeline();
    for i in 0..20 {
        let id = format!("p{i}");
        for frame in [start(&id), success(&id)] {
            let step = p.step(Input::Text(&frame), i as f64 * 10.0);
            assert!(!step.requests.contains(&Request::ReadGpuSoon));
            assert!(!step.requests.contains(&Request::ReadSystemStats));
        }
    }
    // Folded into the next tick: one read.
    assert_eq!(stats_reads(&[tick(&mut p, 1, false)]), 1);
}

#[test]
fn a_failed_vram_read_is_shown_and_frees_the_cadence() {
    let mut p = pipeline();
    let step = tick(&mut p, 0, false);
    assert_eq!(stats_reads(&[step]), 1);
    p.step(
        Input::Answer {
            request: Request::ReadSystemStats,
            reply: Reply::Failed { status: Some(500) },
        },
        100.0,
    );
    assert!(p.tracker().gpu.stats_failed);
    assert_eq!(stats_reads(&[tick(&mut p, 10, false)]), 1);
}

#[test]
fn followed_runs_poll_the_queue_at_the_policy_interval_and_their_history_when_due() {
    let (mut p, mut server) = following_another_clients_prompt();
    let mut queue_reads = 0;
    for s in 1..=10 {
        let step = tick(&mut p, s, true);
        for r in step.requests {
            if r == Request::ReadQueue {
                queue_reads += 1;
                let reply = server.reply(&r);
                p.step(Input::Answer { request: r, reply }, s as f64 * 1000.0 + 1.0);
            }
        }
    }
    // Default policy: every 2 s.
    assert_eq!(queue_reads, 5);
    // It leaves the queue: its history entry is polled on the next ticks, one at a time.
    server.running.clear();
    let step = p.step(
        Input::Answer {
            request: Request::ReadQueue,
            reply: server.reply(&Request::ReadQueue),
        },
        11_000.0,
    );
    let entry = Request::ReadHistoryEntry("other".into());
    let mut polls = step.requests.iter().filter(|r| **r == entry).count();
    for s in 12..=14 {
        let step = tick(&mut p, s, true);
        polls += step.requests.iter().filter(|r| **r == entry).count();
    }
    assert_eq!(
        polls, 1,
        "one poll in flight, none repeated before its answer"
    );
    let step = p.step(
        Input::Answer {
            request: entry.clone(),
            reply: Reply::Body("{}".into()),
        },
        14_500.0,
    );
    assert!(
        !step.requests.contains(&entry),
        "the next poll waits for the interval"
    );
    let later: usize = (15..=17)
        .map(|s| tick(&mut p, s, true))
        .map(|st| st.requests.iter().filter(|r| **r == entry).count())
        .sum();
    assert_eq!(later, 1);
}

#[test]
fn failed_history_reads_are_retried_on_a_backoff_not_at_every_start() {
    // 300 prompts of a page that saw their starts and no ends (another client on stock
    // ComfyUI), every history read failing: each open run is read again after 2, 4, 8 … s,
    // not once per later start (that was 45 150 reads for 300 prompts).
    let mut p = pipeline();
    p.step(
        Input::Connected {
            endpoint: EndpointKind::Ws,
        },
        0.0,
    );
    let mut reads = 0usize;
    let mut now = 1.0;
    let fail = |p: &mut Pipeline, requests: Vec<Request>, now: f64, reads: &mut usize| {
        for r in requests {
            if matches!(r, Request::ReadHistoryEntry(_)) {
                *reads += 1;
                p.step(
                    Input::Answer {
                        request: r,
                        reply: Reply::Failed { status: Some(502) },
                    },
                    now,
                );
            }
        }
    };
    for i in 0..300 {
        now += 100.0; // a prompt every 0.1 s: 30 s in all
        let step = p.step(Input::Text(&start(&format!("p{i}"))), now);
        fail(&mut p, step.requests, now, &mut reads);
        let step = tick(&mut p, (now / 1000.0) as u32, false);
        fail(&mut p, step.requests, now, &mut reads);
    }
    // Each of the 299 runs in doubt is read once when the next starts and again at most
    // every 2, 4, 8, 16 s over the 30 s: at most 5 reads each.
    assert!(reads <= 299 * 5, "{reads} history reads for 300 prompts");
    assert!(
        reads >= 299,
        "every run in doubt is asked at least once: {reads}"
    );
    // Still asked in time: a minute later, each is read again.
    let before = reads;
    for s in 31..=120 {
        let step = tick(&mut p, s, false);
        fail(&mut p, step.requests, s as f64 * 1000.0, &mut reads);
    }
    assert!(reads > before, "failed reads are retried");
    assert!(
        reads - before <= 299 * 3,
        "{} retries in 90 s",
        reads - before
    );
}

#[test]
fn a_followed_run_found_by_a_history_list_read_ends_its_follow_with_success() {
    // Stock ComfyUI, another client's prompt: followed by polling. It ends and a history list
    // read (the queue drained) finds it before its own poll was due: the follow ends there,
    // with the server's word and that read counted (it showed no exit reason before).
    let (mut p, _server) = following_another_clients_prompt();
    let entry = r#"{"other":{"prompt":[1,"other",{},{},[]],"outputs":{},"status":{"status_str":"success","completed":true,"messages":[]}}}"#;
    let request = Request::ReadHistory {
        max_items: 10,
        offset: None,
    };
    p.step(
        Input::Answer {
            request,
            reply: Reply::Body(entry.into()),
        },
        500.0,
    );
    let run = p.tracker().run("other").expect("run");
    let follow = run.follow.as_ref().expect("followed");
    assert_eq!(
        (run.status, follow.is_done(), follow.attempts),
        (telemetry_core::run::RunStatus::Succeeded, true, 1)
    );
    assert!(!p.tracker().is_following());
}
