//! The history tab. Until the IndexedDB store lands it lists the runs seen since the page was
//! opened (streamed, followed or rebuilt from ComfyUI's history), with a status filter.

use crate::state::use_live;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use telemetry_core::format;
use telemetry_core::run::RunStatus;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let live = use_live();
    let query = use_query_map();
    let status_filter = move || query.with(|q| q.get("status").and_then(|s| RunStatus::parse(&s)));
    let text_filter = move || query.with(|q| q.get("q").unwrap_or_default().to_lowercase());
    let rows = move || {
        let status = status_filter();
        let text = text_filter();
        live.runs.with(|runs| {
            runs.iter()
                .filter(|r| status.is_none_or(|s| r.status == s))
                .filter(|r| {
                    text.is_empty()
                        || r.prompt_id.to_lowercase().contains(&text)
                        || r.workflow
                            .as_deref()
                            .is_some_and(|w| w.to_lowercase().contains(&text))
                        || r.outputs
                            .iter()
                            .any(|o| o.filename.to_lowercase().contains(&text))
                })
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let count = move || rows().len();
    view! {
        <section class="card">
            <h2>"Runs this session"</h2>
            <p class="muted small">"Runs seen since this page was opened, newest first."</p>
            <p data-testid="history-count" data-count=move || count().to_string()>
                {move || format!("{} run(s)", count())}
            </p>
            <table class="runs" data-testid="history-list">
                <thead>
                    <tr><th>"Prompt"</th><th>"Status"</th><th>"Workflow"</th><th>"Duration"</th><th>"Nodes"</th><th>"Outputs"</th></tr>
                </thead>
                <tbody>
                    <For each=rows key=|r| (r.prompt_id.clone(), r.status, r.last_update_ms.to_bits()) let:run>
                        <tr data-testid="history-row" data-run-id=run.prompt_id.clone()
                            data-status=run.status.as_str() data-exit-reason="">
                            <td class="mono" title=run.prompt_id.clone()>{format::short_id(&run.prompt_id).to_owned()}</td>
                            <td><span class="status-badge" data-status=run.status.as_str()>{run.status.as_str()}</span></td>
                            <td>{run.workflow.clone().unwrap_or_else(|| "unknown".into())}</td>
                            <td>{run.duration_ms(run.last_update_ms).map(format::duration_ms).unwrap_or_else(|| "unknown".into())}</td>
                            <td>{format!("{}/{}", run.nodes_done(), run.node_total.map(|t| t.to_string()).unwrap_or_else(|| "?".into()))}</td>
                            <td>{run.outputs.len()}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </section>
    }
}
