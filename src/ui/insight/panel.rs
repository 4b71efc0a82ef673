//! The recommendations panel on the history tab: the findings over the runs in the history
//! filter, collapsible (a `<details>`, so keyboard and screen readers get it for free), with a
//! link to the printable report of the same filter.

use super::{finding_item, InsightStyle};
use crate::browser::base_path::app_href;
use crate::browser::clock::now_ms;
use crate::state::use_store;
use crate::ui::history::use_history_query;
use crate::ui::load::Load;
use crate::ui::text::{part, text, CollectAny};
use leptos::prelude::*;
use telemetry_core::history::StoredRun;
use telemetry_core::insight::{recommend, Finding, InsightScope};

/// The findings of a history filter: from the aggregates, or, for a free-text filter (which
/// the aggregates cannot answer), from the matching runs themselves.
pub async fn findings_for(
    runs: &crate::store::RunStore,
    query: &telemetry_core::history::HistoryQuery,
) -> Result<Vec<Finding>, String> {
    let now = now_ms();
    match InsightScope::from_query(query) {
        Some(scope) => runs
            .with_insight(|a| a.findings_in(&scope, now))
            .await
            .map_err(|e| e.to_string()),
        None => {
            let mut matching: Vec<StoredRun> = Vec::new();
            let mut visit = |r: &StoredRun| matching.push(r.clone());
            // Through `dyn`: one copy of the store walk for every caller (bytes, issue #22).
            runs.for_each_matching(query, &mut visit as &mut dyn FnMut(&StoredRun))
                .await
                .map_err(|e| e.to_string())?;
            Ok(recommend(&matching, now))
        }
    }
}

#[component]
pub fn InsightPanel() -> impl IntoView {
    let store = use_store();
    let query = use_history_query();
    let found = Load::new(move || {
        let q = query.get();
        store.revision.track();
        let runs = store.get();
        async move {
            match runs {
                Some(runs) => findings_for(&runs, &q).await,
                None => Err("the run store is unavailable".to_owned()),
            }
        }
    });
    let count = move || found.with(|f| f.and_then(|f| f.as_ref().ok()).map(Vec::len));
    let report = move || {
        let q = query.with(|q| q.to_query_string());
        app_href(&if q.is_empty() {
            "/report".to_owned()
        } else {
            format!("/report?{q}")
        })
    };
    view! {
        <section class="card span-2" data-testid="recommendations"
            data-count=text(move || count().map(|n| n.to_string()).unwrap_or_default())>
            <InsightStyle/>
            <details open>
                <summary><h2 class="inline">{text(move || match count() {
                    Some(n) => format!("Recommendations ({n})"),
                    None => "Recommendations".to_owned(),
                })}</h2></summary>
                <p class="small"><a href=report>"Printable report of these runs"</a></p>
                {part(move || found.with(|f| match f {
                    None => view! { <p class="muted">"Looking for patterns…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="muted">{format!("Recommendations are unavailable: {e}.")}</p> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! {
                        <p class="muted">"Nothing stands out in these runs: no rule found a clear pattern (each needs enough runs to be sure)."</p>
                    }.into_any(),
                    Some(Ok(list)) => view! {
                        <ul class="findings">{list.iter().map(finding_item).collect_any()}</ul>
                    }.into_any(),
                }))}
            </details>
        </section>
    }
}
