//! The findings that concern one run, on its page: those with the run in their evidence, or
//! about its workflow, server or device.

use super::{FindingItem, InsightStyle};
use crate::browser::clock::now_ms;
use crate::state::use_store;
use crate::ui::load::Load;
use leptos::prelude::*;
use telemetry_core::history::StoredRun;

#[component]
pub fn RunFindings(#[prop(into)] record: Signal<Option<StoredRun>>) -> impl IntoView {
    let store = use_store();
    let found = Load::new(move || {
        let run = record.get();
        let runs = store.get();
        async move {
            let (run, runs) = (run?, runs?);
            let now = now_ms();
            runs.with_insight(|a| {
                a.findings(now)
                    .into_iter()
                    .filter(|f| f.concerns(&run))
                    .collect::<Vec<_>>()
            })
            .await
            .ok()
        }
    });
    let list = move || found.get().and_then(|f| (*f).clone()).unwrap_or_default();
    view! {
        <Show when=move || !list().is_empty()>
            <section class="card span-2" data-testid="recommendations" data-count=move || list().len().to_string()>
                <InsightStyle/>
                <h2>"Recommendations about this run"</h2>
                <ul class="findings">{move || list().into_iter().map(|f| view! { <FindingItem finding=f/> }).collect_view()}</ul>
            </section>
        </Show>
    }
}
