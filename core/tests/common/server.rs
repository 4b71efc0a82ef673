//! A fake ComfyUI for the one door: answers the pipeline's requests from recorded history, a
//! queue the test sets, and the recorded system stats, as the shell's I/O would.

use serde_json::{Map, Value};
use telemetry_core::input::{Input, Reply, Step};
use telemetry_core::pipeline::Pipeline;
use telemetry_core::tracker::Request;

#[derive(Default)]
pub struct FakeServer {
    /// `/api/history` as ComfyUI keeps it: prompt id → entry, oldest first.
    pub history: Map<String, Value>,
    /// Prompt ids in `/api/queue`: (running, pending).
    pub running: Vec<String>,
    pub pending: Vec<String>,
    /// Every request performed, in order.
    pub asked: Vec<Request>,
    /// The server is down: every request fails without an answer.
    pub down: bool,
    pub system_stats: String,
    /// The prompt graph every queued item carries (`null`: none).
    pub graph: Value,
    /// The raw client id queue items carry, when any.
    pub client: Option<String>,
    /// Refuse `POST /api/queue` with this status (a cross-origin server without CORS).
    pub refuse_writes: Option<u16>,
}

impl FakeServer {
    /// A page connected to our extension's socket at time 0, its start-up requests answered.
    #[allow(dead_code)] // not every test file uses it
    pub fn connected() -> (Pipeline, FakeServer) {
        let mut p = Pipeline::new("http://127.0.0.1:8188", 200.0);
        let mut server = FakeServer::new();
        let step = p.step(
            Input::Connected {
                endpoint: telemetry_core::connection::EndpointKind::Telemetry,
            },
            0.0,
        );
        server.settle(&mut p, step, 0.0);
        (p, server)
    }

    pub fn new() -> FakeServer {
        FakeServer {
            system_stats: super::http_body("system_stats.json"),
            ..FakeServer::default()
        }
    }

    pub fn with_history(body: &str) -> FakeServer {
        let mut server = FakeServer::new();
        server.history = serde_json::from_str(body).expect("history json");
        server
    }

    fn queue_item(&self, id: &str, number: usize) -> Value {
        let extra = match &self.client {
            Some(c) => serde_json::json!({ "client_id": c }),
            None => serde_json::json!({}),
        };
        serde_json::json!([number, id, self.graph, extra, []])
    }

    /// What a `POST /api/queue` does to the queue, as ComfyUI does it: deleting a prompt that
    /// is no longer pending does nothing.
    fn write(&mut self, request: &Request) {
        if self.down || self.refuse_writes.is_some() {
            return;
        }
        match request {
            Request::DeleteQueued(ids) => self.pending.retain(|p| !ids.contains(p)),
            Request::ClearQueue => self.pending.clear(),
            _ => {}
        }
    }

    pub fn reply(&self, request: &Request) -> Reply {
        if self.down {
            return Reply::Failed { status: None };
        }
        let body = match request {
            Request::ReadQueue => serde_json::json!({
                "queue_running": self.running.iter().enumerate().map(|(i, id)| self.queue_item(id, i)).collect::<Vec<_>>(),
                "queue_pending": self.pending.iter().enumerate().map(|(i, id)| self.queue_item(id, 100 + i)).collect::<Vec<_>>(),
            })
            .to_string(),
            // ComfyUI's newest entries; here the map's order (by prompt id: tests that page
            // through history use ids that sort in the order the runs ended).
            Request::ReadHistory { max_items, .. } | Request::ReadDetailsPage { max_items } => {
                let skip = self.history.len().saturating_sub(*max_items as usize);
                let page: Map<String, Value> = self
                    .history
                    .iter()
                    .skip(skip)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Value::Object(page).to_string()
            }
            Request::ReadHistoryEntry(id) | Request::ReadHistoryDetails(id) => {
                match self.history.get(id.as_str()) {
                    Some(e) => serde_json::json!({ id.clone(): e }).to_string(),
                    None => "{}".to_owned(),
                }
            }
            Request::ReadFeatures => "{}".to_owned(),
            Request::ReadJobs | Request::ReadGpuSoon => return Reply::Failed { status: Some(404) },
            Request::ReadSystemStats => self.system_stats.clone(),
            Request::DeleteQueued(_) | Request::ClearQueue => match self.refuse_writes {
                Some(status) => return Reply::Failed { status: Some(status) },
                None => String::new(),
            },
        };
        Reply::Body(body)
    }

    /// Performs every request of `step`, and of the steps their answers return, until the
    /// pipeline asks nothing more. Returns the last flush time asked for.
    pub fn settle(&mut self, p: &mut Pipeline, step: Step, now: f64) -> Option<f64> {
        let mut todo = step.requests;
        let mut flush_at = step.flush_at;
        let mut rounds = 0;
        while let Some(request) = (!todo.is_empty()).then(|| todo.remove(0)) {
            rounds += 1;
            assert!(
                rounds < 10_000,
                "the pipeline keeps asking: {:?}",
                self.asked.last()
            );
            self.write(&request);
            let reply = self.reply(&request);
            self.asked.push(request.clone());
            let next = p.step(Input::Answer { request, reply }, now);
            todo.extend(next.requests);
            flush_at = next.flush_at.or(flush_at);
        }
        flush_at
    }

    pub fn count(&self, f: impl Fn(&Request) -> bool) -> usize {
        self.asked.iter().filter(|r| f(r)).count()
    }
}
