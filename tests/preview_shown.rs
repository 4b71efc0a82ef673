//! The live preview's image (a `Blob` and its object URL) is made only for a preview the page
//! shows (issue 22, throughput): one of the current run gets an image at once, one of another
//! run is published without one, and gets it when its run becomes the current one. Frames go
//! through the real pipeline and the real signal observer.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::app::SignalObserver;
use comfy_dashboard::state::LiveState;
use comfy_dashboard::stream::StreamObserver;
use leptos::prelude::*;
use telemetry_core::connection::ConnectionInfo;
use telemetry_core::input::Input;
use telemetry_core::pipeline::Pipeline;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A preview with metadata (binary event 4) of `prompt`'s node 3.
fn preview(prompt: &str) -> Vec<u8> {
    let meta = serde_json::json!({"prompt_id": prompt, "node_id": "3", "image_type": "image/png"})
        .to_string();
    let mut frame = 4u32.to_be_bytes().to_vec();
    frame.extend((meta.len() as u32).to_be_bytes());
    frame.extend(meta.as_bytes());
    frame.extend([0x89, b'P', b'N', b'G']);
    frame
}

#[wasm_bindgen_test]
fn a_preview_gets_its_image_only_while_its_run_is_shown() {
    let owner = Owner::new();
    owner.set();
    let state = LiveState::new(ConnectionInfo::new("", "", 5));
    let observer = SignalObserver::new(state);
    let mut pipeline = Pipeline::new("http://127.0.0.1:8188", 50.0);
    let mut now = 1_000.0;
    let mut step = |pipeline: &mut Pipeline, input: Input<'_>| {
        now += 10.0;
        pipeline.step(input, now);
        let batch = pipeline.take(now);
        observer.on_batch(pipeline, &batch, now);
    };
    let start = |id: &str| {
        serde_json::json!({"type": "execution_start", "data": {"prompt_id": id, "timestamp": 1}})
            .to_string()
    };
    let shown = || {
        state
            .current
            .with_untracked(|c| c.as_ref().map(|r| r.prompt_id.clone()))
    };
    let published = || {
        state
            .preview
            .with_untracked(|p| p.as_ref().map(|p| (p.run_id.clone(), p.url.clone())))
    };

    step(&mut pipeline, Input::Text(&start("A")));
    assert_eq!(shown().as_deref(), Some("A"));
    step(&mut pipeline, Input::Binary(&preview("A")));
    let (run, url) = published().expect("A's preview is published");
    assert_eq!(run.as_deref(), Some("A"));
    assert!(
        url.as_deref().is_some_and(|u| u.starts_with("blob:")),
        "the current run's preview has its image: {url:?}"
    );

    // Another run's preview (the current one stays A): published without an image.
    step(&mut pipeline, Input::Binary(&preview("B")));
    assert_eq!(shown().as_deref(), Some("A"));
    let (run, url) = published().expect("B's preview is published");
    assert_eq!(run.as_deref(), Some("B"));
    assert_eq!(url, None, "a preview not shown has no image");

    // B becomes the current run: its preview gets its image.
    step(&mut pipeline, Input::Text(&start("B")));
    assert_eq!(shown().as_deref(), Some("B"));
    let (run, url) = published().expect("B's preview is published");
    assert_eq!(run.as_deref(), Some("B"));
    assert!(
        url.as_deref().is_some_and(|u| u.starts_with("blob:")),
        "shown now, with its image: {url:?}"
    );
}
