use crate::state::{FleetSetting, Live};
use crate::ui::components::Rows;
use crate::ui::handler::handler;
use crate::ui::text::part;
use leptos::prelude::*;
use telemetry_core::fleet;

/// The fleet's servers: add one by name and address, remove one. What a cross-origin server
/// needs to let this page in is said here, where the address is typed.
#[component]
pub fn FleetForm() -> impl IntoView {
    let setting = FleetSetting::loaded();
    let name = Live::new(String::new());
    let address = Live::new(String::new());
    let problem = Live::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let list = setting.0.get_untracked();
        match fleet::add(&list, &name.get_untracked(), &address.get_untracked()) {
            Ok(list) => {
                problem.set(None);
                name.set(String::new());
                address.set(String::new());
                setting.set(list);
            }
            Err(e) => problem.set(Some(e.to_string())),
        }
    };
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    view! {
        <section class="card narrow" data-testid="settings-fleet">
            <h2>"Fleet"</h2>
            <ul class="stack">
                <Rows each=move || setting.0.get() key=|s| s.address.clone() let:server>
                    {
                        let gone = server.address.clone();
                        view! {
                            <li class="row">
                                <span><strong>{server.name.clone()}</strong>" "<span class="muted small">{server.address.clone()}</span></span>
                                <button type="button" aria-label=format!("Remove {} from the fleet", server.name)
                                    on:click=handler(move |_| setting.set(fleet::remove(&setting.0.get_untracked(), &gone)))>"Remove"</button>
                            </li>
                        }
                    }
                </Rows>
            </ul>
            <form on:submit=handler(add) class="stack">
                <label for="fleet-name">"Name"</label>
                <input id="fleet-name" data-testid="fleet-name" type="text" placeholder="e.g. render box"
                    prop:value=move || name.get() on:input:target=move |ev| name.set(ev.target().value())/>
                <label for="fleet-address">"Address"</label>
                <input id="fleet-address" data-testid="fleet-address" type="text" inputmode="url" placeholder="192.168.1.5:8188"
                    prop:value=move || address.get() on:input:target=move |ev| address.set(ev.target().value())/>
                {part(move || problem.get().map(|p| view! { <p class="error-text small" role="alert">{p}</p> }).into_any())}
                <div class="row"><button type="submit" data-testid="fleet-add">"Add to the fleet"</button></div>
            </form>
            <p class="small">
                "A server on another address must let this page in. With the extension, set "
                <code>{format!("COMFY_TELEMETRY_ALLOWED_ORIGINS={origin}")}</code>
                "; on stock ComfyUI, start it with "<code>{format!("--enable-cors-header {origin}")}</code>"."
            </p>
        </section>
    }
}
