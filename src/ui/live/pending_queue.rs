use crate::state::{use_live, use_stream};
use crate::ui::components::LocalTime;
use crate::ui::components::Rows;
use crate::ui::components::Show;
use crate::ui::handler::handler;
use crate::ui::text::{flag, part, text};
use leptos::prelude::*;
use telemetry_core::connection::EndpointKind;
use telemetry_core::drain::start_text;
use telemetry_core::format::short_id;
use telemetry_core::tracker::PendingPrompt;

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
            let seconds = d
                .total_ms
                .map(|ms| telemetry_core::format::fixed(ms / 1000.0, 0));
            view! {
                <p data-testid="queue-eta" data-server=server.unwrap_or_default()
                    data-seconds=seconds.unwrap_or_default()>{d.text()}</p>
            }
        })
    };
    // Keyed rows: a new estimate or a queue change updates a row's text in place and never
    // rebuilds it, so a focused Cancel button keeps its focus. A row's position, state and
    // expected start are one small memo of its own.
    let row = move |item: PendingPrompt| {
        let id = item.prompt_id.clone();
        let state = Memo::new(move |_| {
            let (at, cancelling) = live.pending.with(|p| {
                p.iter()
                    .position(|x| x.prompt_id == id)
                    .map_or((0, false), |i| (i, p[i].cancelling))
            });
            let start = live.drain.with(|d| d.starts_ms.get(at).copied().flatten());
            (at + 1, cancelling, start)
        });
        let position = move || state.get().0.to_string();
        let short = short_id(&item.prompt_id).to_owned();
        let number = item.number.map(|n| format!(" · #{n}")).unwrap_or_default();
        let who = item.client.unwrap_or_else(|| "unknown client".into());
        let what = item.workflow.unwrap_or_else(|| "workflow unknown".into());
        let (id, run_id) = (item.prompt_id.clone(), item.prompt_id);
        let label = short.clone();
        view! {
            <li data-testid="queue-item" data-run-id=run_id data-position=text(position)
                data-starts-in-s=text(move || state.get().2.map(|ms| telemetry_core::format::fixed(ms / 1000.0, 0)).unwrap_or_default())>
                <span class="queue-what">{text(position)} ". " {what}</span>
                <span class="small muted">{format!("prompt {short}{number} · queued by {who} at ")}
                    {item.queued_ms.map_or_else(|| "an unknown time".into_any(), |ms| view! { <LocalTime ms/> }.into_any())}
                    " · " <span data-testid="queue-item-start">{text(move || start_text(state.get().2))}</span></span>
                <button data-testid="cancel-queued" disabled=flag(move || state.get().1 || demo())
                    aria-label=text(move || format!("Cancel prompt {label}, position {}", position()))
                    on:click=handler(move |_| cancel(id.clone(), state.get_untracked().0))>
                    {text(move || if state.get().1 { "Cancelling…" } else { "Cancel" }.to_owned())}
                </button>
            </li>
        }
    };
    let any = Memo::new(move |_| live.pending.with(|p| !p.is_empty()) && !demo());
    view! {
        <section class="card span-2 pending" aria-labelledby="pending-title">
            <h2 id="pending-title">"Pending prompts"</h2>
            {part(move || eta().into_any())}
            <ol data-testid="pending-queue" data-count=text(move || live.pending.with(Vec::len).to_string())>
                <Rows each=move || live.pending.get()
                    key=|p| (p.prompt_id.clone(), p.workflow.clone(), p.client.clone(), p.queued_ms.map(f64::to_bits))
                    children=row/>
            </ol>
            <Show when=move || any.get()>
                <button class="danger" data-testid="clear-queue" on:click=handler(clear)>"Clear queue"</button>
            </Show>
            {part(move || live.queue.with(|s| s.control_error.as_ref().map(|e| view! {
                <p class="warn-text" role="alert" data-testid="queue-control-error">{e.message()}</p>
            })).into_any())}
        </section>
    }
}
