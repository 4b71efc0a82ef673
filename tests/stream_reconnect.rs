//! The stream manager against a real server in a real browser: it connects, survives the server
//! dying with attempts after 1, 2, 4, 8 and 16 units, goes offline, and a manual retry works.
//!
//! Needs the replay server with `--enable-cors-header` at `REPLAY_URL` (as the tests were built),
//! else on 127.0.0.1:18188; scripts/test.sh starts it on a free port. The backoff unit is
//! scaled to 100 ms through `StreamConfig`; the dashboard's default stays 1000 ms.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::stream::{StreamConfig, StreamManager, StreamObserver};
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::rc::Rc;
use telemetry_core::connection::{ConnectionInfo, ConnectionState, EndpointKind};
use telemetry_core::endpoint::ServerBase;
use telemetry_core::pipeline::{Pipeline, UpdateBatch};
use wasm_bindgen_test::*;

#[path = "support/wait.rs"]
mod wait;
use wait::wait_for;

wasm_bindgen_test_configure!(run_in_browser);

const SERVER: &str = match option_env!("REPLAY_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:18188",
};

#[derive(Default)]
struct Recorder {
    states: RefCell<Vec<(f64, ConnectionInfo)>>,
    /// Each flush: when, and how many messages the pipeline had taken in by then.
    batches: RefCell<Vec<(f64, u64)>>,
}

impl StreamObserver for Recorder {
    fn on_connection(&self, info: &ConnectionInfo) {
        self.states
            .borrow_mut()
            .push((js_sys::Date::now(), info.clone()));
    }
    fn on_batch(&self, pipeline: &Pipeline, _: &UpdateBatch, now_ms: f64) {
        let messages = pipeline.tracker().counters.messages;
        self.batches.borrow_mut().push((now_ms, messages));
    }
}

impl Recorder {
    fn last(&self) -> Option<ConnectionInfo> {
        self.states.borrow().last().map(|(_, i)| i.clone())
    }
}

async fn control(path: &str) {
    let response = gloo_net::http::Request::post(&format!("{SERVER}/__replay/{path}"))
        .send()
        .await
        .expect("replay control reachable");
    assert!(response.ok(), "control {path}: {}", response.status());
}

fn manager(recorder: &Rc<Recorder>, base_ms: u64) -> StreamManager {
    manager_with(recorder, base_ms, true)
}

/// `in_worker: false`: the socket on the main thread, as a browser without workers has it.
fn manager_with(recorder: &Rc<Recorder>, base_ms: u64, in_worker: bool) -> StreamManager {
    let config = StreamConfig {
        backoff_base_ms: base_ms,
        window_ms: 50.0,
        socket_in_worker: in_worker,
        ..StreamConfig::default()
    };
    let server = ServerBase::parse(SERVER).expect("server address");
    StreamManager::new(config, server, "dashtest".into(), recorder.clone())
}

#[wasm_bindgen_test]
async fn reconnects_1_2_4_8_16_then_offline_then_manual_retry() {
    reconnect_cycle(true).await;
}

/// The same with the socket on the main thread (a browser that refuses the worker).
#[wasm_bindgen_test]
async fn reconnects_the_same_with_the_socket_on_the_main_thread() {
    reconnect_cycle(false).await;
}

async fn reconnect_cycle(in_worker: bool) {
    control("recover").await;
    let recorder = Rc::new(Recorder::default());
    let m = manager_with(&recorder, 100, in_worker);
    m.start();
    wait_for("open", 10_000.0, || m.info().state == ConnectionState::Open).await;
    assert_eq!(m.info().endpoint, Some(EndpointKind::Telemetry));
    assert_eq!(
        m.socket_in_worker(),
        Some(in_worker),
        "where the socket lives"
    );
    wait_for("first batch", 10_000.0, || {
        !recorder.batches.borrow().is_empty()
    })
    .await;

    control("outage").await;
    wait_for("offline", 30_000.0, || {
        m.info().state == ConnectionState::Offline
    })
    .await;
    assert_eq!(m.info().attempt, 5);

    // Each failure schedules the next attempt; read the schedule and when each attempt began.
    let states = recorder.states.borrow().clone();
    let scheduled: Vec<(f64, u32, u64)> = states
        .iter()
        .filter_map(|(t, i)| i.retry_delay_ms.map(|d| (*t, i.attempt, d)))
        .collect();
    let delays: Vec<u64> = scheduled.iter().map(|(_, _, d)| *d).collect();
    assert_eq!(delays, vec![100, 200, 400, 800, 1600]);
    let attempts: Vec<u32> = scheduled.iter().map(|(_, a, _)| *a).collect();
    assert_eq!(attempts, vec![1, 2, 3, 4, 5]);
    for (at, attempt, delay) in &scheduled {
        let began = states
            .iter()
            .find(|(t, i)| {
                *t >= *at
                    && i.state == ConnectionState::Reconnecting
                    && i.attempt == *attempt
                    && i.retry_delay_ms.is_none()
            })
            .map(|(t, _)| *t)
            .unwrap_or_else(|| panic!("attempt {attempt} never began"));
        assert!(
            began - at >= *delay as f64 - 1.0,
            "attempt {attempt} began {} ms after scheduling, before its {delay} ms delay",
            began - at
        );
    }
    // Offline stays offline: no attempt is scheduled any more.
    let count = recorder.states.borrow().len();
    TimeoutFuture::new(500).await;
    assert_eq!(recorder.states.borrow().len(), count);
    assert_eq!(
        recorder.last().map(|i| i.state),
        Some(ConnectionState::Offline)
    );

    control("recover").await;
    m.retry();
    wait_for("open after retry", 10_000.0, || {
        m.info().state == ConnectionState::Open
    })
    .await;
    wait_for("attempt count reset", 10_000.0, || m.info().attempt == 0).await;
    m.stop();
}

