use crate::state::use_live;
use crate::ui::text::text;
use leptos::prelude::*;

/// Running and pending prompts of every client, from `status` and `/api/queue`.
#[component]
pub fn QueueStatus() -> impl IntoView {
    let live = use_live();
    let q = live.queue;
    let count = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    let shown = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    view! {
        <div class="queue" data-testid="queue-status"
            data-running=text(move || q.with(|q| count(q.running)))
            data-pending=text(move || q.with(|q| count(q.pending)))>
            <div class="stat">
                <span class="stat-value">{text(move || q.with(|q| shown(q.running)))}</span>
                <span class="stat-label">"running"</span>
            </div>
            <div class="stat">
                <span class="stat-value">{text(move || q.with(|q| shown(q.pending)))}</span>
                <span class="stat-label">"pending"</span>
            </div>
        </div>
    }
}
