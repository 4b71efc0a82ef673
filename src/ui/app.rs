use super::{
    history::{ComparePage, HistoryPage, RunDetailPage},
    live::LivePage,
    settings::SettingsPage,
    PolicySetting, ServerSetting,
};
use crate::browser::base_path::{app_href, base_path};
use crate::browser::client_id::new_client_id;
use crate::state::{
    install_history_reader, provide_stream, use_live, LiveState, SignalObserver, StoreState,
    StoreStatus, StreamHandle,
};
use crate::store::{RunStore, StoreWriter};
use crate::stream::{StreamConfig, StreamManager};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;
use std::rc::Rc;
use telemetry_core::connection::ConnectionInfo;
use telemetry_core::connection::{ConnectionState, EndpointKind};
use telemetry_core::endpoint::ServerBase;

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

fn connect(
    handle: StreamHandle,
    state: LiveState,
    setting: Option<String>,
    policy: PolicySetting,
    store: StoreState,
) {
    let (server, problem) = resolve_server(setting.as_deref());
    let client_id = new_client_id();
    let mut info = ConnectionInfo::new(
        &server.label(),
        &client_id,
        StreamConfig::default().max_attempts,
    );
    info.last_error = problem;
    state.connection.set(info);
    state.server.set(Some(server.clone()));
    let observer = Rc::new(SignalObserver::new(state, store.writer_slot()));
    let manager = StreamManager::new(StreamConfig::default(), server, client_id, observer);
    handle.replace(manager.clone());
    install_history_reader(&manager, store);
    manager.set_policy(policy.0.get_untracked());
    restore_unfinished(manager.clone(), store);
    if demo_requested() {
        super::live::start_demo(handle);
    } else {
        manager.start();
    }
}

/// Opens the run store; without it the live tab keeps working in memory and the history tab
/// says why.
fn open_store(store: StoreState, handle: StreamHandle) {
    leptos::task::spawn_local(async move {
        match RunStore::open().await {
            Ok(runs) => {
                let writer = StoreWriter::new(runs.clone(), 1000);
                let write_error = store.write_error;
                writer.on_error(move |e| write_error.set(Some(e)));
                if let Some(manager) = handle.with(Clone::clone) {
                    // Runs the page learned while the store was opening (a jobs or history
                    // read that settled them at once may never touch them again).
                    let now = crate::browser::clock::now_ms();
                    manager.with_pipeline(|p| {
                        for run in p.tracker.runs() {
                            writer.note(run, now);
                        }
                    });
                }
                *store.writer_slot().borrow_mut() = Some(writer);
                store.store.set_value(Some(runs));
                store.status.set(StoreStatus::Ready);
                if let Some(manager) = handle.with(Clone::clone) {
                    restore_unfinished(manager, store);
                }
            }
            Err(e) => store.status.set(StoreStatus::Failed(e)),
        }
    });
}

/// After a reload, runs that were still queued or running continue where they were.
fn restore_unfinished(manager: StreamManager, store: StoreState) {
    let Some(runs) = store.get() else {
        return;
    };
    leptos::task::spawn_local(async move {
        if let Ok(open) = runs.unfinished().await {
            let server = manager.server().label();
            let mine: Vec<_> = open
                .into_iter()
                .filter(|r| r.server == server)
                .map(|r| r.run)
                .collect();
            if !mine.is_empty() {
                manager.restore(mine);
            }
        }
    });
}

/// `?demo` plays the bundled recording instead of connecting.
fn demo_requested() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|s| web_sys::UrlSearchParams::new_with_str(&s).ok())
        .is_some_and(|p| p.has("demo"))
}

/// How many recent history entries the backfill reads once the store is ready (ComfyUI returns
/// everything, up to 10 000 full prompts, without a limit).
const BACKFILL_ITEMS: u32 = 200;

#[component]
pub fn App() -> impl IntoView {
    let setting = ServerSetting::load();
    provide_context(setting);
    let policy = PolicySetting::load();
    provide_context(policy);
    super::live::provide_ticker();
    let state = LiveState::new(ConnectionInfo::new(
        "",
        "",
        StreamConfig::default().max_attempts,
    ));
    let handle = provide_stream(state);
    let store = StoreState::new();
    provide_context(store);
    open_store(store, handle);
    Effect::new(move |_| connect(handle, state, setting.0.get(), policy, store));
    // Backfill from /api/history whenever the stream (re)opens and the store is ready.
    Effect::new(move |was_open: Option<bool>| {
        let open = state
            .connection
            .with(|c| c.state == ConnectionState::Open && c.endpoint != Some(EndpointKind::Demo))
            && store.status.with(|s| *s == StoreStatus::Ready);
        if open && was_open != Some(true) {
            if let Some(manager) = handle.with(Clone::clone) {
                manager.read_history(BACKFILL_ITEMS);
            }
        }
        open
    });
    Effect::new(move |_| {
        let p = policy.0.get();
        handle.with(|m| m.set_policy(p));
    });
    crate::state::notify_on_run_end(state);
    // Pending progress is written before the page goes away or to the background.
    let flush = move || {
        if let Some(writer) = store.writer_slot().borrow().as_ref() {
            writer.flush_now();
        }
    };
    let hidden = leptos::prelude::window_event_listener(leptos::ev::pagehide, move |_| flush());
    let visibility =
        leptos::prelude::window_event_listener(leptos::ev::visibilitychange, move |_| flush());
    on_cleanup(move || {
        hidden.remove();
        visibility.remove();
    });
    on_cleanup(move || {
        handle.with(|m| m.stop());
    });
    view! {
        <Router base=base_path()>
            <Header/>
            <super::live::RunAnnouncer/>
            <main class="page">
                <Routes fallback=|| view! { <p class="empty">"This page does not exist."</p> }>
                    <Route path=path!("/") view=LivePage/>
                    <Route path=path!("/history") view=HistoryPage/>
                    <Route path=path!("/history/:run_id") view=RunDetailPage/>
                    <Route path=path!("/compare") view=ComparePage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let live = use_live();
    let state = move || live.connection.with(|c| c.state.as_str());
    view! {
        <header class="topbar">
            <span class="brand">"ComfyUI telemetry"</span>
            <nav class="tabs" aria-label="Pages">
                <A href=app_href("/") exact=true>"Live"</A>
                <A href=app_href("/history")>"History"</A>
                <A href=app_href("/settings")>"Settings"</A>
            </nav>
            <span class="conn-pill" data-state=state>{state}</span>
        </header>
    }
}
