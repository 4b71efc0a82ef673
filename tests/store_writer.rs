//! The store writer in a real browser: new states written at once, progress coalesced, a flood
//! of short runs that never piles up writes, and merged writes that never lose information.
#![cfg(target_arch = "wasm32")]

use comfy_dashboard::store::{RunStore, StoreWriter};
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::rc::Rc;
use telemetry_core::run::{Run, RunSource, RunStatus};
use wasm_bindgen_test::*;

#[path = "support/store_data.rs"]
mod data;

use data::*;

#[path = "support/wait.rs"]
mod wait;
use wait::wait_for;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn writer_writes_new_states_at_once_and_coalesces_progress() {
    let store = RunStore::open_named(&db_name("writer")).await.unwrap();
    // A window long enough that a loaded machine's late timers cannot close it before the
    // checks that say it is still open.
    let writer = StoreWriter::new(store.clone(), 3_000);
    let errors = Rc::new(RefCell::new(Vec::new()));
    let sink = errors.clone();
    writer.on_error(move |e| sink.borrow_mut().push(e));

    let mut run = Run::new("s", "live", RunSource::Stream, js_sys::Date::now());
    run.status = RunStatus::Running;
    for step in 0..20 {
        run.progress_text = Some(format!("step {step}"));
        writer.note(&run, None, js_sys::Date::now());
    }
    // A new run's first state goes out at once (a reload right after the start finds it), with
    // whatever arrived before the write: one write for the burst, long before the window.
    let burst = js_sys::Date::now();
    wait_for("the first state's write", 2_500.0, || writer.written() >= 1).await;
    assert!(js_sys::Date::now() - burst < 2_500.0);
    assert_eq!(writer.written(), 1);
    let got = store.get("s|live").await.unwrap().unwrap();
    assert_eq!(got.run.progress_text.as_deref(), Some("step 19"));
    // Further progress with the same status waits for the window, collapsed to the latest.
    for step in 20..40 {
        run.progress_text = Some(format!("step {step}"));
        writer.note(&run, None, js_sys::Date::now());
    }
    TimeoutFuture::new(100).await;
    assert_eq!(writer.written(), 1, "written before its window closed");
    wait_for("the window's write", 10_000.0, || writer.written() >= 2).await;
    assert_eq!(writer.written(), 2);
    let got = store.get("s|live").await.unwrap().unwrap();
    assert_eq!(got.run.progress_text.as_deref(), Some("step 39"));

    // A long window, yet the terminal state goes out at once.
    let slow = StoreWriter::new(store.clone(), 60_000);
    let mut other = Run::new("s", "ends", RunSource::Stream, js_sys::Date::now());
    other.status = RunStatus::Running;
    slow.note(&other, None, js_sys::Date::now());
    other.status = RunStatus::Succeeded;
    slow.note(&other, None, js_sys::Date::now());
    wait_for("the terminal state's write", 10_000.0, || {
        slow.written() >= 1
    })
    .await;
    assert_eq!(
        store.get("s|ends").await.unwrap().map(|r| r.status),
        Some("succeeded".to_owned())
    );
    assert_eq!(slow.written(), 1);
    // Still terminal: back to the window.
    other.progress_text = Some("late output".into());
    slow.note(&other, None, js_sys::Date::now());
    TimeoutFuture::new(150).await;
    assert_eq!(slow.written(), 1);
    slow.flush_now();
    wait_for("the flushed write", 10_000.0, || slow.written() >= 2).await;
    assert_eq!(slow.written(), 2);
    assert_eq!(
        store
            .get("s|ends")
            .await
            .unwrap()
            .and_then(|r| r.run.progress_text),
        Some("late output".to_owned())
    );
    assert!(errors.borrow().is_empty());
    assert_eq!(writer.last_error(), None);
    cleanup(store).await;
}

#[wasm_bindgen_test]
async fn a_flood_of_short_runs_never_piles_up_writes_and_loses_none() {
    // Hundreds of runs a second, each new and at once terminal (due now): while transactions
    // are open (at most two: progress, and new statuses) the rest wait and go together into
    // the next, so IndexedDB never has a pile of them (each holding its records) and nothing
    // is dropped.
    let store = RunStore::open_named(&db_name("flood")).await.unwrap();
    let writer = StoreWriter::new(store.clone(), 400);
    let mut most = 0;
    for i in 0..300 {
        let mut run = Run::new(
            "s",
            &format!("f{i}"),
            RunSource::Stream,
            js_sys::Date::now(),
        );
        run.status = RunStatus::Succeeded;
        writer.note(&run, None, js_sys::Date::now());
        if i % 10 == 9 {
            TimeoutFuture::new(1).await;
        }
        most = most.max(writer.writes_in_flight());
    }
    // Until idle, not only until the 300th run is written: on a loaded machine the writer falls
    // behind and spills, and after the fold that writes the last runs it takes its slot once
    // more to look for another spill entry (`unspill_when_idle`).
    for _ in 0..100 {
        if writer.written() == 300 && writer.writes_in_flight() == 0 {
            break;
        }
        TimeoutFuture::new(50).await;
        most = most.max(writer.writes_in_flight());
    }
    assert_eq!(writer.written(), 300, "every run written");
    assert!(
        (1..=2).contains(&most),
        "at most two writes in flight: {most}"
    );
    assert_eq!(writer.writes_in_flight(), 0);
    assert!(store.get("s|f299").await.unwrap().is_some());
    cleanup(store).await;
}

#[wasm_bindgen_test]
async fn a_poorer_write_never_overwrites_a_richer_record() {
    let store = RunStore::open_named(&db_name("merged")).await.unwrap();
    let mut rich = Run::new("s", "p", RunSource::Stream, 1.0);
    rich.status = RunStatus::Succeeded;
    rich.server_started_ms = Some(1_000);
    rich.server_ended_ms = Some(2_400);
    rich.ended_at_ms = Some(2_500.0);
    store
        .put(&[telemetry_core::history::StoredRun::from_run(&rich)])
        .await
        .unwrap();
    // A reload restored it as running, without server times: writing that adds nothing.
    let mut poor = Run::new("s", "p", RunSource::Stream, 1.0);
    poor.status = RunStatus::Running;
    let written = store
        .put_merged(&[telemetry_core::history::StoredRun::from_run(&poor)])
        .await
        .unwrap();
    assert_eq!(written, 0);
    let got = store.get("s|p").await.unwrap().unwrap();
    assert_eq!(got.status, "succeeded");
    assert_eq!(got.duration_ms, 1_400.0, "the server's duration is kept");
    // Something new (progress text) is written, merged: still succeeded, same duration.
    poor.progress_text = Some("late".into());
    let written = store
        .put_merged(&[telemetry_core::history::StoredRun::from_run(&poor)])
        .await
        .unwrap();
    assert_eq!(written, 1);
    let got = store.get("s|p").await.unwrap().unwrap();
    assert_eq!(got.status, "succeeded");
    assert_eq!(got.duration_ms, 1_400.0);
    assert_eq!(got.run.progress_text.as_deref(), Some("late"));
}
