use crate::state::{use_live, use_stream};
use leptos::prelude::*;
use telemetry_core::connection::EndpointKind;
use telemetry_core::format::short_id;

/// Asks the browser's own confirmation dialog (Escape cancels it).
fn confirmed(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false)
}

/// Every prompt waiting in ComfyUI's queue, in run order, with who queued it; each can be
/// cancelled, and the rest cleared. Cancels and clears go to the server, and the list changes
/// only when the server's queue says so. Few reactive closures on purpose: each costs bytes.
#[component]
pub fn PendingList() -> impl IntoView {
    let live = use_live();
    let stream = use_stream();
    // A recorded demo's queue is not on the server this page talks to.
    let demo = move || {
        live.connection
            .with_untracked(|c| c.endpoint == Some(EndpointKind::Demo))
    };
    let cancel = move |id: String, position: usize| {
        if confirmed(&format!(
            "Cancel prompt {} (position {position})?",
            short_id(&id)
        )) {
            stream.with(|m| m.cancel_queued(vec![id]));
        }
    };
    let clear = move |_| {
        let n = live.pending.with_untracked(Vec::len);
        if confirmed(&format!("Remove all {n} pending prompts from the queue?")) {
            stream.with(|m| m.clear_queue());
        }
    };
    let eta = move || {
        let server = live.server.with(|s| s.as_ref().map(|s| s.label()));
        live.drain.with(|d| {
            let seconds = d.total_ms.map(|ms| format!("{:.0}", ms / 1000.0));
            view! {
                <p data-testid="queue-eta" data-server=server.unwrap_or_default()
                    data-seconds=seconds.unwrap_or_default()>{d.text()}</p>
            }
        })
    };
    let list = move || {
        live.pending.with(|items| {
            let rows = items.iter().enumerate().map(|(at, item)| {
                let (id, position) = (item.prompt_id.clone(), at + 1);
                let short = short_id(&id).to_owned();
                let run_id = id.clone();
                let who = item.client.as_deref().unwrap_or("unknown client");
                let number = item.number.map(|n| format!(" · #{n}")).unwrap_or_default();
                let what = item.workflow.clone().unwrap_or_else(|| "workflow unknown".into());
                view! {
                    <li data-testid="queue-item" data-run-id=run_id data-position=position>
                        <span class="queue-what">{format!("{position}. {what}")}</span>
                        <span class="small muted">{format!("prompt {short}{number} · queued by {who}")}</span>
                        <button data-testid="cancel-queued" disabled=item.cancelling || demo()
                            aria-label=format!("Cancel prompt {short}, position {position}")
                            on:click=move |_| cancel(id.clone(), position)>
                            {if item.cancelling { "Cancelling…" } else { "Cancel" }}
                        </button>
                    </li>
                }
            });
            let any = !items.is_empty() && !demo();
            view! {
                <ol data-testid="pending-queue" data-count=items.len()>{rows.collect_view()}</ol>
                {any.then(|| view! { <button class="danger" data-testid="clear-queue" on:click=clear>"Clear queue"</button> })}
            }
        })
    };
    view! {
        <section class="card span-2 pending" aria-labelledby="pending-title">
            <h2 id="pending-title">"Pending prompts"</h2>
            {eta}
            {list}
            {move || live.queue.with(|s| s.control_error.as_ref().map(|e| view! {
                <p class="warn-text" role="alert" data-testid="queue-control-error">{e.message()}</p>
            }))}
        </section>
    }
}
