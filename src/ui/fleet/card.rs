use crate::browser::base_path::app_href;
use crate::browser::page_leave::on_page_leave;
use crate::state::{use_fleet_connect, Kept};
use crate::ui::components::GpuDevices;
use crate::ui::effect::effect;
use crate::ui::text::{part, text};
use leptos::prelude::*;
use telemetry_core::endpoint::{encode, ServerBase};
use telemetry_core::fleet::{card, queue_text, Card, FleetServer};
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
    // Every text of the card through one closure type (bytes, issue #22).
    let shown = move |f: fn(&Card) -> String| text(move || summary.with(f));
    let live_href = app_href(&format!("/?server={}", encode(&server.address)));
    let name = server.name.clone();
    view! {
        <section class="card fleet-card" data-testid="fleet-server" data-server=server.name.clone()
            data-state=shown(|c| c.state.into()) data-endpoint=shown(|c| c.endpoint.into())
            data-running=shown(|c| count(c.running)) data-pending=shown(|c| count(c.pending))
            data-run-id=shown(|c| c.run_id.clone())>
            <h2><a href=live_href aria-label=format!("{name}: open its live page")>{name.clone()}</a></h2>
            <p class="small muted">{server.address.clone()}</p>
            <p><span class="status-badge" data-status=shown(|c| c.state.into())>{shown(|c| c.state.into())}</span>
                {shown(|c| if c.endpoint.is_empty() { String::new() } else { format!(" via /{}", c.endpoint) })}</p>
            <p>{shown(|c| c.run_text.clone())}
                {shown(|c| c.progress.map(|f| format!(" · {}", format::percent(f))).unwrap_or_default())}</p>
            <p class="small">{shown(|c| queue_text(c.running, c.pending))}</p>
            <p class="small" data-testid="queue-eta" data-server=server.address.clone()
                data-seconds=text(move || state.drain.with(|d| d.total_ms.map(|ms| telemetry_core::format::fixed(ms / 1000.0, 0)).unwrap_or_default()))>
                // A server that does not answer has no queue to drain, not an empty one.
                {text(move || if summary.with(|c| c.pending.is_none()) { String::new() } else { state.drain.with(|d| d.text()) })}</p>
            <GpuDevices gpu=state.gpu/>
            {part(move || summary.with(|c| c.problem.clone()).map(|p| view! { <p class="warn-text small">{p}</p> }).into_any())}
        </section>
    }
    .into_any()
}

/// A count for a data attribute, empty when unknown.
fn count(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}