#[wasm_bindgen_test]
async fn after_giving_up_the_watch_reconnects_by_itself_when_the_server_returns() {
    control("recover").await;
    let recorder = Rc::new(Recorder::default());
    let config = StreamConfig {
        backoff_base_ms: 50,
        window_ms: 50.0,
        watch_interval_ms: 1_000.0,
        ..StreamConfig::default()
    };
    let server = ServerBase::parse(SERVER).expect("server address");
    let m = StreamManager::new(config, server, "dashwatch".into(), recorder.clone());
    m.start();
    wait_for("open", 10_000.0, || m.info().state == ConnectionState::Open).await;
    control("outage").await;
    wait_for("offline", 30_000.0, || {
        m.info().state == ConnectionState::Offline
    })
    .await;
    // Offline, but watching: the next probe is scheduled and says so.
    let info = m.info();
    assert!(info.watch_probes.is_some(), "the page keeps watching");
    assert!(
        info.next_attempt_at_ms.is_some(),
        "and says when it checks next"
    );
    assert!(info.refused.is_none(), "a dead server is not a refusal");
    // At least one probe finds nothing while the server is still away.
    wait_for("a probe while down", 10_000.0, || {
        m.info().watch_probes.is_some_and(|p| p >= 1)
    })
    .await;
    assert_eq!(m.info().state, ConnectionState::Offline);
    control("recover").await;
    // No retry pressed: the watch's next probe finds the server and reconnects.
    wait_for("open again by itself", 10_000.0, || {
        m.info().state == ConnectionState::Open
    })
    .await;
    assert_eq!(m.info().watch_probes, None);
    wait_for("the server spoke", 10_000.0, || m.info().attempt == 0).await;
    m.stop();
}

/// A stock ComfyUI (no extension): the replay server at `REPLAY_STOCK_URL` (else on 18189) runs
/// with `--no-telemetry`.
const STOCK_SERVER: &str = match option_env!("REPLAY_STOCK_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:18189",
};

#[wasm_bindgen_test]
async fn missing_telemetry_endpoint_falls_back_to_ws_without_spending_an_attempt() {
    let recorder = Rc::new(Recorder::default());
    let config = StreamConfig {
        backoff_base_ms: 100,
        window_ms: 50.0,
        ..StreamConfig::default()
    };
    let server = ServerBase::parse(STOCK_SERVER).expect("server");
    let m = StreamManager::new(config, server, "dashtest2".into(), recorder.clone());
    m.start();
    wait_for("open on /ws", 10_000.0, || {
        m.info().state == ConnectionState::Open
    })
    .await;
    let info = m.info();
    assert_eq!(info.endpoint, Some(EndpointKind::Ws));
    assert!(
        info.telemetry_missing,
        "the dashboard says why it is on /ws"
    );
    assert!(
        recorder
            .states
            .borrow()
            .iter()
            .all(|(_, i)| i.retry_delay_ms.is_none()),
        "falling back is not a failed attempt"
    );
    m.stop();
}

#[wasm_bindgen_test]
async fn updates_reach_the_observer_in_coalesced_batches() {
    control("recover").await;
    let recorder = Rc::new(Recorder::default());
    let m = manager(&recorder, 100);
    m.start();
    wait_for("open", 10_000.0, || m.info().state == ConnectionState::Open).await;
    // Flushes also carry what is not a message (the connection, answers to the page's own
    // reads), so their count says nothing against the messages' count: wait for a good number
    // of messages instead, then look at what each flush carried.
    wait_for("several batches of messages", 20_000.0, || {
        let b = recorder.batches.borrow();
        b.len() >= 3 && b.last().is_some_and(|(_, m)| *m >= 20)
    })
    .await;
    let batches = recorder.batches.borrow().clone();
    for pair in batches.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= 49.0,
            "two flushes {} ms apart within one 50 ms window",
            pair[1].0 - pair[0].0
        );
    }
    // ComfyUI sends a prompt's first frames in one burst (status, execution_start,
    // execution_cached, executing): one flush takes several of them.
    let most = batches
        .windows(2)
        .map(|pair| pair[1].1 - pair[0].1)
        .chain(batches.first().map(|(_, m)| *m))
        .max()
        .unwrap_or(0);
    assert!(
        most >= 2,
        "one flush carried several messages, not one flush each: {batches:?}"
    );
    m.stop();
}
