//! The app's routes: which page a path shows, and the outlet that shows it. The live page is in
//! the main wasm; every other page is loaded as its own chunk when first visited
//! (`lazy_pages.rs`). Paths come from [`Location`] (`crate::browser::location`).

use super::lazy_pages::{
    CompareRoute, FleetRoute, HistoryRoute, ReportRoute, RunDetailRoute, SettingsRoute,
};
use crate::browser::location::Location;
use crate::state::{Kept, Live};
use crate::ui::live::LivePage;
use crate::ui::text::part;
use futures::FutureExt;
use leptos::prelude::*;
use leptos::reactive::computed::ScopedFuture;
use std::future::Future;

/// A page of the app. The run page's id is not part of it: moving from one run to another keeps
/// the page and changes what it reads from the path, as a router's parameter would.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Route {
    Live,
    History,
    RunDetail,
    Compare,
    Report,
    Fleet,
    Settings,
    Missing,
}

impl Route {
    /// The page at `path` (under the base path, without the query); a trailing `/` is ignored.
    pub fn of(path: &str) -> Route {
        match path.trim_end_matches('/') {
            "" => Route::Live,
            "/history" => Route::History,
            "/compare" => Route::Compare,
            "/report" => Route::Report,
            "/fleet" => Route::Fleet,
            "/settings" => Route::Settings,
            p => match p.strip_prefix("/history/") {
                Some(id) if !id.is_empty() && !id.contains('/') => Route::RunDetail,
                _ => Route::Missing,
            },
        }
    }

    /// Whether `path` is one of the app's pages (links to it are handled in the app).
    pub fn exists(path: &str) -> bool {
        Route::of(path) != Route::Missing
    }
}

/// Shows the page of the current path; rebuilt only when the page changes, not its query or id.
#[component]
pub fn Outlet(location: Location) -> impl IntoView {
    let route = Memo::new(move |_| location.path.with(|p| Route::of(p)));
    part(move || match route.get() {
        Route::Live => view! { <LivePage/> }.into_any(),
        Route::History => lazy(HistoryRoute::view()),
        Route::RunDetail => lazy(RunDetailRoute::view()),
        Route::Compare => lazy(CompareRoute::view()),
        Route::Report => lazy(ReportRoute::view()),
        Route::Fleet => lazy(FleetRoute::view()),
        Route::Settings => lazy(SettingsRoute::view()),
        Route::Missing => view! { <p class="empty">"This page does not exist."</p> }.into_any(),
    })
}

/// A page whose code may still have to be fetched: nothing until it is there.
///
/// Polled once at once, so a page whose chunk is already here (or an unsplit build) shows in the
/// same render; otherwise on a task of its own, its view shown when it is ready. Either way the
/// page is built under the current owner (cleaned up when the route changes) and untracked: the
/// outlet follows only the route. Leptos' `Suspend` does this too, with the suspense machinery
/// the app does not otherwise use (~2 kB of the live page's wasm, issue #22).
fn lazy(page: impl Future<Output = AnyView> + 'static) -> AnyView {
    let mut page = Box::pin(ScopedFuture::new_untracked(page));
    if let Some(view) = (&mut page).now_or_never() {
        return view;
    }
    let slot = Kept::new(None::<AnyView>);
    let ready = Live::new(false);
    leptos::task::spawn_local(async move {
        let view = page.await;
        // The route may have changed meanwhile: then the slot is gone and the view is dropped.
        if slot.try_update_value(|s| *s = Some(view)) {
            ready.try_set(true);
        }
    });
    part(move || {
        let mut view = None;
        if ready.get() {
            slot.update_value(|s| view = s.take());
        }
        view.unwrap_or_else(|| ().into_any())
    })
    .into_any()
}
