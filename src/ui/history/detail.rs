use crate::browser::base_path::app_href;
use crate::state::{use_live, use_store};
use crate::ui::components::{
    ArtifactViewer, FallbackWarningsCard, NodeTimeline, QueuePolicyCard, RunChart, RunError,
    TelemetryBadges,
};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use telemetry_core::format;
use telemetry_core::history::query::format_iso;
use telemetry_core::history::series::RunSeries;
use telemetry_core::run::Run;

/// One run, live or stored: its telemetry, policy, warnings, outputs, error and node timeline.
/// Everything comes from the store (or memory), so the page needs no server.
#[component]
pub fn RunDetailPage() -> impl IntoView {
    let params = use_params_map();
    let live = use_live();
    let store = use_store();
    let run_id = Memo::new(move |_| params.with(|p| p.get("run_id").unwrap_or_default()));
    let stored = RwSignal::new(None::<Run>);
    let stored_series = RwSignal::new(None::<RunSeries>);
    let state = RwSignal::new("loading");
    Effect::new(move |_| {
        let id = run_id.get();
        store.revision.track();
        let Some(runs) = store.get() else {
            state.set(
                if store
                    .status
                    .with(|s| matches!(s, crate::state::StoreStatus::Opening))
                {
                    "loading"
                } else {
                    "unavailable"
                },
            );
            return;
        };
        leptos::task::spawn_local(async move {
            match runs.find_prompt(&id).await {
                Ok(found) => {
                    state.set(if found.is_some() { "found" } else { "missing" });
                    stored_series.set(found.as_ref().and_then(|r| r.series.clone()));
                    stored.set(found.map(|r| r.run));
                }
                Err(_) => state.set("unavailable"),
            }
        });
    });
    // A run still in memory is shown live, with what the stored record knew merged in (after a
    // reload the live one may be a poorer replay: no workflow, replayed node timings).
    let run = Signal::derive(move || {
        let id = run_id.get();
        let earlier = stored.get();
        match live
            .runs
            .with(|runs| runs.iter().find(|r| r.prompt_id == id).cloned())
        {
            Some(mut now) => {
                if let Some(earlier) = &earlier {
                    now.merge(earlier);
                }
                Some(now)
            }
            None => earlier,
        }
    });
    // The live series while the run is the one being watched, else the one stored with it.
    let series = Signal::derive(move || {
        let id = run_id.get();
        live.series
            .with(|s| s.as_ref().filter(|s| s.prompt_id == id).cloned())
            .or_else(|| stored_series.get())
    });
    view! {
        <h1 class="page-title">{move || format!("Run {}", format::short_id(&run_id.get()))}</h1>
        <div class="live-grid" data-testid="run-detail" data-run-id=move || run_id.get()>
            <section class="card span-2">
                <p class="small"><A href=app_href("/history")>"← All runs"</A></p>
                {move || match run.get() {
                    Some(r) => view! {
                        <div class="run-header">
                            <span class="status-badge" data-status=r.status.as_str()>{r.status.as_str()}</span>
                            <h2 class="run-title mono">{r.prompt_id.clone()}</h2>
                        </div>
                        <p class="muted small">{format!("{} · {} · server {}{}",
                            r.workflow.clone().unwrap_or_else(|| "unknown workflow".into()),
                            r.server_started_ms.map(|s| s as f64).or(r.started_at_ms).map(format_iso).unwrap_or_else(|| "start unknown".into()),
                            r.server,
                            r.number.map(|n| format!(" · #{n}")).unwrap_or_default())}</p>
                        <p class="small">{format!("{} of {} nodes done, {} cached, {} output(s)", r.nodes_done(),
                            r.node_total.map(|t| t.to_string()).unwrap_or_else(|| "?".into()), r.nodes_cached(), r.outputs.len())}
                            <A href=app_href(&format!("/compare?runs={}", telemetry_core::endpoint::encode(&r.prompt_id)))>" · compare…"</A></p>
                    }.into_any(),
                    None => view! {
                        <h2>{move || format!("Run {}", format::short_id(&run_id.get()))}</h2>
                        <p class="muted">{move || match state.get() {
                            "loading" => "Loading…",
                            "unavailable" => "The run store is unavailable in this browser.",
                            _ => "This run is not stored in this browser.",
                        }}</p>
                    }.into_any(),
                }}
                <RunError run=run/>
            </section>
            <RunChart series=series/>
            <div class="span-2"><TelemetryBadges run=run/></div>
            <QueuePolicyCard run=run/>
            <FallbackWarningsCard run=run/>
            <NodeTimeline run=run/>
            <ArtifactViewer run=run/>
        </div>
    }
}
