use super::Rows;
use super::Show;
use crate::state::use_live;
use crate::state::use_ticking_now;
use crate::state::Live;
use crate::ui::text::{flag, text};
use leptos::prelude::*;
use telemetry_core::badges::badges;
use telemetry_core::eta::eta;
use telemetry_core::format;
use telemetry_core::run::Run;

/// Every telemetry field of a run as a badge; unknown values say "unknown", never a number.
#[component]
pub fn TelemetryBadges(run: Live<Option<Run>>, #[prop(optional)] streaming: bool) -> impl IntoView {
    let live = use_live();
    let now = use_ticking_now();
    let items = move || {
        let now = now.get();
        run.with(|r| {
            r.as_ref().map(|r| {
                // The median of earlier runs of its workflow on this server, this session's
                // and the stored ones, as the drain estimate has it.
                let mut past: Vec<f64> = live.drain.with(|d| {
                    (d.medians.iter())
                        .filter(|(w, _)| r.workflow.as_ref() == Some(w))
                        .map(|m| m.1)
                        .collect()
                });
                badges(r, now, eta(r, now, &mut past))
            })
        })
        .unwrap_or_default()
    };
    let updated = text(move || {
        live.last_update_ms
            .get()
            .map(|t| format!("updated {}", format::age_ms(now.get() - t)))
            .unwrap_or_default()
    });
    view! {
        <section class="card" data-testid="telemetry-badges">
            <div class="card-head">
                <h2>"Telemetry"</h2>
                {streaming.then(|| view! {
                    <span class="streaming" class:stale=flag(move || live.last_update_ms.get().is_none_or(|t| now.get() - t > 10_000.0))>
                        <span class="pulse" aria-hidden="true"></span>
                        "streaming " {updated}
                    </span>
                })}
            </div>
            <Show when=move || run.with(Option::is_some) fallback=|| view! { <p class="muted">"No run to show."</p> }>
                <dl class="badges">
                    <Rows each=items key=|b| (b.field, b.display.clone(), b.tone) let:b>
                        <div class="badge" data-testid="telemetry-badge" data-field=b.field
                            data-value=b.value.clone().unwrap_or_default() data-tone=b.tone>
                            <dt>{b.label}</dt>
                            <dd class:unknown=b.value.is_none()>{b.display.clone()}</dd>
                        </div>
                    </Rows>
                </dl>
            </Show>
        </section>
    }
}
