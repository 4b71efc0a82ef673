use crate::browser::base_path::app_href;
use crate::browser::page_leave::on_page_leave;
use crate::state::use_fleet_connect;
use crate::state::Kept;
use crate::ui::components::GpuDevices;
use crate::ui::effect::effect;
use leptos::prelude::*;
use telemetry_core::endpoint::{encode, ServerBase};
use telemetry_core::fleet::{card, queue_text, FleetServer};
use telemetry_core::format;

/// One server's card: its own stream, started when the card appears and stopped when it goes.
#[component]
pub fn FleetCard(
    /// The server as configured in Settings.
    server: FleetServer,
) -> impl IntoView {
    let Ok(base) = ServerBase::parse(&server.address) else {
        return view! { <p class="error-text">{format!("{}: not a server address", server.name)}</p> }.into_any();
    };
    let (state, manager) = use_fleet_connect().connect(base);
    // This server's estimate counts towards the fleet's while it is connected.
    let drains = expect_context::<super::FleetDrains>().0;
    let key = server.address.clone();
    effect(move || {
        let open = state.connection.with(|c| c.state.as_str() == "open");
        let estimate = state.drain.get();
        drains.update(|d| {
            d.retain(|(k, _)| *k != key);
            if open {
                d.push((key.clone(), estimate));
            }
        });
    });
    // The manager is not `Send`; a local stored value lets the cleanup reach it.
    let manager = Kept::new(manager);
    // Its batch and the store's writer are written before the page goes away, as the live
    // page's are (a `?demo` page has no live stream to do it for the store).
    let stop_flushing = on_page_leave(move || manager.with_value(|m| m.flush_pending()));
    on_cleanup(move || {
        stop_flushing();
        manager.with_value(|m| m.stop());
    });
    let summary = Memo::new(move |_| {
        let conn = state.connection.get();
        let queue = state.queue.get();
        state.current.with(|r| card(&conn, &queue, r.as_ref()))
    });
    let count = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let live_href = app_href(&format!("/?server={}", encode(&server.address)));
    let name = server.name.clone();
    view! {
        <section class="card fleet-card" data-testid="fleet-server" data-server=server.name.clone()
            data-state=move || summary.with(|c| c.state) data-endpoint=move || summary.with(|c| c.endpoint)
            data-running=move || summary.with(|c| count(c.running)) data-pending=move || summary.with(|c| count(c.pending))
            data-run-id=move || summary.with(|c| c.run_id.clone())>
            <h2><a href=live_href aria-label=format!("{name}: open its live page")>{name.clone()}</a></h2>
            <p class="small muted">{server.address.clone()}</p>
            <p><span class="status-badge" data-status=move || summary.with(|c| c.state)>{move || summary.with(|c| c.state)}</span>
                {move || summary.with(|c| (!c.endpoint.is_empty()).then(|| format!(" via /{}", c.endpoint)))}</p>
            <p>{move || summary.with(|c| c.run_text.clone())}
                {move || summary.with(|c| c.progress).map(|f| format!(" · {}", format::percent(f)))}</p>
            <p class="small">{move || summary.with(|c| queue_text(c.running, c.pending))}</p>
            <p class="small" data-testid="queue-eta" data-server=server.address.clone()
                data-seconds=move || state.drain.with(|d| d.total_ms.map(|ms| telemetry_core::format::fixed(ms / 1000.0, 0)).unwrap_or_default())>
                // A server that does not answer has no queue to drain, not an empty one.
                {move || if summary.with(|c| c.pending.is_none()) { String::new() } else { state.drain.with(|d| d.text()) }}</p>
            <GpuDevices gpu=state.gpu/>
            {move || summary.with(|c| c.problem.clone()).map(|p| view! { <p class="warn-text small">{p}</p> })}
        </section>
    }
    .into_any()
}
