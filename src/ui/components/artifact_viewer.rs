use super::Rows;
use super::Show;
use crate::state::{use_live, Kept, Live};
use crate::ui::effect::effect;
use crate::ui::handler::handler;
use crate::ui::text::{part, text};
use leptos::prelude::*;
use telemetry_core::protocol::{Artifact, ArtifactKind};
use telemetry_core::run::Run;

/// Every output of a run, loaded from ComfyUI's `/api/view` with each query part encoded.
/// A file that is gone shows a placeholder instead of a broken image.
#[component]
pub fn ArtifactViewer(run: Live<Option<Run>>) -> impl IntoView {
    let outputs = move || run.with(|r| r.as_ref().map(|r| r.outputs.clone()).unwrap_or_default());
    let large = Live::new(None::<(String, String)>);
    let indexed = move || outputs().into_iter().enumerate().collect::<Vec<_>>();
    // The element that had focus when the lightbox opened gets it back when it closes, so a
    // keyboard user continues where they were.
    let opener = Kept::new(None::<web_sys::HtmlElement>);
    let close_button = NodeRef::<leptos::html::Button>::new();
    let close = move || {
        if large.with_untracked(Option::is_some) {
            large.set(None);
            if let Some(el) = opener.get_value() {
                let _ = el.focus();
            }
        }
    };
    effect(move || {
        if large.with(Option::is_some) {
            opener.set_value(
                web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.active_element())
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()),
            );
            if let Some(button) = close_button.get() {
                let _ = button.focus();
            }
        }
    });
    // Escape closes it wherever focus is (the image itself is not focusable).
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            close();
        }
    });
    on_cleanup(move || escape.remove());
    view! {
        <section class="card span-2" data-testid="artifact-viewer" data-count=text(move || outputs().len().to_string())>
            <h2>"Outputs"</h2>
            <Show when=move || !outputs().is_empty() fallback=move || view! { <p class="muted">{text(move || if run.with(|r| r.as_ref().is_some_and(|r| r.status.is_terminal())) { "This run produced no outputs." } else { "No outputs yet." }.to_owned())}</p> }>
                <ul class="artifacts">
                    <Rows each=indexed
                        key=|(i, a)| (*i, a.filename.clone(), a.text.clone())
                        children=move |(_, a)| view! { <ArtifactItem artifact=a large=large/> }/>
                </ul>
            </Show>
            {part(move || large.get().map(|(url, name)| view! {
                <div class="lightbox" data-testid="lightbox" role="dialog" aria-modal="true" aria-label=name.clone()
                    on:click=handler(move |_| close())>
                    <img src=url alt=name.clone()/>
                    <button class="close" node_ref=close_button on:click=handler(move |_| close())>"Close"</button>
                </div>
            }).into_any())}
        </section>
    }
}

#[component]
fn ArtifactItem(artifact: Artifact, large: Live<Option<(String, String)>>) -> impl IntoView {
    let live = use_live();
    let url = live
        .server
        .with_untracked(|s| s.as_ref().map(|s| s.view(&artifact)))
        .unwrap_or_default();
    let missing = Live::new(false);
    let name = artifact.filename.clone();
    let caption = if artifact.kind == ArtifactKind::Text {
        format!("text from node {}", artifact.node_id)
    } else if artifact.subfolder.is_empty() {
        format!("{} · node {}", artifact.filename, artifact.node_id)
    } else {
        format!(
            "{}/{} · node {}",
            artifact.subfolder, artifact.filename, artifact.node_id
        )
    };
    let kind = artifact.kind;
    let body = artifact.text.clone().unwrap_or_default();
    let (media_url, media_name) = (url.clone(), name.clone());
    let media = move || {
        let (url, name) = (media_url.clone(), media_name.clone());
        match kind {
            ArtifactKind::Image => {
                let (u, n) = (url.clone(), name.clone());
                view! {
                    <button class="thumb" title="Open large" on:click=handler(move |_| large.set(Some((u.clone(), n.clone()))))>
                        <img src=url alt=name loading="lazy" on:error=handler(move |_| missing.set(true))/>
                    </button>
                }
                .into_any()
            }
            ArtifactKind::Video => view! {
                <video controls preload="metadata" src=url on:error=handler(move |_| missing.set(true))></video>
            }
            .into_any(),
            ArtifactKind::Audio => view! {
                <audio controls preload="metadata" src=url on:error=handler(move |_| missing.set(true))></audio>
            }
            .into_any(),
            ArtifactKind::Text => view! { <pre class="text-output">{body.clone()}</pre> }.into_any(),
            ArtifactKind::Other => view! { <a href=url download=name>"Download"</a> }.into_any(),
        }
    };
    view! {
        <li class="artifact" data-testid="artifact" data-kind=artifact.kind.as_str() data-filename=artifact.filename.clone()
            data-missing=text(move || missing.get().to_string())>
            <Show when=move || !missing.get() fallback=|| view! {
                <div class="missing-file" role="img" aria-label="File not found">"File not found on the server"</div>
            }>
                {part(media.clone())}
            </Show>
            <span class="small muted caption">{caption}</span>
        </li>
    }
}
