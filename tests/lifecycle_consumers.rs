//! Lifecycle consumers by sequence number, in the browser (issue 11): the run-end notifier and
//! the history list's refresh keep working after 200 runs, although the page keeps only the
//! newest 100 lifecycle events, and a replayed end of an announced run is not announced again.
//! Frames go through the real pipeline and the real signal observer.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::app::SignalObserver;
use comfy_dashboard::state::{notify_on_run_end, on_new_lifecycle, FeedStart, LiveState};
use comfy_dashboard::stream::StreamObserver;
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use telemetry_core::connection::ConnectionInfo;
use telemetry_core::pipeline::Pipeline;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const NOTIFIED_KEY: &str = "comfy-dashboard.notified-runs";

struct Page {
    observer: SignalObserver,
    pipeline: Pipeline,
    now: f64,
}

impl Page {
    fn new(state: LiveState) -> Page {
        Page {
            observer: SignalObserver::new(state),
            pipeline: Pipeline::new("http://127.0.0.1:8188", 50.0),
            now: 1_000.0,
        }
    }

    fn frame(&mut self, kind: &str, data: serde_json::Value) {
        self.now += 10.0;
        let text = serde_json::json!({ "type": kind, "data": data }).to_string();
        self.pipeline
            .step(telemetry_core::input::Input::Text(&text), self.now);
    }

    /// One prompt start to end, flushed to the signals as one batch.
    async fn run(&mut self, id: &str) {
        let ts = self.now as i64;
        self.frame(
            "execution_start",
            serde_json::json!({"prompt_id": id, "timestamp": ts}),
        );
        self.frame(
            "execution_success",
            serde_json::json!({"prompt_id": id, "timestamp": ts + 5}),
        );
        let batch = self.pipeline.take(self.now);
        self.observer.on_batch(&self.pipeline, &batch, self.now);
        leptos::task::tick().await;
    }
}

fn storage() -> web_sys::Storage {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("localStorage")
}

fn saved_ids() -> Vec<String> {
    storage()
        .get_item(NOTIFIED_KEY)
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn the_200th_run_is_announced_and_refreshes_like_the_first() {
    // Mounting sets up the executor that runs effects.
    leptos::mount::mount_to_body(|| ());
    let owner = Owner::new();
    owner.set();
    let _ = storage().remove_item(NOTIFIED_KEY);
    let state = LiveState::new(ConnectionInfo::new("", "", 5));
    let refreshes = Rc::new(Cell::new(0u32));
    let counted = refreshes.clone();
    on_new_lifecycle(state, FeedStart::Now, move |_| {
        counted.set(counted.get() + 1)
    });
    let ends = notify_on_run_end(state);
    let mut page = Page::new(state);
    for i in 1..=200u32 {
        page.run(&format!("prompt-{i:03}")).await;
        assert_eq!(ends.announced(), i, "run {i} is announced");
        assert_eq!(refreshes.get(), i, "run {i} refreshes the history list");
    }
    assert_eq!(
        state.lifecycle.with_untracked(Vec::len),
        100,
        "the feed stayed bounded"
    );
    assert!(saved_ids().contains(&"prompt-200".to_owned()));

    // A reload: a new page (new tracker, new notifier from localStorage) whose socket replays
    // the end of an announced run, then a new one.
    let state2 = LiveState::new(ConnectionInfo::new("", "", 5));
    let ends2 = notify_on_run_end(state2);
    let mut page2 = Page::new(state2);
    page2.run("prompt-200").await;
    assert_eq!(
        ends2.announced(),
        0,
        "a replayed end is not announced again"
    );
    page2.run("prompt-201").await;
    assert_eq!(ends2.announced(), 1);
    // Runs the store held as finished at start are never announced.
    ends2.mark_finished(["stored-run"]);
    page2.run("stored-run").await;
    assert_eq!(ends2.announced(), 1);
    let _ = storage().remove_item(NOTIFIED_KEY);
    drop(owner);
}
