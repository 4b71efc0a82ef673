//! The findings that concern one run, on its page: those with the run in their evidence, or
//! about its workflow, server or device.

use super::{finding_item, InsightStyle};
use crate::browser::clock::now_ms;
use crate::state::{use_store, Computed};
use crate::ui::components::Show;
use crate::ui::load::Load;
use crate::ui::text::{part, text, CollectAny};
use leptos::prelude::*;
use telemetry_core::history::StoredRun;

#[component]
pub fn RunFindings(#[prop(into)] record: Computed<Option<StoredRun>>) -> impl IntoView {
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
    // Read in place: the findings are never cloned out of the answer.
    let count = move || found.with(|f| f.and_then(Option::as_ref).map_or(0, Vec::len));
    let items = move || {
        found.with(|f| {
            f.and_then(Option::as_ref)
                .map(|list| list.iter().map(finding_item).collect_any())
                .into_any()
        })
    };
    view! {
        <Show when=move || count() != 0>
            <section class="card span-2" data-testid="recommendations" data-count=text(move || count().to_string())>
                <InsightStyle/>
                <h2>"Recommendations about this run"</h2>
                <ul class="findings">{part(items)}</ul>
            </section>
        </Show>
    }
}
