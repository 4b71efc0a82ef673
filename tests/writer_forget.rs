//! A run the person deletes stays deleted while the page is open: the store writer drops what is
//! pending for it and does not write it again when the run's finished state is noted later (the
//! start-up history read settling it, a details read). CI saw the deleted row come back when
//! the page's start-up read landed just after the delete.
#![cfg(target_arch = "wasm32")]

#[path = "support/store_data.rs"]
mod data;

use comfy_dashboard::store::{RunStore, StoreWriter};
use data::*;
use gloo_timers::future::TimeoutFuture;
use telemetry_core::run::{Run, RunSource, RunStatus};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_deleted_run_is_not_written_again_by_later_notes() {
    let store = RunStore::open_named(&db_name("forget")).await.unwrap();
    let writer = StoreWriter::new(store.clone(), 400);
    let mut done = Run::new("s", "done", RunSource::Stream, js_sys::Date::now());
    done.status = RunStatus::Succeeded;
    writer.note(&done, None, js_sys::Date::now());
    let mut going = Run::new("s", "going", RunSource::Stream, js_sys::Date::now());
    going.status = RunStatus::Running;
    writer.note(&going, None, js_sys::Date::now());
    TimeoutFuture::new(150).await;
    assert!(store.get("s|done").await.unwrap().is_some());

    // Progress pending for the finished run when it is deleted, then its settled state.
    done.progress_text = Some("late".into());
    writer.note(&done, None, js_sys::Date::now());
    let keys = vec!["s|done".to_owned(), "s|going".to_owned()];
    writer.forget(&keys);
    store.delete(&keys).await.unwrap();
    done.server_ended_ms = Some(1);
    writer.note(&done, None, js_sys::Date::now());
    // The run still going was deleted too; it is written again as it goes on.
    going.progress_text = Some("step 2".into());
    writer.note(&going, None, js_sys::Date::now());
    writer.flush_now();
    TimeoutFuture::new(200).await;

    assert_eq!(
        store.get("s|done").await.unwrap().map(|r| r.status),
        None,
        "came back"
    );
    assert!(store.get("s|going").await.unwrap().is_some());
    cleanup(store).await;
}
