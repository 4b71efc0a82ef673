use super::run_download::RunDownload;
use crate::browser::base_path::app_href;
use crate::browser::location::{decode_segment, use_location};
use crate::state::{use_live, use_store, Computed, Live, StoreStatus};
use crate::ui::components::{
    ArtifactViewer, FallbackWarningsCard, LocalTime, NodeTimeline, QueuePolicyCard, RunChart,
    RunError, TelemetryBadges,
};
use crate::ui::effect::effect;
use crate::ui::insight::RunFindings;
use crate::ui::load::Load;
use crate::ui::text::{part, text};
use leptos::prelude::*;
use telemetry_core::format;

/// One run, live or stored: its telemetry, policy, warnings, outputs, error and node timeline.
/// Everything comes from the store (or memory), so the page needs no server.
#[component]
pub fn RunDetailPage() -> impl IntoView {
    let location = use_location();
    let live = use_live();
    let store = use_store();
    let run_id = Memo::new(move |_| {
        location.path.with(|p| {
            p.strip_prefix("/history/")
                .map(decode_segment)
                .unwrap_or_default()
        })
    });
    // Answers carry the id they are for: while another run's record loads, the previous run's
    // record is not shown under the new id.
    let stored = Load::new(move || {
        let id = run_id.get();
        store.revision.track();
        let opening = store.status.with(|s| matches!(s, StoreStatus::Opening));
        let runs = store.get();
        let (server, writer) = (live.server.get_untracked(), store.writer.get_value());
        async move {
            let found = match runs {
                Some(runs) => {
                    let mut found = runs.find_prompt(&id).await;
                    // Not stored here (a link from another browser): the server's run log may
                    // have it.
                    if let (Ok(None), Some(server), Some(writer)) = (&found, server, writer) {
                        if super::server_log::read_one(&server, &writer, &id).await {
                            found = runs.find_prompt(&id).await;
                        }
                    }
                    found.map_err(|_| "unavailable")
                }
                None => Err(if opening { "loading" } else { "unavailable" }),
            };
            (id, found)
        }
    });
    let record = move || {
        let id = run_id.get();
        stored.with(|s| match s {
            Some((of, Ok(Some(r)))) if *of == id => Some(r.clone()),
            _ => None,
        })
    };
    let state = move || {
        let id = run_id.get();
        stored.with(|s| match s {
            Some((of, found)) if *of == id => match found {
                Ok(Some(_)) => "found",
                Ok(None) => "missing",
                Err(e) => e,
            },
            _ => "loading",
        })
    };
    // A run still in memory is shown live, with what the stored record knew merged in (after a
    // reload the live one may be a poorer replay: no workflow, replayed node timings).
    // The cards take the live page's value type (`Live`, issue #22: one type's reactive code,
    // not a `Signal` per value type): the merge is made once per change and written to it, not
    // once per read.
    let run = Live::new(None::<telemetry_core::run::Run>);
    effect(move || {
        let id = run_id.get();
        let earlier = record().map(|r| r.run);
        let now = match live
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
        };
        if run.with_untracked(|r| *r != now) {
            run.set(now);
        }
    });
    // The live series while the run is the one being watched, else the one stored with it.
    let series = Live::new(None);
    effect(move || {
        let id = run_id.get();
        let now = live
            .series
            .with(|s| s.as_ref().filter(|s| s.prompt_id == id).cloned())
            .or_else(|| record().and_then(|r| r.series));
        if series.with_untracked(|s| *s != now) {
            series.set(now);
        }
    });
    let params = Computed::new(move || record().and_then(|r| r.params));
    view! {
        <h1 class="page-title">{text(move || format!("Run {}", format::short_id(&run_id.get())))}</h1>
        <div class="live-grid" data-testid="run-detail" data-run-id=text(move || run_id.get())>
            <section class="card span-2">
                <p class="small"><a href=app_href("/history")>"← All runs"</a></p>
                {part(move || match run.get() {
                    Some(r) => view! {
                        <div class="run-header">
                            <span class="status-badge" data-status=r.status.as_str()>{r.status.as_str()}</span>
                            <h2 class="run-title mono">{r.prompt_id.clone()}</h2>
                        </div>
                        <p class="muted small">{format!("{} · ", r.workflow.clone().unwrap_or_else(|| "unknown workflow".into()))}
                            {match r.server_started_ms.map(|s| s as f64).or(r.started_at_ms) {
                                Some(ms) => view! { <LocalTime ms=ms/> }.into_any(),
                                None => "start unknown".into_any(),
                            }}
                            {format!(" · server {}{}", r.server, r.number.map(|n| format!(" · #{n}")).unwrap_or_default())}</p>
                        <p class="small">{format!("{} of {} nodes done, {} cached, {} output(s)", r.nodes_done(),
                            r.node_total.map(|t| t.to_string()).unwrap_or_else(|| "?".into()), r.nodes_cached(), r.outputs.len())}
                            <a href=app_href(&format!("/compare?runs={}", telemetry_core::endpoint::encode(&r.prompt_id)))>" · compare…"</a></p>
                        <p class="row"><RunDownload prompt_id=r.prompt_id.clone() server=r.server.clone()/></p>
                    }.into_any(),
                    None => view! {
                        <h2>{text(move || format!("Run {}", format::short_id(&run_id.get())))}</h2>
                        <p class="muted">{text(move || match state() {
                            "loading" => "Loading…",
                            "unavailable" => "The run store is unavailable in this browser.",
                            _ => "This run is not stored in this browser.",
                        }.into())}</p>
                    }.into_any(),
                })}
                <RunError run=run/>
            </section>
            <super::params::RunParams params=params/>
            <RunChart series=series/>
            <div class="span-2"><TelemetryBadges run=run/></div>
            <QueuePolicyCard run=run/>
            <FallbackWarningsCard run=run/>
            <NodeTimeline run=run/>
            <ArtifactViewer run=run/>
            <RunFindings record=Computed::new(record)/>
        </div>
    }
}
