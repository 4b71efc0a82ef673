use crate::browser::base_path::app_href;
use crate::browser::location::use_location;
use crate::state::{use_live, use_store, Computed};
use crate::ui::components::Rows;
use crate::ui::components::Show;
use crate::ui::load::Load;
use crate::ui::text::{part, text, CollectAny};
use leptos::prelude::*;
use telemetry_core::format;
use telemetry_core::history::compare::{aligned_nodes, compare, timeline};
use telemetry_core::history::StoredRun;
use telemetry_core::run::Run;

/// Two to four runs side by side: every field, differences highlighted, timelines aligned.
#[component]
pub fn ComparePage() -> impl IntoView {
    let location = use_location();
    let live = use_live();
    let store = use_store();
    let ids = Memo::new(move |_| {
        location
            .query_value("runs")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .take(4)
            .collect::<Vec<_>>()
    });
    // Answers carry the ids they are for, so a slower read of an earlier pick is never shown.
    let found = Load::new(move || {
        let ids = ids.get();
        // Opened by URL, the page renders before the store has opened: read again once it has.
        store.status.track();
        let in_memory = live.runs.get_untracked();
        let db = store.get();
        async move {
            let mut found = Vec::new();
            for id in &ids {
                let stored = match &db {
                    Some(db) => db.find_prompt(id).await.ok().flatten(),
                    None => None,
                };
                found.extend(stored.or_else(|| {
                    in_memory
                        .iter()
                        .find(|r| r.prompt_id == *id)
                        .map(StoredRun::from_run)
                }));
            }
            (ids, found)
        }
    });
    let records = Computed::new(move || {
        let ids = ids.get();
        found.with(|f| match f {
            Some((of, runs)) if *of == ids => runs.clone(),
            _ => Vec::<StoredRun>::new(),
        })
    });
    let runs = Computed::new(move || {
        records.with(|r| r.iter().map(|r| r.run.clone()).collect::<Vec<_>>())
    });
    let rows = move || runs.with(|r| compare(&r.iter().collect::<Vec<_>>()));
    view! {
        <section class="card" data-testid="compare-view" data-runs=text(move || ids.get().join(","))>
            <p class="small"><a href=app_href("/history")>"← All runs"</a></p>
            <h1 class="page-title">"Compare runs"</h1>
            <Show when=move || runs.with(|r| r.len() >= 2) fallback=move || view! {
                <p class="muted">{text(move || if ids.with(Vec::len) < 2 { "Pick two to four runs on the history tab to compare them." } else { "Loading the runs…" }.into())}</p>
            }>
                <super::params::CompareDiff records=records/>
                <h2>"Every field"</h2>
                <div class="table-scroll">
                <table class="runs compare">
                    <thead><tr><th>"Field"</th>
                        {part(move || runs.get().into_iter().map(|r| view! {
                            <th class="mono"><a href=app_href(&format!("/history/{}", telemetry_core::endpoint::encode(&r.prompt_id)))>{format::short_id(&r.prompt_id).to_owned()}</a></th>
                        }).collect_any().into_any())}
                    </tr></thead>
                    <tbody>
                        <Rows each=rows key=|r| (r.field, r.values.clone()) let:row>
                            <tr class:differs=row.differs data-field=row.field data-differs=row.differs.to_string()>
                                <th scope="row">{row.label}</th>
                                {row.values.iter().map(|v| view! { <td>{v.clone()}</td> }).collect_any()}
                            </tr>
                        </Rows>
                    </tbody>
                </table>
                </div>
                <h2>"Node timelines"</h2>
                {part(move || {
                    let list = runs.get();
                    let refs: Vec<&Run> = list.iter().collect();
                    let nodes = aligned_nodes(&refs);
                    let bars: Vec<_> = list.iter().map(timeline).collect();
                    let span = bars.iter().flatten().filter_map(|b| Some(b.start_ms? + b.duration_ms.unwrap_or(0.0))).fold(1.0_f64, f64::max);
                    view! {
                        <table class="runs timelines">
                            <thead><tr><th>"Node"</th>
                                {list.iter().map(|r| view! { <th class="mono">{format::short_id(&r.prompt_id).to_owned()}</th> }).collect_any()}
                            </tr></thead>
                            <tbody>
                                {nodes.into_iter().map(|id| view! {
                                    <tr>
                                        <th scope="row" class="mono">{id.clone()}</th>
                                        {bars.iter().map(|run_bars| {
                                            let bar = run_bars.iter().find(|b| b.node_id == id).cloned();
                                            view! { <td class="timeline-track">{bar.map(|b| {
                                                let left = b.start_ms.map(|s| s / span * 100.0).unwrap_or(0.0);
                                                let width = b.duration_ms.map(|d| (d / span * 100.0).max(0.8)).unwrap_or(0.8);
                                                view! { <span class="node-bar" data-cached=b.cached.to_string() data-status=b.status.as_str()
                                                    style:left=telemetry_core::format::fixed(left, 2) + "%" style:width=telemetry_core::format::fixed(width, 2) + "%"
                                                    title=b.duration_ms.map(format::duration_ms).unwrap_or_else(|| if b.cached { "cached".into() } else { "no timing".into() })></span> }
                                            })}</td> }
                                        }).collect_any()}
                                    </tr>
                                }).collect_any()}
                            </tbody>
                        </table>
                    }
                    .into_any()
                })}
            </Show>
        </section>
    }
}
