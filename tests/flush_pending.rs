//! The page going away hands the coalescing window's batch on at once: a run's end that came in
//! just before a reload reaches the store's writer, and then the writer is told to write out what
//! it holds (`on_leave`), instead of waiting for a window the page no longer lives to see. Every
//! stream's flush runs on both page-leave events, until its owner stops listening.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::browser::page_leave::on_page_leave;
use comfy_dashboard::stream::{StreamConfig, StreamManager, StreamObserver};
use gloo_timers::future::TimeoutFuture;
use std::cell::Cell;
use std::cell::RefCell;
use std::rc::Rc;
use telemetry_core::endpoint::ServerBase;
use telemetry_core::pipeline::{Pipeline, UpdateBatch};
use telemetry_core::trace::{Payload, TraceFrame};
use telemetry_core::RunStatus;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The status of run "P" in each batch it was handed, and `None` for each time it was told the
/// page is leaving.
#[derive(Default)]
struct Recorder {
    seen: RefCell<Vec<Option<RunStatus>>>,
}

impl StreamObserver for Recorder {
    fn on_batch(&self, pipeline: &Pipeline, _: &UpdateBatch, _: f64) {
        let status = pipeline.tracker().run("P").map(|r| r.status);
        self.seen.borrow_mut().push(status);
    }

    fn on_leave(&self) {
        self.seen.borrow_mut().push(None);
    }
}

fn frame(text: &str) -> TraceFrame {
    TraceFrame {
        t_ms: 0.0,
        payload: Payload::Text(text.to_owned()),
    }
}

#[wasm_bindgen_test]
async fn a_run_end_inside_the_window_is_handed_on_when_the_page_flushes() {
    let recorder = Rc::new(Recorder::default());
    let config = StreamConfig {
        // A window the test never waits out: only flush_pending can hand the batch on.
        window_ms: 60_000.0,
        ..StreamConfig::default()
    };
    let server = ServerBase::parse("http://127.0.0.1:1").expect("address");
    let manager = StreamManager::new(config, server, "c-test".into(), recorder.clone());
    // The start leads (shown a display frame after it came); the end then falls inside the
    // window that began at that flush.
    manager.play_recording(vec![frame(
        r#"{"type":"execution_start","data":{"prompt_id":"P","timestamp":1000}}"#,
    )]);
    TimeoutFuture::new(100).await;
    assert_eq!(
        recorder.seen.borrow().last(),
        Some(&Some(RunStatus::Running)),
        "the start was shown at once"
    );
    manager.play_recording(vec![frame(
        r#"{"type":"execution_success","data":{"prompt_id":"P","timestamp":2000}}"#,
    )]);
    TimeoutFuture::new(100).await;
    let ended = Some(RunStatus::Succeeded);
    assert!(
        !recorder.seen.borrow().contains(&ended),
        "the window is still open: {:?}",
        recorder.seen.borrow()
    );
    assert_eq!(
        manager.with_pipeline(|p| p.tracker().run("P").map(|r| r.status)),
        ended,
        "both frames were fed"
    );

    manager.flush_pending();
    // The run's end first, then "leaving", so the writer's flush includes it.
    let seen = recorder.seen.borrow().clone();
    assert_eq!(seen[seen.len() - 2..], [ended, None], "{seen:?}");
    // Nothing is handed on twice: the window's batch is gone (only "leaving" again).
    let handed = recorder.seen.borrow().len();
    manager.flush_pending();
    assert_eq!(recorder.seen.borrow()[handed..], [None]);
    manager.stop();
}

fn dispatch(event: &str) {
    let window = web_sys::window().expect("window");
    let ev = web_sys::Event::new(event).expect("event");
    window.dispatch_event(&ev).expect("dispatched");
}

#[wasm_bindgen_test]
fn every_registered_flush_runs_when_the_page_leaves_until_it_stops_listening() {
    // Two streams (the live page's and a fleet card's), each with its own flush.
    let live = Rc::new(Cell::new(0));
    let fleet = Rc::new(Cell::new(0));
    let stop_live = on_page_leave({
        let live = live.clone();
        move || live.set(live.get() + 1)
    });
    let stop_fleet = on_page_leave({
        let fleet = fleet.clone();
        move || fleet.set(fleet.get() + 1)
    });
    dispatch("pagehide");
    dispatch("visibilitychange");
    assert_eq!((live.get(), fleet.get()), (2, 2));
    // The fleet card went away: its stream is no longer flushed, the live page's still is.
    stop_fleet();
    dispatch("pagehide");
    assert_eq!((live.get(), fleet.get()), (3, 2));
    stop_live();
    dispatch("pagehide");
    assert_eq!((live.get(), fleet.get()), (3, 2));
}
