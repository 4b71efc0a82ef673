use crate::browser::{notify, settings_store};
use crate::state::{use_live, use_stream, Live};
use crate::ui::components::Show;
use crate::ui::handler::handler;
use crate::ui::load::{use_jobs, Job};
use crate::ui::text::{part, text};
use leptos::prelude::*;
use telemetry_core::format::short_id;
use telemetry_core::run::RunStatus;

/// Stops the running prompt after a confirmation. Only that prompt: ComfyUI ignores the
/// request if another one is running by then.
#[component]
pub fn InterruptButton() -> impl IntoView {
    let live = use_live();
    let stream = use_stream();
    let jobs = use_jobs();
    // A recorded demo run is not on the server this page talks to: nothing to interrupt.
    let running = move || {
        if live
            .connection
            .with(|c| c.endpoint == Some(telemetry_core::connection::EndpointKind::Demo))
        {
            return None;
        }
        live.current.with(|r| {
            r.as_ref()
                .filter(|r| r.status == RunStatus::Running)
                .map(|r| r.prompt_id.clone())
        })
    };
    let click = move |_| {
        let Some(id) = running() else { return };
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(&format!("Interrupt prompt {}?", short_id(&id)))
                    .ok()
            })
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        let Some(manager) = stream.with(Clone::clone) else {
            return;
        };
        jobs.dispatch_local(Job::new(async move {
            match manager.interrupt(&id).await {
                Ok(()) => (true, format!("Interrupt sent for {}.", short_id(&id))),
                Err(e) => (false, format!("Interrupt failed: {e}")),
            }
        }));
    };
    view! {
        <Show when=move || running().is_some()>
            <button class="danger" data-testid="interrupt-run" on:click=handler(click)>"Interrupt run"</button>
        </Show>
        {part(move || jobs.value().get().map(|(_, m)| view! { <span class="small muted" role="status">{m}</span> }).into_any())}
    }
}

/// Opt-in: a desktop notification when a run ends.
#[component]
pub fn NotifyToggle() -> impl IntoView {
    let on = Live::new(settings_store::load_notify() && notify::granted());
    let jobs = use_jobs();
    let toggle = move |_| {
        if on.get_untracked() {
            on.set(false);
            settings_store::save_notify(false);
            return;
        }
        jobs.dispatch_local(Job::new(async move {
            let granted = notify::request().await;
            on.set(granted);
            settings_store::save_notify(granted);
            let blocked = "Notifications are blocked or unsupported in this browser.";
            (granted, if granted { "" } else { blocked }.to_owned())
        }));
    };
    view! {
        <Show when=notify::supported>
            <button data-testid="notify-toggle" aria-pressed=text(move || on.get().to_string()) on:click=handler(toggle)>
                {text(move || if on.get() { "Notifications on" } else { "Notify me when a run ends" }.to_owned())}
            </button>
        </Show>
        {part(move || jobs.value().get().filter(|(ok, _)| !ok).map(|(_, n)| view! { <span class="small warn-text">{n}</span> }).into_any())}
    }
}
