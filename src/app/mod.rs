//! The composition root: `App` provides the contexts, holds the router and the layout, and
//! starts the boot (`boot.rs`) whenever the server setting changes. Everything that starts,
//! opens or connects is assembled here and only here.

mod backfill;
mod boot;
mod lazy_pages;
mod routes;
mod signal_sink;
mod store_boot;

pub use signal_sink::SignalObserver;

use crate::browser::base_path::app_href;
use crate::browser::location::{provide_location, use_location};
use crate::browser::page_leave::on_page_leave;
use crate::state::{
    provide_handles, provide_ticker, use_live, FleetConnect, FleetSetting, Handles, LiveState,
    PolicySetting, ServerSetting, StoreState, StreamHandle,
};
use crate::stream::StreamConfig;
use crate::ui::effect::effect;
use crate::ui::live::RunAnnouncer;
use crate::ui::text::{maybe_text, text};
use leptos::prelude::*;
use routes::{Outlet, Route};
use telemetry_core::connection::ConnectionInfo;

#[component]
pub fn App() -> impl IntoView {
    let setting = ServerSetting::load();
    let policy = PolicySetting::load();
    provide_ticker();
    let state = LiveState::new(ConnectionInfo::new(
        "",
        "",
        StreamConfig::default().max_attempts,
    ));
    let handle = StreamHandle::empty();
    let store = StoreState::new();
    provide_handles(Handles {
        live: state,
        stream: handle,
        store,
        server: setting,
        policy,
        fleet: FleetSetting::unread(),
        fleet_connect: FleetConnect::new(move |server| {
            boot::connect_fleet_server(server, store, policy.0.get_untracked())
        }),
    });
    boot::open_store(store);
    effect(move || {
        let server = setting.0.get();
        boot::connect(handle, state, store, server, policy.0.get_untracked());
    });
    effect(move || {
        let p = policy.0.get();
        handle.with(|m| m.set_policy(p));
    });
    crate::state::notify_on_run_end(state);
    let location = provide_location(Route::exists);
    // Pending progress is written before the page goes away or to the background: the
    // coalescing window's batch first (a run's end may be in it), then the store's writer
    // (through the stream's store sink, so the writer's code stays in the store's chunk).
    let stop_flushing = on_page_leave(move || {
        handle.with(|m| m.flush_pending());
    });
    on_cleanup(move || {
        stop_flushing();
        handle.with(|m| m.stop());
    });
    view! {
        <Header/>
        <RunAnnouncer/>
        <main class="page">
            <Outlet location/>
        </main>
    }
}

#[component]
fn Header() -> impl IntoView {
    let live = use_live();
    let state = text(move || live.connection.with(|c| c.state.as_str().to_owned()));
    let state_attr = state.clone();
    view! {
        <header class="topbar">
            <span class="brand">"ComfyUI telemetry"</span>
            <nav class="tabs" aria-label="Pages">
                <Tab to="/" label="Live"/>
                <Tab to="/history" label="History"/>
                <Tab to="/fleet" label="Fleet"/>
                <Tab to="/settings" label="Settings"/>
            </nav>
            <span class="conn-pill" data-state=state_attr>{state}</span>
        </header>
    }
}

/// A tab of the top bar, marked as the current page (`aria-current`) on its path and below it.
#[component]
fn Tab(to: &'static str, label: &'static str) -> impl IntoView {
    let location = use_location();
    let current = move || {
        location
            .path
            .with(|p| match to {
                "/" => p == "/",
                _ => p
                    .strip_prefix(to)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
            })
            .then_some("page".to_owned())
    };
    view! { <a href=app_href(to) aria-current=maybe_text(current)>{label}</a> }
}
