//! The history tab: every stored run, filtered through the URL, paged with store cursors.

mod actions;
mod compare;
mod detail;
mod filters;
mod list;
mod local_json;
mod params;
mod roving;
mod run_download;
mod server_log;
mod storage;
mod trends;

pub use compare::ComparePage;
pub use detail::RunDetailPage;

use crate::browser::location::use_location;
use crate::state::{on_new_lifecycle, use_live, use_store, FeedStart, Live, StoreStatus};
use crate::ui::insight::InsightPanel;
use crate::ui::text::part;
use actions::HistoryActions;
use filters::FilterBar;
use leptos::prelude::*;
use list::{HistoryList, SessionRuns};
use server_log::HistorySource;
use storage::StorageStatus;
use telemetry_core::history::HistoryQuery;
use trends::TrendsPanel;

/// The query in the URL, decoded.
pub fn use_history_query() -> Memo<HistoryQuery> {
    let location = use_location();
    Memo::new(move |_| {
        let pairs: Vec<(&str, String)> = [
            "status", "q", "from", "to", "exit", "gpu", "server", "workflow", "sort", "order",
        ]
        .into_iter()
        .filter_map(|k| location.query_value(k).map(|v| (k, v)))
        .collect();
        HistoryQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
    })
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    let store = use_store();
    let live = use_live();
    provide_context(list::Selection(Live::new(Vec::new())));
    server_log::provide_server_log();
    // Runs finishing live land in the store a moment later; refresh the list then.
    // By sequence number: the feed is bounded, so its length stops changing once it is full.
    on_new_lifecycle(live, FeedStart::Now, move |_| {
        gloo_timers::callback::Timeout::new(800, move || store.bump()).forget();
    });
    view! {
        <h1 class="page-title">"History"</h1>
        {part(move || match store.status.get() {
            StoreStatus::Opening => view! { <p class="muted">"Opening the run store…"</p> }.into_any(),
            StoreStatus::Failed(e) => view! {
                <section class="card" role="alert">
                    <h2>"History is unavailable"</h2>
                    <p>{format!("The browser's storage could not be opened: {e}.")}</p>
                    <p class="muted small">"The live tab keeps working in memory, and nothing already stored was changed. Runs seen since this page was opened are listed below."</p>
                </section>
                <SessionRuns/>
            }.into_any(),
            StoreStatus::Ready => view! {
                <div class="history">
                    <FilterBar/>
                    <HistorySource/>
                    <TrendsPanel/>
                    <InsightPanel/>
                    <HistoryActions/>
                    <HistoryList/>
                    <StorageStatus/>
                </div>
            }.into_any(),
        })}
    }
}
