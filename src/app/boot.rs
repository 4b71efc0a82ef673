//! Start-up, in the order that loses nothing: resolve the server, open the store, restore the
//! runs that were open when the page closed, then connect, with the signals and the store
//! attached as the stream's sinks. Runs again whenever the server setting changes (a new
//! manager replaces the old one).

use super::backfill::{self, BACKFILL_ITEMS};
use super::signal_sink::SignalObserver;
use crate::browser::client_id::new_client_id;
use crate::state::{LiveState, StoreState, StoreStatus, StreamHandle};
use crate::store::{sink, RunStore, StoreWriter};
use crate::stream::{StreamConfig, StreamManager};
use futures::future::select;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use std::rc::Rc;
use telemetry_core::connection::ConnectionInfo;
use telemetry_core::endpoint::ServerBase;
use telemetry_core::follow::QueuePolicy;

/// How long connecting waits for the store to open (restoring first); a store that takes
/// longer (another tab blocks its upgrade) is wired in when it opens.
const STORE_WAIT_MS: u32 = 2_000;

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

/// Opens the run store once for the page; the live tab works in memory without it.
pub fn open_store(store: StoreState) {
    leptos::task::spawn_local(async move {
        match RunStore::open().await {
            Ok(runs) => {
                let writer = StoreWriter::new(runs.clone(), 1000);
                let write_error = store.write_error;
                writer.on_error(move |e| write_error.set(Some(e)));
                store.writer.set_value(Some(writer));
                store.store.set_value(Some(runs));
                store.status.set(StoreStatus::Ready);
            }
            Err(e) => store.status.set(StoreStatus::Failed(e)),
        }
    });
}

/// Resolves when the store is no longer opening, or after `STORE_WAIT_MS`.
async fn store_settled(store: StoreState) {
    let opened = async move {
        while store.status.get_untracked() == StoreStatus::Opening {
            TimeoutFuture::new(10).await;
        }
    };
    let _ = select(Box::pin(opened), TimeoutFuture::new(STORE_WAIT_MS)).await;
}

/// Builds this server's stream and starts it once the store had its chance to restore.
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
    leptos::task::spawn_local(async move {
        store_settled(store).await;
        if store.status.get_untracked() == StoreStatus::Ready {
            wire_store(&manager, store).await;
            manager.start();
        } else {
            manager.start();
            // Opened late (another tab held its upgrade): wired in when it opens.
            while store.status.get_untracked() == StoreStatus::Opening {
                TimeoutFuture::new(100).await;
            }
            if store.status.get_untracked() == StoreStatus::Ready {
                wire_store(&manager, store).await;
            }
        }
    });
}

/// One fleet server's stream: its own state and manager, started once the store had its
/// chance (its runs are written and restored like the live page's, under its own server key).
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
    let started = manager.clone();
    leptos::task::spawn_local(async move {
        store_settled(store).await;
        if store.status.get_untracked() == StoreStatus::Ready {
            wire_store(&started, store).await;
        }
        started.start();
    });
    (state, manager)
}

/// The store is open: history reads skip what it holds, its sink takes every run, the runs
/// that were open when the page closed continue, and what ran meanwhile is backfilled.
async fn wire_store(manager: &StreamManager, store: StoreState) {
    let (Some(runs), Some(writer)) = (store.get(), store.writer.get_value()) else {
        return;
    };
    manager.set_stored_keys(backfill::stored_keys(runs.clone()));
    if let Ok(open) = runs.unfinished().await {
        let server = manager.server().label();
        let (runs, series): (Vec<_>, Vec<_>) = open
            .into_iter()
            .filter(|r| r.server == server)
            .map(|r| (r.run, r.series))
            .unzip();
        if !runs.is_empty() {
            manager.restore(runs, series.into_iter().flatten().collect());
        }
    }
    sink::attach(manager, writer);
    backfill::read(manager.clone(), BACKFILL_ITEMS);
}
