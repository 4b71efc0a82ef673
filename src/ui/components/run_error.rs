use crate::state::Live;
use crate::ui::text::part;
use leptos::prelude::*;
use telemetry_core::run::Run;

/// A failed run's error: node, type, exception and the traceback, collapsed. Server text is
/// rendered as text.
#[component]
pub fn RunError(run: Live<Option<Run>>) -> impl IntoView {
    let error = move || run.with(|r| r.as_ref().and_then(|r| r.error.clone()));
    view! {
        {part(move || error().map(|e| {
            let traceback = e.traceback.join("");
            let has_traceback = !traceback.is_empty();
            view! {
                <div class="run-error" data-testid="run-error"
                    data-node-id=e.node_id.clone().unwrap_or_default()
                    data-node-type=e.node_type.clone().unwrap_or_default()>
                    <strong>
                        {format!("{} in node {} ({})",
                            e.exception_type.clone().unwrap_or_else(|| "Error".into()),
                            e.node_id.clone().unwrap_or_else(|| "?".into()),
                            e.node_type.clone().unwrap_or_else(|| "unknown type".into()))}
                    </strong>
                    <p class="mono">{e.exception_message.clone().unwrap_or_default()}</p>
                    {has_traceback.then(|| view! {
                        <details>
                            <summary>"Traceback"</summary>
                            <pre>{traceback}</pre>
                        </details>
                    })}
                </div>
            }
        }).into_any())}
    }
}
