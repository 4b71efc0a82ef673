//! The composition root: `App` provides the contexts, holds the router and the layout, and
//! starts the boot (`boot.rs`) whenever the server setting changes. Everything that starts,
//! opens or connects is assembled here and only here.

mod backfill;
mod boot;
mod lazy_pages;
mod signal_sink;

pub use signal_sink::SignalObserver;

use crate::browser::base_path::{app_href, base_path};
use crate::state::{
    provide_stream, provide_ticker, use_live, FleetConnect, FleetSetting, LiveState, PolicySetting,
    ServerSetting, StoreState,
};
use crate::stream::StreamConfig;
use crate::ui::live::{LivePage, RunAnnouncer};
use lazy_pages::{
    CompareRoute, FleetRoute, HistoryRoute, ReportRoute, RunDetailRoute, SettingsRoute,
};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, Lazy};
use telemetry_core::connection::ConnectionInfo;

#[component]
pub fn App() -> impl IntoView {
    let setting = ServerSetting::load();
    provide_context(setting);
    let policy = PolicySetting::load();
    provide_context(policy);
    provide_ticker();
    let state = LiveState::new(ConnectionInfo::new(
        "",
        "",
        StreamConfig::default().max_attempts,
    ));
    let handle = provide_stream(state);
    let store = StoreState::new();
    provide_context(store);
    boot::open_store(store);
    provide_context(FleetSetting::load());
    provide_context(FleetConnect::new(move |server| {
        boot::connect_fleet_server(server, store, policy.0.get_untracked())
    }));
    Effect::new(move |_| {
        let server = setting.0.get();
        boot::connect(handle, state, store, server, policy.0.get_untracked());
    });
    Effect::new(move |_| {
        let p = policy.0.get();
        handle.with(|m| m.set_policy(p));
    });
    crate::state::notify_on_run_end(state);
    // Pending progress is written before the page goes away or to the background.
    let flush = move || {
        if let Some(writer) = store.writer.get_value() {
            writer.flush_now();
        }
    };
    let hidden = window_event_listener(leptos::ev::pagehide, move |_| flush());
    let visibility = window_event_listener(leptos::ev::visibilitychange, move |_| flush());
    on_cleanup(move || {
        hidden.remove();
        visibility.remove();
        handle.with(|m| m.stop());
    });
    view! {
        <Router base=base_path()>
            <Header/>
            <RunAnnouncer/>
            <main class="page">
                <Routes fallback=|| view! { <p class="empty">"This page does not exist."</p> }>
                    <Route path=path!("/") view=LivePage/>
                    <Route path=path!("/history") view={Lazy::<HistoryRoute>::new()}/>
                    <Route path=path!("/history/:run_id") view={Lazy::<RunDetailRoute>::new()}/>
                    <Route path=path!("/compare") view={Lazy::<CompareRoute>::new()}/>
                    <Route path=path!("/report") view={Lazy::<ReportRoute>::new()}/>
                    <Route path=path!("/fleet") view={Lazy::<FleetRoute>::new()}/>
                    <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()}/>
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
                <A href=app_href("/fleet")>"Fleet"</A>
                <A href=app_href("/settings")>"Settings"</A>
            </nav>
            <span class="conn-pill" data-state=state>{state}</span>
        </header>
    }
}
