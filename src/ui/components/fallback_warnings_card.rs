use super::Rows;
use super::Show;
use crate::state::use_live;
use crate::state::Live;
use crate::ui::text::text;
use leptos::prelude::*;
use telemetry_core::run::Run;
use telemetry_core::warnings::{refusal_warning, warnings_for, WarningContext};

/// Every degraded path behind the numbers of a run, or a plain statement that it is clean.
#[component]
pub fn FallbackWarningsCard(
    run: Live<Option<Run>>,
    #[prop(optional)] live_session: bool,
) -> impl IntoView {
    let live = use_live();
    let list = move || {
        let ctx = if live_session {
            let (endpoint, telemetry_missing) =
                live.connection.with(|c| (c.endpoint, c.telemetry_missing));
            WarningContext {
                endpoint,
                telemetry_missing,
                system_stats_failed: live.gpu.with(|g| g.stats_failed),
                malformed_frames: live.counters.with(|c| c.malformed),
                dropped_messages: live.counters.with(|c| c.dropped),
            }
        } else {
            WarningContext::default()
        };
        let mut list = run.with(|r| {
            r.as_ref()
                .map(|r| warnings_for(r, &ctx))
                .unwrap_or_default()
        });
        if live_session {
            if let Some(refusal) = live.connection.with(|c| c.refused.clone()) {
                list.insert(0, refusal_warning(&refusal));
            }
        }
        list
    };
    let count = move || list().len();
    view! {
        <section class="card" data-testid="fallback-warnings-card" data-count=text(move || count().to_string())>
            <h2>"Fallback warnings"</h2>
            <Show when=move || { count() > 0 } fallback=move || view! {
                <p class="clean">{text(move || if run.with(Option::is_some) { "Clean run: no fallback was needed." } else { "No run to check." }.to_owned())}</p>
            }>
                <ul class="warnings">
                    <Rows each=list key=|w| (w.code, w.detail.clone()) let:w>
                        <li class="warning" data-testid="fallback-warning" data-code=w.code data-severity=w.severity.as_str()>
                            <span class="sev" data-severity=w.severity.as_str()>{w.severity.as_str()}</span>
                            <div>
                                <strong>{w.title}</strong>
                                <p class="small">{w.detail.clone()}</p>
                            </div>
                        </li>
                    </Rows>
                </ul>
            </Show>
        </section>
    }
}
