//! The live tab: what ComfyUI is doing now.

mod clock;
mod connection_status;
mod current_run;
mod event_log;
mod queue_status;

pub use clock::use_ticking_now;
use connection_status::ConnectionStatus;
use current_run::CurrentRun;
use event_log::EventLog;
use leptos::prelude::*;
use queue_status::QueueStatus;

#[component]
pub fn LivePage() -> impl IntoView {
    view! {
        <div class="live-grid">
            <section class="card span-2 status-row">
                <ConnectionStatus/>
                <QueueStatus/>
            </section>
            <CurrentRun/>
            <EventLog/>
        </div>
    }
}
