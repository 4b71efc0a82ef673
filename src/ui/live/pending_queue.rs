use crate::state::{use_live, use_stream};
use leptos::prelude::*;
use telemetry_core::connection::EndpointKind;
use telemetry_core::format::{duration_ms, short_id};
use telemetry_core::tracker::PendingQueue;

/// Asks the browser's own confirmation dialog (Escape cancels it).
fn confirmed(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false)
}

/// What the drain estimate says, and on what it rests.
fn drain_text(q: &PendingQueue) -> String {
    let ahead = q.items.len();
    match q.drain.total_ms {
        _ if ahead == 0 => "Nothing pending.".to_owned(),
        Some(ms) => format!(
            "{ahead} pending · drains in about {}, from {} earlier run{} of these workflows",
            duration_ms(ms),
            q.drain.basis_runs,
            if q.drain.basis_runs == 1 { "" } else { "s" }
        ),
        None => format!("{ahead} pending · drain time unknown: this server has not run all of these workflows before"),
    }
}

/// Every prompt waiting in ComfyUI's queue, in run order, with who queued it and when it
/// should start; each can be cancelled, and the rest cleared. Cancels and clears go to the
/// server, and the list changes only when the server's queue says so.
#[component]
pub fn PendingList() -> impl IntoView {
    let live = use_live();
    let stream = use_stream();
    let q = live.pending;
    // A recorded demo's queue is not on the server this page talks to.
    let demo = move || {
        live.connection
            .with(|c| c.endpoint == Some(EndpointKind::Demo))
    };
    let server = move || {
        live.server
            .with(|s| s.as_ref().map(|s| s.label()).unwrap_or_default())
    };
    let cancel = move |id: String, position: usize| {
        let question = format!("Cancel prompt {} (position {position})?", short_id(&id));
        if confirmed(&question) {
            stream.with(|m| m.cancel_queued(vec![id]));
        }
    };
    let clear = move |_| {
        let n = q.with_untracked(|q| q.items.len());
        if confirmed(&format!("Remove all {n} pending prompts from the queue?")) {
            stream.with(|m| m.clear_queue());
        }
    };
    // The list is rebuilt only when the prompts change, not as the estimate ticks down (a
    // rebuilt button would lose the keyboard's focus); each start time updates on its own.
    let listed = Memo::new(move |_| {
        q.with(|q| {
            q.items
                .iter()
                .map(|i| {
                    (
                        i.prompt_id.clone(),
                        i.workflow.clone(),
                        i.client.clone(),
                        i.cancelling,
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let items = move || {
        listed.with(|items| {
            items
                .iter()
                .enumerate()
                .map(|(at, (id, workflow, client, busy))| {
                    let (id, busy, position) = (id.clone(), *busy, at + 1);
                    let short = short_id(&id).to_owned();
                    let run_id = id.clone();
                    let who = client.clone().unwrap_or_else(|| "unknown client".into());
                    let starts = move || match q.with(|q| q.drain.starts_ms.get(at).copied().flatten()) {
                        Some(ms) if ms > 0.0 => format!("starts in about {}", duration_ms(ms)),
                        Some(_) => "next".to_owned(),
                        None => "start unknown".to_owned(),
                    };
                    view! {
                        <li data-testid="queue-item" data-run-id=run_id data-position=position>
                            <span class="queue-pos">{format!("{position}.")}</span>
                            <span class="queue-what">{workflow.clone().unwrap_or_else(|| "workflow unknown".into())}</span>
                            <span class="small muted">{format!("prompt {short} · queued by {who} · ")}{starts}</span>
                            <button data-testid="cancel-queued" disabled=busy || demo()
                                aria-label=format!("Cancel prompt {short}, position {position}")
                                on:click=move |_| cancel(id.clone(), position)>
                                {if busy { "Cancelling…" } else { "Cancel" }}
                            </button>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section class="card span-2 pending" aria-labelledby="pending-title">
            <h2 id="pending-title">"Pending prompts"</h2>
            <p data-testid="queue-eta" data-server=server
                data-seconds=move || q.with(|q| q.drain.total_ms.map(|ms| format!("{:.0}", ms / 1000.0)).unwrap_or_default())>
                {move || q.with(drain_text)}
            </p>
            <ol data-testid="pending-queue" data-count=move || q.with(|q| q.items.len())>{items}</ol>
            <Show when=move || q.with(|q| !q.items.is_empty()) && !demo()>
                <button class="danger" data-testid="clear-queue" on:click=clear>"Clear queue"</button>
            </Show>
            {move || live.queue.with(|s| s.control_error.as_ref().map(|e| view! {
                <p class="warn-text" role="alert" data-testid="queue-control-error">{e.message()}</p>
            }))}
        </section>
    }
}
