//! Runs that ended knowing less than their history entry are completed from one
//! `/api/history?max_items=N` page read for all the runs waiting, not one read each (issue 22:
//! a flood of short runs cost a fast server ~35 reads a second), with the same result as
//! reading each run by id; a run the page lacks still gets its own read.

mod common;

use common::server::FakeServer;
use serde_json::Value;
use std::collections::VecDeque;
use telemetry_core::input::{Input, Reply, Step};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::run::{NodeStatus, Run, RunStatus};
use telemetry_core::tracker::Request;

/// A recorded history entry of a real ComfyUI 0.3.64 (three nodes, an output image, both
/// server timestamps), as the template for every run here.
fn template() -> (String, Value) {
    let body = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/real/q_burst/history.json"),
    )
    .expect("recording readable");
    let history: serde_json::Map<String, Value> = serde_json::from_str(&body).expect("json");
    let (id, entry) = history.into_iter().next().expect("an entry");
    (id, entry)
}

/// Prompt ids that sort in the order the runs end (the fake server pages in key order).
fn id(i: usize) -> String {
    format!("run-{i:05}")
}

/// `template`'s entry for prompt `id`.
fn entry_for(id: &str) -> Value {
    let (template_id, entry) = template();
    serde_json::from_str(&entry.to_string().replace(&template_id, id)).expect("json")
}

