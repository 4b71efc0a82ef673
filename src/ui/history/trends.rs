use super::use_history_query;
use crate::browser::settings_store;
use crate::state::{use_store, Computed, Live};
use crate::ui::components::Show;
use crate::ui::components::{text_row, LastCell, LineChart};
use crate::ui::handler::handler;
use crate::ui::load::Load;
use crate::ui::text::{part, text, CollectAny};
use leptos::prelude::*;
use telemetry_core::format;
use telemetry_core::history::stats::{Trends, TrendsBuilder};
use telemetry_core::history::StoredRun;

/// Trends over the filtered runs, in one streaming pass. Shown above the list unless a person
/// collapsed them (remembered), since a glance at the trend is what the tab is opened for.
#[component]
pub fn TrendsPanel() -> impl IntoView {
    let store = use_store();
    let query = use_history_query();
    let open = Live::new(settings_store::load_trends_open());
    let trends = Load::new(move || {
        let q = open.get().then(|| query.get());
        store.revision.track();
        let runs = store.get();
        async move {
            let (q, runs) = (q?, runs?);
            let mut b = TrendsBuilder::default();
            let mut visit = |r: &StoredRun| b.add(r);
            // Through `dyn`: one copy of the store walk for every caller (bytes, issue #22).
            runs.for_each_matching(&q, &mut visit as &mut dyn FnMut(&StoredRun))
                .await
                .ok()?;
            Some(b.finish())
        }
    });
    // Read in place (`Option<&Option<Trends>>`): each part takes what it shows, not a copy of
    // the whole trends.
    let series = move |f: fn(&Trends) -> Vec<telemetry_core::history::stats::Point>| {
        Computed::new(move || {
            trends.with(|t| t.and_then(Option::as_ref).map(f).unwrap_or_default())
        })
    };
    view! {
        <section class="card span-2" data-testid="trends">
            <div class="card-head">
                <h2>"Trends"</h2>
                <button aria-expanded=text(move || open.get().to_string()) aria-controls="trends-body" data-testid="trends-toggle"
                    on:click=handler(move |_| { open.update(|o| *o = !*o); settings_store::save_trends_open(open.get_untracked()); })>
                    {text(move || if open.get() { "Hide trends" } else { "Show trends" }.into())}
                </button>
            </div>
            <div id="trends-body">
            <Show when=move || open.get()>
                {part(move || trends.with(|t| t.and_then(Option::as_ref).map(|t| view! {
                    <p>{format!("{} runs · success rate {} · {} failed · {} interrupted{}", t.runs,
                        format::or_na(t.success_rate(), format::percent), t.failed, t.interrupted,
                        if t.lost > 0 { format!(" · {} lost", t.lost) } else { String::new() })}</p>
                })).into_any())}
                <div class="charts">
                    <LineChart title="Duration of succeeded runs" unit=" s" points=series(|t| t.duration.clone())/>
                    <LineChart title="VRAM delta" unit=" MB" points=series(|t| t.vram_delta_mb.clone())/>
                    <LineChart title="Success rate per day (UTC days)" unit="" percent=true utc_days=true points=series(|t| t.daily_success.clone())/>
                </div>
                <table class="runs">
                    <thead><tr><th>"Workflow"</th><th>"Runs"</th><th>"Succeeded"</th><th>"p50"</th><th>"p95"</th></tr></thead>
                    <tbody>
                        {part(move || trends.with(|t| t.and_then(Option::as_ref).map(|t| t.workflows.iter().map(|w| {
                            let ms = |v: Option<f64>| format::or_na(v, format::duration_ms);
                            let cells = vec![w.workflow.clone(), w.runs.to_string(), w.succeeded.to_string(), ms(w.p50_ms), ms(w.p95_ms)];
                            text_row(cells, LastCell::Plain)
                        }).collect_any())).into_any())}
                    </tbody>
                </table>
            </Show>
            </div>
        </section>
    }
}
