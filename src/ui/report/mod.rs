//! The printable report (`/report`): the runs of a history filter (its query string) summed up
//! for a team lead or a client: period and scope, totals, duration per workflow, slowest nodes,
//! failures, queue wait, GPU memory, the recommendations with their evidence and the runs. Laid
//! out for print (`@media print` in the style sheet hides the navigation and the controls); the
//! same data downloads as JSON.

mod bar_chart;
mod sections;

use crate::browser::base_path::app_href;
use crate::browser::clock::now_ms;
use crate::browser::download::download_text;
use crate::browser::location::use_location;
use crate::state::{use_store, StoreStatus};
use crate::ui::components::LocalTime;
use crate::ui::handler::handler;
use crate::ui::history::use_history_query;
use crate::ui::insight::InsightStyle;
use crate::ui::load::Load;
use crate::ui::text::{flag, part, text};
use leptos::prelude::*;
use telemetry_core::history::query::format_date;
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::insight::{report, InsightScope, ReportData, ReportOptions, ReportPeriod};

const DAY_MS: f64 = 86_400_000.0;
/// Runs listed at the end; the rest are counted. Enough for a week of a busy server on paper.
const LISTED_RUNS: usize = 200;

async fn load(runs: crate::store::RunStore, q: HistoryQuery) -> Result<ReportData, String> {
    let now = now_ms();
    let options = ReportOptions {
        max_runs: LISTED_RUNS,
        ..ReportOptions::default()
    };
    match InsightScope::from_query(&q) {
        Some(scope) => runs
            .with_insight(|a| a.report(&scope, now, &options))
            .await
            .map_err(|e| e.to_string()),
        None => {
            let mut matching: Vec<StoredRun> = Vec::new();
            let mut visit = |r: &StoredRun| matching.push(r.clone());
            // Through `dyn`: one copy of the store walk for every caller (bytes, issue #22).
            runs.for_each_matching(&q, &mut visit as &mut dyn FnMut(&StoredRun))
                .await
                .map_err(|e| e.to_string())?;
            Ok(report(&matching, &q, now, &options))
        }
    }
}

/// "2026-11-28 to 2026-12-05": the filter's bounds, else the first and last run.
fn period_text(d: &ReportData) -> (String, String) {
    let p = &d.period;
    let from = p
        .from_ms
        .or(p.first_run_ms)
        .map(format_date)
        .unwrap_or_default();
    let to = p
        .to_ms
        .map(|t| t - DAY_MS)
        .or(p.last_run_ms)
        .map(format_date)
        .unwrap_or_default();
    (from, to)
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let store = use_store();
    let query = use_history_query();
    let data = Load::new(move || {
        let q = query.get();
        store.revision.track();
        // Re-read once the store has opened (a direct load of /report starts before that).
        let opening = store.status.with(|s| matches!(s, StoreStatus::Opening));
        let runs = store.get();
        async move {
            match runs {
                Some(runs) => Some(load(runs, q).await),
                None if opening => None,
                None => Some(Err("the run store is unavailable".to_owned())),
            }
        }
    });
    // Which choice the filter is: a preset chosen today, or a custom range (the history tab's
    // dates, or a preset chosen on another day), which the selector names by its dates.
    let period = move || query.with(|q| ReportPeriod::of(q, now_ms()));
    let custom_label = move || query.with(|q| ReportPeriod::Custom.label(q));
    let location = use_location();
    let choose_period = move |ev: leptos::ev::Event| {
        let mut q = query.get_untracked();
        ReportPeriod::parse(&event_target_value(&ev)).apply(&mut q, now_ms());
        let qs = q.to_query_string();
        location.navigate(&format!(
            "/report{}",
            if qs.is_empty() {
                String::new()
            } else {
                format!("?{qs}")
            }
        ));
    };
    let download = move |_| {
        if let Some(Some(Ok(d))) = data.get().as_deref() {
            let _ = download_text("comfy-report.json", "application/json", &d.to_json());
        }
    };
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <InsightStyle/>
        <h1 class="page-title">"Report"</h1>
        <div class="controls no-print">
            <label>"Period "
                <select data-testid="report-period" on:change=handler(choose_period) prop:value=move || period().value()>
                    {ReportPeriod::PRESETS.map(|p| view! { <option value=p.value()>{p.label(&HistoryQuery::default())}</option> })}
                    <option value="custom" disabled hidden=flag(move || period() != ReportPeriod::Custom)>{custom_label}</option>
                </select>
            </label>
            <button data-testid="report-print" on:click=handler(print)>"Print / Save as PDF"</button>
            <button data-testid="report-json" on:click=handler(download)>"Download JSON"</button>
            <a href=text(move || app_href(&format!("/history?{}", query.with(|q| q.to_query_string()))))>"Back to the history"</a>
        </div>
        {part(move || data.get().map(|d| match &*d {
            None => view! { <p class="muted">"Opening the run store…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="muted">{format!("The report is unavailable: {e}.")}</p> }.into_any(),
            Some(Ok(d)) => {
                let (from, to) = period_text(d);
                let scope = if d.scope.query.is_empty() { "every stored run".to_owned() } else { format!("runs matching {}", d.scope.query) };
                view! {
                    <div class="live-grid report" data-testid="report" data-runs=d.totals.runs.to_string() data-from=from.clone() data-to=to.clone()>
                        <section class="card span-2" data-testid="report-period-text">
                            <h2>{format!("Period: {from} to {to}")}</h2>
                            <p class="small">{format!("Scope: {scope}. Generated ")}<LocalTime ms=d.generated_at_ms/>"."</p>
                        </section>
                        {sections::totals(d)}
                        {sections::findings(d)}
                        {sections::workflows(d)}
                        {sections::nodes(d)}
                        {sections::failures(d)}
                        {sections::queue_and_memory(d)}
                        {sections::run_list(d)}
                    </div>
                }.into_any()
            }
        }).into_any())}
    }
}
