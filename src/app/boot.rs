//! Start-up: resolve the server and connect at once with the signals as the stream's sink, while
//! the store opens from its own chunk (`store_boot.rs`); once open, it is attached as the second
//! sink, restores the runs that were open when the page closed and backfills. Nothing is lost by
//! this order: the sink first writes every run the stream already holds, and a restored run
//! merges with what the stream learned (a record only gains information). Runs again whenever
//! the server setting changes (a new manager replaces the old one).

use super::signal_sink::SignalObserver;
use super::store_boot::{self, StoreJob};
use crate::browser::client_id::new_client_id;
use crate::state::{LiveState, StoreState, StoreStatus, StreamHandle};
use crate::stream::{StreamConfig, StreamManager};
use gloo_timers::future::TimeoutFuture;
use std::rc::Rc;
use telemetry_core::connection::ConnectionInfo;
use telemetry_core::endpoint::ServerBase;
use telemetry_core::follow::QueuePolicy;

/// How often a stream waiting for the store looks whether it has opened.
const STORE_POLL_MS: u32 = 20;

fn page_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_else(|| "http://127.0.0.1:8188".into())
}

/// Picks the server to talk to; an unusable setting falls back to the page's origin and says so.
fn resolve_server(setting: Option<&str>) -> (ServerBase, Option<String>) {
    let origin = || ServerBase::from_origin(&page_origin());
    match setting.map(ServerBase::parse) {
        Some(Ok(server)) => (server, None),
        Some(Err(e)) => match origin() {
            Ok(o) => (o, Some(format!("server setting ignored: {e}"))),
            Err(_) => (fallback_server(), Some(e.to_string())),
        },
        None => (origin().unwrap_or_else(|_| fallback_server()), None),
    }
}

fn fallback_server() -> ServerBase {
    // Only reached when the page's own origin is not http(s) (a file:// page).
    ServerBase::parse("127.0.0.1:8188").unwrap_or_else(|_| unreachable!("constant address parses"))
}

/// `?demo` plays the bundled recording instead of connecting.
fn demo_requested() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|s| web_sys::UrlSearchParams::new_with_str(&s).ok())
        .is_some_and(|p| p.has("demo"))
}

/// Opens the run store once for the page, from the store's chunk; the live tab works in
/// memory without it.
pub fn open_store(store: StoreState) {
    leptos::task::spawn_local(store_boot::run(StoreJob::Open(store)));
}

/// Attaches the store to `manager` once it has opened; a store that failed is never attached.
/// The stream is already running: what it learned meanwhile is written when the sink attaches.
fn wire_when_open(manager: StreamManager, store: StoreState) {
    leptos::task::spawn_local(async move {
        while store.status.get_untracked() == StoreStatus::Opening {
            TimeoutFuture::new(STORE_POLL_MS).await;
        }
        if store.status.get_untracked() == StoreStatus::Ready {
            store_boot::run(StoreJob::Wire(manager, store)).await;
        }
    });
}

/// Builds this server's stream, starts it, and attaches the store when it has opened.
pub fn connect(
    handle: StreamHandle,
    state: LiveState,
    store: StoreState,
    setting: Option<String>,
    policy: QueuePolicy,
) {
    let (server, problem) = resolve_server(setting.as_deref());
    let client_id = new_client_id();
    let config = StreamConfig::default();
    let mut info = ConnectionInfo::new(&server.label(), &client_id, config.max_attempts);
    info.last_error = problem;
    state.connection.set(info);
    state.server.set(Some(server.clone()));
    let observer = Rc::new(SignalObserver::new(state));
    let manager = StreamManager::new(config, server, client_id, observer);
    handle.replace(manager.clone());
    manager.set_policy(policy);
    if demo_requested() {
        crate::ui::live::start_demo(handle);
        return;
    }
    manager.start();
    wire_when_open(manager, store);
}

/// One fleet server's stream: its own state and manager, started at once; its runs are written
/// and restored like the live page's, under its own server key, once the store has opened.
pub fn connect_fleet_server(
    server: ServerBase,
    store: StoreState,
    policy: QueuePolicy,
) -> (LiveState, StreamManager) {
    let client_id = new_client_id();
    let config = StreamConfig::default();
    let state = LiveState::new(ConnectionInfo::new(
        &server.label(),
        &client_id,
        config.max_attempts,
    ));
    state.server.set(Some(server.clone()));
    let observer = Rc::new(SignalObserver::new(state));
    let manager = StreamManager::new(config, server, client_id, observer);
    manager.set_policy(policy);
    manager.start();
    wire_when_open(manager.clone(), store);
    (state, manager)
}
