//! `/fleet`: every server a person added in Settings, one card each, side by side. Each card
//! runs its own stream (one manager and one backoff per server), so one server going away
//! changes only its card; runs are stored under their server, and the history tab filters by it.

mod card;

use crate::browser::base_path::app_href;
use crate::state::FleetSetting;
use card::FleetCard;
use leptos::prelude::*;
use leptos_router::components::A;
use std::collections::BTreeMap;
use telemetry_core::drain::DrainEstimate;
use telemetry_core::fleet::fleet_drain;
use telemetry_core::format::duration_ms;

/// Each connected server's drain estimate, by address, for the fleet's total.
#[derive(Clone, Copy)]
pub struct FleetDrains(pub RwSignal<BTreeMap<String, DrainEstimate>>);

#[component]
pub fn FleetPage() -> impl IntoView {
    let fleet = expect_context::<FleetSetting>();
    let drains = FleetDrains(RwSignal::new(BTreeMap::new()));
    provide_context(drains);
    // Servers work in parallel: the fleet is drained when its slowest server is.
    let total = move || {
        drains.0.with(|d| match fleet_drain(d.values()) {
            Some(ms) => format!("The whole fleet drains in about {}.", duration_ms(ms)),
            None if d.values().all(|e| e.starts_ms.is_empty()) => {
                "Nothing pending on the fleet.".to_owned()
            }
            None => {
                "Fleet drain time unknown: a server has prompts of workflows it has not run before."
                    .to_owned()
            }
        })
    };
    view! {
        <h1 class="page-title">"Fleet"</h1>
        <Show when=move || fleet.0.with(|l| !l.is_empty())
            fallback=|| view! {
                <section class="card narrow">
                    <p>"No servers in the fleet yet."</p>
                    <p class="muted">"Add each ComfyUI by name and address in "<A href=app_href("/settings")>"Settings"</A>"."</p>
                </section>
            }>
            <p data-testid="fleet-eta">{total}</p>
            <div class="live-grid">
                <For each=move || fleet.0.get() key=|s| s.address.clone() let:server>
                    <FleetCard server=server/>
                </For>
            </div>
        </Show>
    }
}
