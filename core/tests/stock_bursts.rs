//! Stock ComfyUI (no extension), another client queues identical, fully cached prompts back to
//! back: each ends within milliseconds, between two `status` frames, and the page hears of it
//! only through `queue_remaining`. Every one must be listed, with ComfyUI's status, whatever
//! order the server's answers arrive in. The history entries are ComfyUI's own (the recorded
//! fully cached run of `r_cached_partial`), with fresh prompt ids.

mod common;

use common::server::FakeServer;
use serde_json::Value;
use telemetry_core::connection::EndpointKind;
use telemetry_core::input::{Input, Reply, Step};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::run::RunStatus;
use telemetry_core::tracker::Request;

const CACHED: &str = "6fad7137-05a1-4918-92bf-ac1ed9b81ffe";

fn cached_entry(id: &str) -> Value {
    let raw = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/real/r_cached_partial/history.json"),
    )
    .expect("history.json");
    let all: Value = serde_json::from_str(&raw.replace(CACHED, id)).expect("json");
    all[id].clone()
}

fn status(remaining: u32) -> String {
    format!(
        r#"{{"type":"status","data":{{"status":{{"exec_info":{{"queue_remaining":{remaining}}}}}}}}}"#
    )
}

/// A page beside a server whose answers arrive `delay` frames after they were asked (the
/// server answers as it was when asked).
struct Page {
    p: Pipeline,
    server: FakeServer,
    in_transit: Vec<(usize, Request, Reply)>,
    frame: usize,
    delay: usize,
}

impl Page {
    fn new(delay: usize) -> Page {
        let mut page = Page {
            p: Pipeline::new("http://127.0.0.1:8188", 200.0),
            server: FakeServer::new(),
            in_transit: Vec::new(),
            frame: 0,
            delay,
        };
        let step = page.p.step(
            Input::Connected {
                endpoint: EndpointKind::Ws,
            },
            0.0,
        );
        page.ask(step);
        page
    }

    fn ask(&mut self, step: Step) {
        for request in step.requests {
            let reply = self.server.reply(&request);
            self.server.asked.push(request.clone());
            self.in_transit
                .push((self.frame + self.delay, request, reply));
        }
    }

    /// Delivers the answers due by now.
    fn deliver(&mut self, all: bool) {
        loop {
            let due = self
                .in_transit
                .iter()
                .position(|(at, _, _)| all || *at <= self.frame);
            let Some(i) = due else { return };
            let (_, request, reply) = self.in_transit.remove(i);
            let step = self
                .p
                .step(Input::Answer { request, reply }, self.frame as f64);
            self.ask(step);
        }
    }

    fn frame(&mut self, text: &str) {
        self.frame += 1;
        self.deliver(false);
        let step = self.p.step(Input::Text(text), self.frame as f64);
        self.ask(step);
    }

    /// Another client's prompt: queued, taken, run from cache, stored in history.
    fn burst_prompt(&mut self, id: &str) {
        self.server.running = vec![id.to_owned()];
        self.frame(&status(1));
        self.frame(&status(1));
        self.server.running.clear();
        self.server.history.insert(id.to_owned(), cached_entry(id));
        self.frame(&status(0));
    }
}

fn check_burst(count: usize, delay: usize) {
    let mut page = Page::new(delay);
    page.deliver(true);
    let ids: Vec<String> = (0..count)
        .map(|i| format!("burst-{i:04}-0000-0000-000000000000"))
        .collect();
    for id in &ids {
        page.burst_prompt(id);
    }
    page.deliver(true);
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| page.p.tracker().run(id).map(|r| r.status) != Some(RunStatus::Succeeded))
        .collect();
    assert!(
        missing.is_empty(),
        "delay {delay}: {} of {count} prompts not listed as succeeded: {:?}",
        missing.len(),
        missing.iter().take(3).collect::<Vec<_>>()
    );
    for id in &ids {
        let run = page.p.tracker().run(id).expect("listed");
        assert_eq!(run.node_total, Some(3));
        assert_eq!(run.nodes_done(), 3, "{id}: all three cached");
    }
    assert!(page.p.tracker().index_is_consistent());
}

#[test]
fn a_burst_of_identical_cached_prompts_is_listed_in_full_when_answers_are_quick() {
    check_burst(20, 0);
}

#[test]
fn a_burst_is_listed_in_full_when_each_answer_arrives_after_the_next_prompt_was_queued() {
    for delay in 1..=4 {
        check_burst(20, delay);
    }
}

#[test]
fn a_long_burst_is_listed_in_full() {
    check_burst(120, 2);
}

#[test]
fn a_burst_is_listed_in_full_when_the_server_answers_slowly() {
    // Ten, then twenty-five prompts end while one history read is on its way.
    check_burst(120, 30);
    check_burst(120, 75);
}
