//! `/__replay/*`: lets tests and demos drive the fake server (restart, simulated crash).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use crate::playback::Playback;
use crate::reply::json;
use crate::timeline::Position;
use crate::{state, App};

/// A simulated server death. The epoch makes a timed recovery ignore outages begun after it.
#[derive(Default)]
pub struct Outage {
    inner: Mutex<(bool, u64)>,
}

impl Outage {
    fn lock(&self) -> std::sync::MutexGuard<'_, (bool, u64)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn active(&self) -> bool {
        self.lock().0
    }

    fn begin(&self) -> u64 {
        let mut g = self.lock();
        g.0 = true;
        g.1 += 1;
        g.1
    }

    fn end(&self, only_epoch: Option<u64>) {
        let mut g = self.lock();
        if only_epoch.is_none_or(|e| e == g.1) {
            g.0 = false;
        }
    }
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/__replay/state", get(get_state))
        .route("/__replay/restart", post(restart))
        .route("/__replay/outage", post(outage))
        .route("/__replay/recover", post(recover))
}

#[derive(Serialize)]
struct ReplayState<'a> {
    scenario: Option<&'a str>,
    scenario_index: Option<usize>,
    elapsed_ms: u64,
    frames_sent: u64,
    clients: usize,
    outage: bool,
    finished: bool,
    started: bool,
    cycle: u64,
    speed: f64,
    scenarios: &'a [String],
}

async fn get_state(State(app): State<Arc<App>>) -> Response {
    let pos = state::position(&app);
    let (index, cycle) = match pos {
        Some(Position::Playing { index, cycle, .. }) => (Some(index), cycle),
        Some(Position::Gap { after, cycle }) => (Some(after), cycle),
        Some(Position::Finished) => (app.names.len().checked_sub(1), 0),
        None => (None, 0),
    };
    let body = ReplayState {
        scenario: index.and_then(|i| app.names.get(i)).map(String::as_str),
        scenario_index: index,
        elapsed_ms: app.playback.elapsed_ms().unwrap_or(0.0) as u64,
        frames_sent: app.playback.frames_sent(),
        clients: app.hub.len(),
        outage: app.outage.active(),
        finished: pos == Some(Position::Finished),
        started: pos.is_some(),
        cycle,
        speed: app.timeline.speed(),
        scenarios: &app.names,
    };
    json(
        StatusCode::OK,
        serde_json::to_string(&body).unwrap_or_default(),
    )
}

async fn restart(State(app): State<Arc<App>>) -> StatusCode {
    Playback::restart(&app);
    StatusCode::OK
}

async fn outage(
    State(app): State<Arc<App>>,
    Query(params): Query<HashMap<String, String>>,
) -> StatusCode {
    let epoch = app.outage.begin();
    let cut = app.hub.drop_all();
    eprintln!("outage: {cut} socket(s) cut, API answers 503");
    if let Some(ms) = params.get("ms").and_then(|v| v.parse::<u64>().ok()) {
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            app.outage.end(Some(epoch));
            eprintln!("outage over after {ms} ms");
        });
    }
    StatusCode::OK
}

async fn recover(State(app): State<Arc<App>>) -> StatusCode {
    app.outage.end(None);
    eprintln!("recovered");
    StatusCode::OK
}
