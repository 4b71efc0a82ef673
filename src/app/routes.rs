//! The app's routes: which page a path shows, and the outlet that shows it. The live page is in
//! the main wasm; every other page is loaded as its own chunk when first visited
//! (`lazy_pages.rs`). Paths come from [`Location`] (`crate::browser::location`).

use super::lazy_pages::{
    CompareRoute, FleetRoute, HistoryRoute, ReportRoute, RunDetailRoute, SettingsRoute,
};
use crate::browser::location::Location;
use crate::ui::live::LivePage;
use leptos::prelude::*;
use send_wrapper::SendWrapper;

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
    move || match route.get() {
        Route::Live => view! { <LivePage/> }.into_any(),
        Route::History => lazy(HistoryRoute::view()),
        Route::RunDetail => lazy(RunDetailRoute::view()),
        Route::Compare => lazy(CompareRoute::view()),
        Route::Report => lazy(ReportRoute::view()),
        Route::Fleet => lazy(FleetRoute::view()),
        Route::Settings => lazy(SettingsRoute::view()),
        Route::Missing => view! { <p class="empty">"This page does not exist."</p> }.into_any(),
    }
}

/// A page whose code may still have to be fetched: nothing until it is there. The split loader's
/// future is not `Send`; the wasm page has one thread.
fn lazy(page: impl std::future::Future<Output = AnyView> + 'static) -> AnyView {
    Suspend::new(SendWrapper::new(page)).into_any()
}
