//! `/fleet`: every server a person added in Settings, one card each, side by side. Each card
//! runs its own stream (one manager and one backoff per server), so one server going away
//! changes only its card; runs are stored under their server, and the history tab filters by it.

mod card;

use crate::browser::base_path::app_href;
use crate::state::FleetSetting;
use card::FleetCard;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn FleetPage() -> impl IntoView {
    let fleet = expect_context::<FleetSetting>();
    view! {
        <h1 class="page-title">"Fleet"</h1>
        <Show when=move || fleet.0.with(|l| !l.is_empty())
            fallback=|| view! {
                <section class="card narrow">
                    <p>"No servers in the fleet yet."</p>
                    <p class="muted">"Add each ComfyUI by name and address in "<A href=app_href("/settings")>"Settings"</A>"."</p>
                </section>
            }>
            <div class="live-grid">
                <For each=move || fleet.0.get() key=|s| s.address.clone() let:server>
                    <FleetCard server=server/>
                </For>
            </div>
        </Show>
    }
}