/// What the stream says of a run whose middle was lost: its start and its end, without the
/// prompt (no workflow, no node count): the page must read the rest from the history.
fn frames(id: &str) -> [String; 3] {
    [
        format!(r#"{{"type":"execution_start","data":{{"prompt_id":"{id}","timestamp":1000}}}}"#),
        format!(r#"{{"type":"executing","data":{{"node":"3","prompt_id":"{id}"}}}}"#),
        format!(r#"{{"type":"execution_success","data":{{"prompt_id":"{id}","timestamp":1400}}}}"#),
    ]
}

/// What a user sees of a run that a details read completes.
#[derive(Debug, PartialEq)]
struct Seen {
    status: RunStatus,
    number: Option<i64>,
    node_total: Option<u32>,
    nodes: Vec<(String, NodeStatus)>,
    workflow: Option<String>,
    outputs: usize,
    server_started_ms: Option<i64>,
    server_ended_ms: Option<i64>,
    reconstructed: bool,
}

fn seen(run: &Run) -> Seen {
    Seen {
        status: run.status,
        number: run.number,
        node_total: run.node_total,
        nodes: run.nodes.iter().map(|n| (n.id.clone(), n.status)).collect(),
        workflow: run.workflow.clone(),
        outputs: run.outputs.len(),
        server_started_ms: run.server_started_ms,
        server_ended_ms: run.server_ended_ms,
        reconstructed: run.reconstructed,
    }
}

fn connected() -> (Pipeline, FakeServer) {
    FakeServer::connected()
}

/// A server that answers each request `latency` ms after it was made, as a page gets its
/// fetches back, while frames keep coming.
struct Slow {
    server: FakeServer,
    latency: f64,
    pending: VecDeque<(f64, Request)>,
}

impl Slow {
    fn take(&mut self, step: Step, now: f64) {
        for request in step.requests {
            self.pending.push_back((now + self.latency, request));
        }
    }

    /// Answers every request due by `now` (and what those answers ask, later).
    fn answer_due(&mut self, p: &mut Pipeline, now: f64) {
        while self.pending.front().is_some_and(|(at, _)| *at <= now) {
            let Some((_, request)) = self.pending.pop_front() else {
                break;
            };
            let reply = self.server.reply(&request);
            self.server.asked.push(request.clone());
            let step = p.step(Input::Answer { request, reply }, now);
            self.take(step, now);
        }
    }

    /// Ticks (every 100 ms) until nothing was asked for a second.
    fn drain(&mut self, p: &mut Pipeline, mut now: f64) -> f64 {
        let mut quiet = 0;
        for _ in 0..1000 {
            quiet = if self.pending.is_empty() {
                quiet + 1
            } else {
                0
            };
            if quiet > 10 {
                break;
            }
            now += 100.0;
            self.answer_due(p, now);
            let step = p.step(Input::Tick { hidden: true }, now);
            self.take(step, now);
        }
        assert!(self.pending.is_empty(), "still asking: {:?}", self.pending);
        now
    }
}

fn details_reads(server: &FakeServer) -> (usize, usize) {
    (
        server.count(|r| matches!(r, Request::ReadDetailsPage { .. })),
        server.count(|r| matches!(r, Request::ReadHistoryDetails(_))),
    )
}

/// Each run read alone (one every 300 ms, so no two share a read): what reads by id give.
fn read_one_by_one(runs: usize) -> Vec<Seen> {
    let (mut p, mut server) = connected();
    let mut t = 1000.0;
    for i in 0..runs {
        let id = id(i);
        for (k, frame) in frames(&id).iter().enumerate() {
            if k == 2 {
                // ComfyUI adds the entry to its history as the prompt ends.
                server.history.insert(id.clone(), entry_for(&id));
            }
            t += 1.0;
            let step = p.step(Input::Text(frame), t);
            server.settle(&mut p, step, t);
        }
        t += 300.0;
        let step = p.step(Input::Tick { hidden: true }, t);
        server.settle(&mut p, step, t);
    }
    let (pages, by_id) = details_reads(&server);
    assert_eq!(
        (pages, by_id),
        (0, runs),
        "the reference reads each run by id"
    );
    (0..runs)
        .map(|i| seen(p.tracker().run(&id(i)).expect("kept")))
        .collect()
}

#[test]
fn three_hundred_runs_ending_in_two_seconds_cost_a_handful_of_reads_with_the_same_result() {
    let runs = 300;
    let (mut p, server) = connected();
    let mut slow = Slow {
        server,
        latency: 30.0,
        pending: VecDeque::new(),
    };
    // 300 runs in 2 s: one every 6.67 ms, their three frames 2 ms apart.
    let mut t = 1000.0;
    for i in 0..runs {
        let id = id(i);
        for (k, frame) in frames(&id).iter().enumerate() {
            if k == 2 {
                slow.server.history.insert(id.clone(), entry_for(&id));
            }
            t = 1000.0 + i as f64 * 2000.0 / runs as f64 + k as f64 * 2.0;
            slow.answer_due(&mut p, t);
            let step = p.step(Input::Text(frame), t);
            slow.take(step, t);
        }
    }
    slow.drain(&mut p, t);
    let (pages, by_id) = details_reads(&slow.server);
    assert!(
        pages + by_id <= 12,
        "one read per 200 ms over 2 s, and the first run alone: {pages} pages, {by_id} by id"
    );
    assert!(pages >= 1);
    let expected = read_one_by_one(runs);
    for (i, want) in expected.iter().enumerate() {
        let run = p.tracker().run(&id(i)).expect("kept");
        assert_eq!(&seen(run), want, "{}: as its own read settles it", id(i));
        assert_eq!(run.node_total, Some(3), "{}: completed", id(i));
        assert_eq!(run.nodes_done(), 3, "{}", id(i));
    }
}

/// Runs `ids` end while nothing is read, then wait for one page read together.
fn end_together(p: &mut Pipeline, server: &mut FakeServer, ids: &[String], t: &mut f64) -> Step {
    let mut asked = Vec::new();
    for id in ids {
        for frame in frames(id) {
            *t += 1.0;
            let step = p.step(Input::Text(&frame), *t);
            asked.extend(step.requests);
        }
    }
    server.asked.extend(asked.iter().cloned());
    Step {
        requests: asked,
        flush_at: None,
    }
}

#[test]
fn a_run_pushed_out_of_the_page_gets_its_own_read() {
    let (mut p, mut server) = connected();
    let mut t = 1000.0;
    // A first run read alone opens the spacing, so the next ones share a page.
    let first = vec![id(0)];
    server.history.insert(id(0), entry_for(&id(0)));
    let step = end_together(&mut p, &mut server, &first, &mut t);
    assert_eq!(step.requests, vec![Request::ReadHistoryDetails(id(0))]);
    server.asked.clear();
    server.settle(&mut p, step, t);
    // Two runs end; before the page is read, other clients' 70 runs end on the server (the
    // page did not see them: their entries push ours out of the page).
    let ours = vec![id(1), id(2)];
    for id in &ours {
        server.history.insert(id.clone(), entry_for(id));
    }
    for k in 0..70 {
        let other = format!("run-9{k:04}");
        server.history.insert(other.clone(), entry_for(&other));
    }
    let step = end_together(&mut p, &mut server, &ours, &mut t);
    assert!(step.requests.is_empty(), "waits for the spacing");
    t += 250.0;
    let step = p.step(Input::Tick { hidden: true }, t);
    server.settle(&mut p, step, t);
    let (pages, _) = details_reads(&server);
    assert_eq!(pages, 1, "{:?}", server.asked);
    for id in &ours {
        assert_eq!(
            server.count(|r| *r == Request::ReadHistoryDetails(id.clone())),
            1,
            "{id}: missing from a full page, read by id"
        );
        let run = p.tracker().run(id).expect("kept");
        assert_eq!((run.node_total, run.nodes_done()), (Some(3), 3), "{id}");
    }
}

#[test]
fn a_page_that_is_the_whole_history_settles_what_it_holds_and_reads_nothing_more() {
    // The benchmark's flood server: every history read answers `{}`. A run missing from a page
    // smaller than asked is missing from the server's history: its own read would find nothing.
    let (mut p, mut server) = connected();
    let mut t = 1000.0;
    let first = vec![id(0)];
    let step = end_together(&mut p, &mut server, &first, &mut t);
    server.settle(&mut p, step, t);
    let ours: Vec<String> = (1..=5).map(id).collect();
    server.history.insert(id(3), entry_for(&id(3)));
    let step = end_together(&mut p, &mut server, &ours, &mut t);
    server.settle(&mut p, step, t);
    t += 250.0;
    let step = p.step(Input::Tick { hidden: true }, t);
    server.asked.clear();
    server.settle(&mut p, step, t);
    assert_eq!(details_reads(&server), (1, 0), "{:?}", server.asked);
    for id in &ours {
        let run = p.tracker().run(id).expect("kept");
        assert_eq!(run.status, RunStatus::Succeeded, "{id}: as it ended");
        let completed = run.node_total == Some(3);
        assert_eq!(
            completed,
            id == "run-00003",
            "{id}: only the one in the history"
        );
    }
}

#[test]
fn a_failed_page_read_reads_each_run_by_id() {
    let (mut p, mut server) = connected();
    let mut t = 1000.0;
    let step = end_together(&mut p, &mut server, &[id(0)], &mut t);
    server.settle(&mut p, step, t);
    let ours: Vec<String> = (1..=4).map(id).collect();
    for id in &ours {
        server.history.insert(id.clone(), entry_for(id));
    }
    end_together(&mut p, &mut server, &ours, &mut t);
    t += 250.0;
    let step = p.step(Input::Tick { hidden: true }, t);
    let page = step.requests.clone();
    assert!(
        matches!(page.as_slice(), [Request::ReadDetailsPage { .. }]),
        "{page:?}"
    );
    let request = page[0].clone();
    let step = p.step(
        Input::Answer {
            request,
            reply: Reply::Failed { status: Some(502) },
        },
        t + 10.0,
    );
    server.asked.clear();
    server.settle(&mut p, step, t + 10.0);
    assert_eq!(details_reads(&server), (0, 4), "{:?}", server.asked);
    for id in &ours {
        let run = p.tracker().run(id).expect("kept");
        assert_eq!(run.node_total, Some(3), "{id}");
    }
}

#[test]
fn the_page_is_sized_to_the_runs_that_ended_since_the_oldest_waiting() {
    let (mut p, mut server) = connected();
    let mut t = 1000.0;
    let step = end_together(&mut p, &mut server, &[id(0)], &mut t);
    server.settle(&mut p, step, t);
    let ours: Vec<String> = (1..=10).map(id).collect();
    end_together(&mut p, &mut server, &ours, &mut t);
    t += 250.0;
    let step = p.step(Input::Tick { hidden: true }, t);
    assert_eq!(
        step.requests,
        vec![Request::ReadDetailsPage { max_items: 17 }],
        "ten runs, half as many again for those ending meanwhile, and two"
    );
}
