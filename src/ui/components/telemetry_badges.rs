use crate::state::use_ticking_now;
use crate::state::{use_live, use_store};
use crate::ui::load::Load;
use leptos::prelude::*;
use telemetry_core::badges::badges;
use telemetry_core::eta::{eta, past_durations};
use telemetry_core::format;
use telemetry_core::history::HistoryQuery;
use telemetry_core::run::Run;
use telemetry_core::run::RunStatus;

/// Every telemetry field of a run as a badge; unknown values say "unknown", never a number.
#[component]
pub fn TelemetryBadges(
    #[prop(into)] run: Signal<Option<Run>>,
    #[prop(optional)] streaming: bool,
) -> impl IntoView {
    let live = use_live();
    let now = use_ticking_now();
    let stored = use_stored_durations(run);
    let items = move || {
        let now = now.get();
        run.with(|r| {
            r.as_ref().map(|r| {
                let mut past = live.runs.with(|runs| past_durations(r, runs.iter()));
                let session: Vec<String> = live
                    .runs
                    .with(|runs| runs.iter().map(|x| x.prompt_id.clone()).collect());
                // Stored runs not already counted from this session.
                stored.with(|s| {
                    past.extend(
                        s.into_iter()
                            .flatten()
                            .filter(|(id, _)| !session.contains(id))
                            .map(|(_, d)| *d),
                    )
                });
                badges(r, now, eta(r, now, &mut past))
            })
        })
        .unwrap_or_default()
    };
    let updated = move || {
        live.last_update_ms
            .get()
            .map(|t| format!("updated {}", format::age_ms(now.get() - t)))
    };
    view! {
        <section class="card" data-testid="telemetry-badges">
            <div class="card-head">
                <h2>"Telemetry"</h2>
                {streaming.then(|| view! {
                    <span class="streaming" class:stale=move || live.last_update_ms.get().is_none_or(|t| now.get() - t > 10_000.0)>
                        <span class="pulse" aria-hidden="true"></span>
                        "streaming " {updated}
                    </span>
                })}
            </div>
            <Show when=move || run.with(Option::is_some) fallback=|| view! { <p class="muted">"No run to show."</p> }>
                <dl class="badges">
                    <For each=items key=|b| (b.field, b.display.clone(), b.tone) let:b>
                        <div class="badge" data-testid="telemetry-badge" data-field=b.field
                            data-value=b.value.clone().unwrap_or_default() data-tone=b.tone>
                            <dt>{b.label}</dt>
                            <dd class:unknown=b.value.is_none()>{b.display.clone()}</dd>
                        </div>
                    </For>
                </dl>
            </Show>
        </section>
    }
}

/// Durations of stored succeeded runs of the running run's workflow, read once per workflow,
/// so the ETA can use the median of past runs across sessions.
fn use_stored_durations(run: Signal<Option<Run>>) -> Load<Vec<(String, f64)>> {
    let store = use_store();
    let workflow = Memo::new(move |_| {
        run.with(|r| {
            r.as_ref()
                .filter(|r| r.status == RunStatus::Running)
                .and_then(|r| r.workflow.clone())
        })
    });
    let durations = Load::new(move || {
        let w = workflow.get();
        store.status.track();
        let db = store.get();
        async move {
            let mut found = Vec::new();
            let (Some(w), Some(db)) = (w, db) else {
                return found;
            };
            let q = HistoryQuery {
                workflow: Some(w),
                status: Some(RunStatus::Succeeded),
                ..HistoryQuery::default()
            };
            let _ = db
                .for_each_matching(&q, |r| {
                    if r.duration_ms >= 0.0 && found.len() < 10_000 {
                        found.push((r.prompt_id.clone(), r.duration_ms));
                    }
                })
                .await;
            found
        }
    });
    durations
}
