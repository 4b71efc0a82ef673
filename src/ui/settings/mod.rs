//! Settings: which ComfyUI server to watch. Remembered in local storage.

mod fleet;

use crate::state::{use_live, Live};
use crate::ui::handler::handler;
use crate::ui::text::{part, text, CollectAny};
use fleet::FleetForm;
use leptos::prelude::*;
use telemetry_core::endpoint::ServerBase;
use telemetry_core::follow::QueuePolicy;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let setting = crate::state::handles().server;
    let live = use_live();
    let draft = Live::new(setting.0.get_untracked().unwrap_or_default());
    let problem = Live::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = draft.get_untracked();
        if value.trim().is_empty() {
            problem.set(None);
            setting.set(None);
            return;
        }
        match ServerBase::parse(&value) {
            Ok(server) => {
                problem.set(None);
                setting.set(Some(server.http()));
                draft.set(server.http());
            }
            Err(e) => problem.set(Some(e.to_string())),
        }
    };
    let use_origin = move |_| {
        draft.set(String::new());
        problem.set(None);
        setting.set(None);
    };
    view! {
        <h1 class="page-title">"Settings"</h1>
        <section class="card narrow">
            <h2>"ComfyUI server"</h2>
            <form on:submit=handler(save) class="stack">
                <label for="server-url">"Server address"</label>
                <input id="server-url" data-testid="settings-server" type="text" inputmode="url"
                    placeholder="empty: this page's own address"
                    prop:value=move || draft.get()
                    on:input:target=move |ev| draft.set(ev.target().value())/>
                {part(move || problem.get().map(|p| view! { <p class="error-text small" role="alert">{p}</p> }).into_any())}
                <div class="row">
                    <button type="submit" class="primary" data-testid="settings-save">"Save and reconnect"</button>
                    <button type="button" on:click=handler(use_origin)>"Use this page's address"</button>
                </div>
            </form>
            <p class="muted small">
                {text(move || live.connection.with(|c| format!("Now watching {}", c.server)))}
            </p>
            <PolicyForm/>
            <p class="small">
                "ComfyUI refuses pages from another origin on loopback with a bare 403. Open this dashboard from the same address as ComfyUI (install the extension, or use the development proxy), or start ComfyUI with "
                <code>"--enable-cors-header <dashboard origin>"</code> "."
            </p>
        </section>
        <FleetForm/>
    }
}

/// The five knobs of the follow policy for runs that do not stream, remembered.
#[component]
fn PolicyForm() -> impl IntoView {
    let setting = crate::state::handles().policy;
    let current = setting.0.get_untracked();
    let fields: [(&'static str, &'static str, &'static str, u32); 5] = [
        (
            "max_wait_s",
            "Max wait (s)",
            "How long to wait for a run's history entry in total.",
            current.max_wait_s,
        ),
        (
            "poll_interval_s",
            "Poll interval (s)",
            "Time between queue and history polls.",
            current.poll_interval_s,
        ),
        (
            "max_attempts",
            "Max history polls (0 = unbounded)",
            "History requests before giving up.",
            current.max_attempts,
        ),
        (
            "post_execution_timeout_s",
            "Post-execution timeout (s)",
            "How long outputs may take to appear after execution.",
            current.post_execution_timeout_s,
        ),
        (
            "retry_budget",
            "Retry budget",
            "Retries of a failed history request.",
            current.retry_budget,
        ),
    ];
    let values: Vec<Live<String>> = fields.iter().map(|f| Live::new(f.3.to_string())).collect();
    let saved = Live::new(None::<String>);
    let vals = values.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n: Vec<Option<u32>> = vals
            .iter()
            .map(|v| v.get_untracked().trim().parse::<u32>().ok())
            .collect();
        let d = QueuePolicy::default();
        let policy = QueuePolicy {
            max_wait_s: n[0].unwrap_or(d.max_wait_s),
            poll_interval_s: n[1].unwrap_or(d.poll_interval_s),
            max_attempts: n[2].unwrap_or(d.max_attempts),
            post_execution_timeout_s: n[3].unwrap_or(d.post_execution_timeout_s),
            retry_budget: n[4].unwrap_or(d.retry_budget),
        };
        setting.set(policy);
        let p = setting.0.get_untracked();
        for (v, x) in vals.iter().zip([
            p.max_wait_s,
            p.poll_interval_s,
            p.max_attempts,
            p.post_execution_timeout_s,
            p.retry_budget,
        ]) {
            v.set(x.to_string());
        }
        saved.set(Some(
            "Saved. Runs followed from now on use this policy.".into(),
        ));
    };
    let reset_vals = values.clone();
    let reset = move |_| {
        let d = QueuePolicy::default();
        setting.set(d);
        for (v, x) in reset_vals.iter().zip([
            d.max_wait_s,
            d.poll_interval_s,
            d.max_attempts,
            d.post_execution_timeout_s,
            d.retry_budget,
        ]) {
            v.set(x.to_string());
        }
        saved.set(Some("Defaults restored.".into()));
    };
    view! {
        <h2>"Queue policy"</h2>
        <p class="muted small">"Used to follow runs whose events do not reach this page (queued by another client on a server without the /telemetry extension)."</p>
        <form class="stack" on:submit=handler(save)>
            {fields.iter().zip(values.iter()).map(|((key, label, help, _), value)| {
                let value = *value;
                view! {
                    <label title=*help>{*label}
                        <input type="number" min="0" data-testid=format!("policy-{key}") prop:value=move || value.get()
                            on:input:target=move |ev| value.set(ev.target().value())/>
                    </label>
                }
            }).collect_any()}
            <div class="row">
                <button type="submit" class="primary" data-testid="policy-save">"Save policy"</button>
                <button type="button" on:click=handler(reset)>"Restore defaults"</button>
            </div>
            {part(move || saved.get().map(|m| view! { <p class="ok-text small" role="status">{m}</p> }).into_any())}
        </form>
    }
}
