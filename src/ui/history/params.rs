//! A run's parameters (checkpoint, sampler, steps, seed, versions...) as the server's run log
//! recorded them: listed on the run page, and on Compare exactly the ones that differ.

use crate::state::Computed;
use crate::ui::text::{part, text, CollectAny};
use leptos::prelude::*;
use telemetry_core::format;
use telemetry_core::history::record::Params;
use telemetry_core::history::server_log::{param_diff, param_rows};
use telemetry_core::history::StoredRun;

/// The run page's parameters (`run-params`).
#[component]
pub fn RunParams(params: Computed<Option<Params>>) -> impl IntoView {
    view! {
        <section class="card span-2" data-testid="run-params">
            <h2>"Parameters"</h2>
            {part(move || match params.get() {
                Some(p) => view! {
                    <dl class="params">
                        {param_rows(&p).into_iter().map(|(k, v)| {
                            let (name, value) = (k.clone(), v.clone());
                            view! {
                                <div data-testid="run-param" data-param=name data-value=value>
                                    <dt>{k}</dt><dd class="mono">{v}</dd>
                                </div>
                            }
                        }).collect_any()}
                    </dl>
                }.into_any(),
                None => view! {
                    <p class="muted small">"Not recorded: parameters come from the server's run log (the extension), and this run is not in one."</p>
                }.into_any(),
            })}
        </section>
    }
}

/// What differs between the compared runs' parameters (`compare-diff`), one `data-value-N`
/// (N from 1) per run, empty when that run does not record it.
#[component]
pub fn CompareDiff(records: Computed<Vec<StoredRun>>) -> impl IntoView {
    let diff = move || records.with(|r| param_diff(&r.iter().collect::<Vec<_>>()));
    view! {
        <div data-testid="compare-diff" data-count=text(move || diff().len().to_string())>
            <h2>"Parameters that differ"</h2>
            {part(move || {
                let rows = diff();
                if rows.is_empty() {
                    return view! { <p class="muted small">"None recorded differ (parameters come from the server's run log)."</p> }.into_any();
                }
                view! {
                    <table class="runs compare">
                        <thead><tr><th>"Parameter"</th>
                            {records.with(|r| r.iter().map(|r| view! { <th class="mono">{format::short_id(&r.run.prompt_id).to_owned()}</th> }).collect_any())}
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|d| {
                                let v = |i: usize| d.values.get(i).cloned();
                                let (a, b, c, e, name) = (v(0), v(1), v(2), v(3), d.param.clone());
                                view! {
                                    <tr class="differs" data-testid="compare-diff-row" data-param=name
                                        data-value-1=a data-value-2=b data-value-3=c data-value-4=e>
                                        <th scope="row">{d.param.clone()}</th>
                                        {d.values.iter().map(|v| view! { <td class="mono">{if v.is_empty() { "unknown".to_owned() } else { v.clone() }}</td> }).collect_any()}
                                    </tr>
                                }
                            }).collect_any()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </div>
    }
}
