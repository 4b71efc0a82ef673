use crate::state::{use_live, use_stream, StreamHandle};
use crate::stream::load_playlist;
use leptos::prelude::*;
use telemetry_core::connection::{ConnectionState, EndpointKind};

fn base_href() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .unwrap_or_else(|| "/".into())
}

/// Loads the bundled recording and plays it through the live pipeline.
pub fn start_demo(handle: StreamHandle) {
    leptos::task::spawn_local(async move {
        match load_playlist(&base_href()).await {
            Ok(frames) => {
                handle.with(|m| m.play_recording(frames));
            }
            Err(e) => leptos::logging::warn!("demo unavailable: {e}"),
        }
    });
}

/// When no ComfyUI answers, offers the bundled recording instead of an empty page.
#[component]
pub fn DemoOffer() -> impl IntoView {
    let live = use_live();
    let stream = use_stream();
    let show = move || {
        live.connection.with(|c| {
            c.endpoint != Some(EndpointKind::Demo)
                && (c.state == ConnectionState::Offline
                    || (c.state == ConnectionState::Reconnecting && c.attempt >= 2))
        }) && live.last_update_ms.with(Option::is_none)
    };
    view! {
        <Show when=show>
            <section class="card span-2 demo-offer" data-testid="demo-offer">
                <p>"No ComfyUI is answering at this address. You can watch a recorded session of a real ComfyUI 0.3.64 instead."</p>
                <button class="primary" data-testid="play-demo" on:click=move |_| start_demo(stream)>"Play the demo recording"</button>
            </section>
        </Show>
    }
}
