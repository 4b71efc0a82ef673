//! The live tab: what ComfyUI is doing now.

mod actions;
mod announcer;
mod connection_status;
mod current_run;
mod demo_offer;
mod event_log;
mod pending_queue;
mod queue_status;

pub use announcer::RunAnnouncer;
pub use demo_offer::start_demo;

use super::components::{
    ArtifactViewer, FallbackWarningsCard, GpuStatus, QueuePolicyCard, RunChart, TelemetryBadges,
};
use crate::state::use_live;
use actions::{InterruptButton, NotifyToggle};
use connection_status::ConnectionStatus;
use current_run::CurrentRun;
use demo_offer::DemoOffer;
use event_log::EventLog;
use leptos::prelude::*;
use pending_queue::PendingList;
use queue_status::QueueStatus;

#[component]
pub fn LivePage() -> impl IntoView {
    let live = use_live();
    let run = live.current;
    view! {
        <h1 class="page-title">"Live"</h1>
        <div class="live-grid">
            <section class="card span-2 status-row">
                <ConnectionStatus/>
                <QueueStatus/>
            </section>
            <DemoOffer/>
            <CurrentRun/>
            <PendingList/>
            <RunChart series=live.series/>
            <div class="span-2 row actions">
                <InterruptButton/>
                <NotifyToggle/>
            </div>
            <div class="span-2">
                <TelemetryBadges run=run streaming=true/>
            </div>
            <GpuStatus/>
            <QueuePolicyCard run=run/>
            <div class="span-2">
                <FallbackWarningsCard run=run live_session=true/>
            </div>
            <ArtifactViewer run=run/>
            <EventLog/>
        </div>
    }
}
