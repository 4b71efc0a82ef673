//! Memory does not grow with the number of messages seen (issue 22): the recorded message mix,
//! looped with a fresh prompt id for every run as `bench/flood.mjs` sends it, through the one
//! door at 2 000 messages a second, every request answered as the flood server answers (an
//! empty queue, no history). Every collection of the pipeline must hold as many entries after
//! the second half as after the first, and the bytes this binary's allocator holds must not
//! grow. Wasm linear memory never shrinks, so anything that grows here grows the page for good.
//!
//! `FLAT_MEMORY_MESSAGES` sets the length (default 400 000; the flood is 2 000 000:
//! `FLAT_MEMORY_MESSAGES=2000000 cargo test -p telemetry-core --release --test flat_memory --
//! --nocapture`).

mod common;

use common::server::FakeServer;
use std::collections::VecDeque;
use telemetry_core::input::{Input, Step};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::trace::{parse_trace, Payload};
use telemetry_core::tracker::Request;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::live_bytes;

/// How long a run's details read takes to come back (see `Flood::answer`).
const DETAILS_MS: f64 = 25.0;

/// One recorded run's frames (text or binary) and the prompt ids in them.
struct Template {
    frames: Vec<Payload>,
    ids: Vec<String>,
}

/// The flood's mix: every submitter stream with a run that succeeded, without the answer to
/// our own feature flags and the per-connection `sid` status.
fn templates() -> Vec<Template> {
    let mut out = Vec::new();
    for scenario in common::scenarios() {
        let file = common::fixtures()
            .join(&scenario)
            .join("ws_submitter.jsonl");
        let Ok(raw) = std::fs::read_to_string(file) else {
            continue;
        };
        let mut ids: Vec<String> = Vec::new();
        let mut frames = Vec::new();
        let mut success = false;
        for frame in parse_trace(&raw) {
            if let Payload::Text(t) = &frame.payload {
                let v: serde_json::Value = serde_json::from_str(t).unwrap_or_default();
                let kind = v["type"].as_str().unwrap_or("");
                if kind == "feature_flags" || (kind == "status" && v["data"]["sid"].is_string()) {
                    continue;
                }
                success |= kind == "execution_success";
                if let Some(id) = v["data"]["prompt_id"].as_str() {
                    if id.len() == 36 && !ids.iter().any(|i| i == id) {
                        ids.push(id.to_owned());
                    }
                }
            }
            frames.push(frame.payload);
        }
        if success && !ids.is_empty() {
            out.push(Template { frames, ids });
        }
    }
    assert!(out.len() >= 5, "recordings found: {}", out.len());
    out
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Plays the mix until `messages` frames were sent, answering every request, ticking each
/// second and flushing when the pipeline asks; returns the footprint and live bytes at each
/// checkpoint.
struct Flood {
    p: Pipeline,
    server: FakeServer,
    templates: Vec<Template>,
    sent: usize,
    run: usize,
    t: f64,
    flush_at: Option<f64>,
    next_tick: f64,
    /// Details reads performed and not yet answered, and when the next answer comes.
    held: VecDeque<Request>,
    next_details: f64,
}

impl Flood {
    fn new() -> Flood {
        let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
        let server = FakeServer::new();
        let connected = p.step(
            Input::Connected {
                endpoint: telemetry_core::connection::EndpointKind::Telemetry,
            },
            0.0,
        );
        let mut flood = Flood {
            p,
            server,
            templates: templates(),
            sent: 0,
            run: 0,
            t: 1.0,
            flush_at: None,
            next_tick: 1000.0,
            held: VecDeque::new(),
            next_details: 0.0,
        };
        flood.answer(connected);
        flood
    }

    fn until(&mut self, messages: usize) {
        while self.sent < messages {
            let k = self.run % self.templates.len();
            let fresh: Vec<String> = (0..self.templates[k].ids.len())
                .map(|i| format!("{:08x}-{k:04x}-{i:04x}-0000-fresh0000000", self.run))
                .collect();
            for f in 0..self.templates[k].frames.len() {
                let template = &self.templates[k];
                let raw: &[u8] = match &template.frames[f] {
                    Payload::Text(t) => t.as_bytes(),
                    Payload::Binary(b) => b,
                };
                let mut bytes = raw.to_vec();
                for (id, new) in template.ids.iter().zip(&fresh) {
                    bytes = replace(&bytes, id.as_bytes(), new.as_bytes());
                }
                let text = matches!(template.frames[f], Payload::Text(_));
                // 2 000 messages a second: the default length spans minutes, past every
                // bound in time (an end takes VRAM readings for a minute, reads go stale).
                self.t += 0.5;
                let step = match text {
                    true => self
                        .p
                        .step(Input::Text(&String::from_utf8_lossy(&bytes)), self.t),
                    false => self.p.step(Input::Binary(&bytes), self.t),
                };
                self.answer(step);
                self.answer_held();
                self.sent += 1;
                if self.flush_at.is_some_and(|at| at <= self.t) {
                    self.flush_at = None;
                    self.p.take(self.t);
                }
                if self.t >= self.next_tick {
                    self.next_tick += 1000.0;
                    let step = self.p.step(Input::Tick { hidden: false }, self.t);
                    self.answer(step);
                }
            }
            self.run += 1;
        }
    }

    /// Answers what `step` asks, and what the answers ask, as the flood server would. A run's
    /// details read (`/api/history/{id}`) is held and answered one every [`DETAILS_MS`], as a
    /// busy page gets its fetches back: slower than a flood of short runs asks for them.
    fn answer(&mut self, step: Step) {
        self.note_flush(step.flush_at);
        let mut todo: VecDeque<Request> = step.requests.into();
        while let Some(request) = todo.pop_front() {
            if matches!(
                request,
                Request::ReadHistoryDetails(_) | Request::ReadDetailsPage { .. }
            ) {
                self.held.push_back(request);
                continue;
            }
            let reply = self.server.reply(&request);
            let next = self.p.step(Input::Answer { request, reply }, self.t);
            self.note_flush(next.flush_at);
            todo.extend(next.requests);
        }
    }

    fn answer_held(&mut self) {
        if self.t < self.next_details {
            return;
        }
        self.next_details = self.t + DETAILS_MS;
        if let Some(request) = self.held.pop_front() {
            let reply = self.server.reply(&request);
            let next = self.p.step(Input::Answer { request, reply }, self.t);
            self.answer(next);
        }
    }

    fn note_flush(&mut self, at: Option<f64>) {
        if let Some(at) = at {
            self.flush_at = Some(self.flush_at.map_or(at, |f: f64| f.min(at)));
        }
    }
}

#[test]
fn memory_stays_flat_over_a_long_flood_of_short_runs() {
    let total: usize = std::env::var("FLAT_MEMORY_MESSAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400_000);
    let mut flood = Flood::new();
    // Warm up: every bound is reached before half the flood (500 runs, 64 series, 200 lines,
    // a minute of readings after each end: 120 000 messages at 2 000 a second).
    // Five readings, four intervals. A hash table or buffer that crosses a capacity step once
    // (its seed is random, so where it steps varies from run to run) shows in one interval; a
    // leak shows in every one. So the growth asserted is the median interval's.
    let mut readings = Vec::new();
    for step in 0..5 {
        flood.until(total / 2 + step * total / 8);
        // Read after a flush, as the benchmark reads after the page drained.
        flood.p.take(flood.t);
        let live = live_bytes();
        let footprint = flood.p.footprint();
        println!(
            "{} messages, {} runs: {:.2} MB live, {footprint:?}",
            flood.sent,
            flood.run,
            live as f64 / 1e6
        );
        readings.push((flood.sent, live, footprint));
    }
    let (first, last) = (&readings[0], &readings[4]);
    for ((name, a), (_, b)) in first.2.iter().zip(&last.2) {
        assert!(
            *b <= a + a / 4 + 8,
            "{name} grew from {a} to {b} between {} and {} messages",
            first.0,
            last.0
        );
    }
    let mut per_100k: Vec<f64> = readings
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) as f64 / ((w[1].0 - w[0].0) as f64 / 100_000.0))
        .collect();
    per_100k.sort_by(f64::total_cmp);
    let median = (per_100k[1] + per_100k[2]) / 2.0;
    assert!(
        median < 100_000.0,
        "live bytes grew {:.3} MB per 100 000 messages (median of {per_100k:?})",
        median / 1e6
    );
    assert!(flood.p.tracker().index_is_consistent());
}
