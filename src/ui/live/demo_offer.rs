use crate::state::{use_live, use_stream, StreamHandle};
use crate::stream::load_playlist;
use crate::ui::components::Show;
use crate::ui::handler::handler;
use leptos::prelude::*;
use telemetry_core::connection::{ConnectionState, EndpointKind};
use telemetry_core::trace::TraceFrame;

fn base_href() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .unwrap_or_else(|| "/".into())
}

/// Loads the bundled recording and plays it through the live pipeline.
pub fn start_demo(handle: StreamHandle) {
    leptos::task::spawn_local(async move {
        if let Err(e) = play_demo(handle, base_href()).await {
            leptos::logging::warn!("demo unavailable: {e}");
        }
    });
}

/// Reads the recording and hands it to the stream.
async fn load_and_play(handle: StreamHandle, base: String) -> Result<(), String> {
    let frames: Vec<TraceFrame> = load_playlist(&base).await?;
    handle.with(|m| m.play_recording(frames));
    Ok(())
}

/// The demo's reading and playing. In the split build (`scripts/build.sh`) the playlist reader,
/// the trace parser and the playback are a wasm chunk of their own, fetched when somebody asks
/// for the demo, not with the live page (issue #22).
#[cfg(feature = "split")]
async fn play_demo(handle: StreamHandle, base: String) -> Result<(), String> {
    use futures::future::LocalBoxFuture;
    use leptos::wasm_split::SplitLoaderError;

    type Play = LocalBoxFuture<'static, Result<(), String>>;
    #[leptos::wasm_split::wasm_split(Demo, wasm_split_path = ::leptos::wasm_split, fallible)]
    fn play(handle: StreamHandle, base: String) -> Result<Play, SplitLoaderError> {
        Ok(Box::pin(load_and_play(handle, base)))
    }
    match play(handle, base).await {
        Ok(play) => play.await,
        Err(_) => Err("the demo's code could not be loaded".to_owned()),
    }
}

#[cfg(not(feature = "split"))]
async fn play_demo(handle: StreamHandle, base: String) -> Result<(), String> {
    load_and_play(handle, base).await
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
                <button class="primary" data-testid="play-demo" on:click=handler(move |_| start_demo(stream))>"Play the demo recording"</button>
            </section>
        </Show>
    }
}
