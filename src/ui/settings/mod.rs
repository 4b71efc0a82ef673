//! Settings: which ComfyUI server to watch. Remembered in local storage.

use crate::state::use_live;
use crate::ui::ServerSetting;
use leptos::prelude::*;
use telemetry_core::endpoint::ServerBase;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let setting = expect_context::<ServerSetting>();
    let live = use_live();
    let draft = RwSignal::new(setting.0.get_untracked().unwrap_or_default());
    let problem = RwSignal::new(None::<String>);
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
        <section class="card narrow">
            <h2>"ComfyUI server"</h2>
            <form on:submit=save class="stack">
                <label for="server-url">"Server address"</label>
                <input id="server-url" data-testid="settings-server" type="text" inputmode="url"
                    placeholder="empty: this page's own address"
                    prop:value=move || draft.get()
                    on:input:target=move |ev| draft.set(ev.target().value())/>
                {move || problem.get().map(|p| view! { <p class="error-text small" role="alert">{p}</p> })}
                <div class="row">
                    <button type="submit" class="primary" data-testid="settings-save">"Save and reconnect"</button>
                    <button type="button" on:click=use_origin>"Use this page's address"</button>
                </div>
            </form>
            <p class="muted small">
                {move || live.connection.with(|c| format!("Now watching {}", c.server))}
            </p>
            <p class="small">
                "ComfyUI refuses pages from another origin on loopback with a bare 403. Open this dashboard from the same address as ComfyUI (install the extension, or use the development proxy), or start ComfyUI with "
                <code>"--enable-cors-header <dashboard origin>"</code> "."
            </p>
        </section>
    }
}
