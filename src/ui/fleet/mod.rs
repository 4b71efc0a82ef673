//! `/fleet`: every server a person added in Settings, one card each, side by side. Each card
//! runs its own stream (one manager and one backoff per server), so one server going away
//! changes only its card; runs are stored under their server, and the history tab filters by it.

mod card;

use crate::browser::base_path::app_href;
use crate::state::{FleetSetting, Live};
use crate::ui::components::Rows;
use crate::ui::components::Show;
use crate::ui::text::text;
use card::FleetCard;
use leptos::prelude::*;
use telemetry_core::drain::DrainEstimate;
use telemetry_core::fleet::fleet_text;

/// Each connected server's drain estimate, by address, for the fleet's total (a list: a fleet is
/// a few servers, and a `BTreeMap`'s insert and remove were ~4.5 kB of the page's wasm).
#[derive(Clone, Copy)]
pub struct FleetDrains(pub Live<Vec<(String, DrainEstimate)>>);

#[component]
pub fn FleetPage() -> impl IntoView {
    let fleet = FleetSetting::loaded();
    let drains = FleetDrains(Live::new(Vec::new()));
    provide_context(drains);
    // Servers work in parallel: the fleet is drained when its slowest connected server is.
    let total = move || {
        let configured = fleet.0.with(Vec::len);
        drains
            .0
            .with(|d| fleet_text(&d.iter().map(|(_, e)| e).collect::<Vec<_>>(), configured))
    };
    view! {
        <h1 class="page-title">"Fleet"</h1>
        <Show when=move || fleet.0.with(|l| !l.is_empty())
            fallback=|| view! {
                <section class="card narrow">
                    <p>"No servers in the fleet yet."</p>
                    <p class="muted">"Add each ComfyUI by name and address in "<a href=app_href("/settings")>"Settings"</a>"."</p>
                </section>
            }>
            <p data-testid="fleet-eta">{text(total)}</p>
            <div class="live-grid">
                <Rows each=move || fleet.0.get() key=|s| s.address.clone() let:server>
                    <FleetCard server=server/>
                </Rows>
            </div>
        </Show>
    }
}
