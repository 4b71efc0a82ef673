//! The store writer's overflow in a real browser: a backlog too big for a merged write is
//! spilled (one put, nothing read) and folded into `runs` when the writer is idle, merged like
//! any write, searchable, and gone with a clear; runs deleted on the page stay deleted.
#![cfg(target_arch = "wasm32")]

#[path = "support/store_data.rs"]
mod data;
#[path = "support/wasm_memory.rs"]
mod wasm_memory;

use comfy_dashboard::store::{RunStore, StoreWriter};
use data::*;
use gloo_timers::future::TimeoutFuture;
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::run::{Run, RunSource, RunStatus};
use wasm_bindgen_test::*;
use wasm_memory::wasm_bytes;

wasm_bindgen_test_configure!(run_in_browser);

fn ended(i: usize, status: RunStatus) -> Run {
    let mut run = Run::new("s", &format!("flood-{i:04}"), RunSource::Stream, BASE);
    run.status = status;
    run.server_started_ms = Some(BASE as i64 + i as i64);
    run
}

fn spill_entries(entries: &[(String, wasm_bindgen::JsValue)]) -> usize {
    entries
        .iter()
        .filter(|(k, _)| k.starts_with("spill:"))
        .count()
}

/// Waits until `runs` holds `n` runs (the writer folds spill entries in when idle).
async fn stored_count(store: &RunStore, n: u64) -> u64 {
    let mut count = 0;
    for _ in 0..200 {
        count = store.count(&HistoryQuery::default()).await.unwrap();
        if count >= n {
            break;
        }
        TimeoutFuture::new(25).await;
    }
    count
}

#[wasm_bindgen_test]
async fn a_flood_of_ended_runs_is_spilled_then_folded_into_the_history() {
    let name = db_name("spill-flood");
    let store = RunStore::open_named(&name).await.unwrap();
    store.enable_text_index();
    let writer = StoreWriter::new(store.clone(), 400);
    // 600 runs end in one turn: far more than one merged write takes.
    let runs: Vec<Run> = (0..600).map(|i| ended(i, RunStatus::Succeeded)).collect();
    for run in &runs {
        writer.note(run, None, js_sys::Date::now());
    }
    assert_eq!(
        stored_count(&store, 600).await,
        600,
        "every run reaches the history"
    );
    assert_eq!(
        spill_entries(&meta_entries(&name).await),
        0,
        "no spill entry is left once folded in"
    );
    let hundreds = HistoryQuery {
        text: Some("flood-01".into()),
        ..Default::default()
    };
    assert_eq!(
        store.count(&hundreds).await.unwrap(),
        100,
        "folded runs are searchable"
    );
    let one = store.get("s|flood-0007").await.unwrap().expect("stored");
    assert_eq!(one.run.status, RunStatus::Succeeded);
    cleanup(store).await;
}

#[wasm_bindgen_test]
async fn folding_a_spill_in_only_adds_to_what_is_stored() {
    let name = db_name("spill-merge");
    let store = RunStore::open_named(&name).await.unwrap();
    // The run's end is stored; an older spill still holds it running.
    let mut end = ended(1, RunStatus::Succeeded);
    end.server_ended_ms = Some(BASE as i64 + 5000);
    store
        .put_merged(&[StoredRun::from_run(&end)])
        .await
        .unwrap();
    let older = ended(1, RunStatus::Running);
    let other = ended(2, RunStatus::Failed);
    store
        .spill(vec![
            StoredRun::from_run(&older),
            StoredRun::from_run(&other),
        ])
        .await
        .unwrap();
    assert_eq!(spill_entries(&meta_entries(&name).await), 1);

    assert_eq!(store.unspill(|_| false).await.unwrap(), Some(1));
    assert_eq!(
        store.unspill(|_| false).await.unwrap(),
        None,
        "one entry, folded once"
    );
    let kept = store.get("s|flood-0001").await.unwrap().expect("stored");
    assert_eq!(
        kept.run.status,
        RunStatus::Succeeded,
        "status never moves backwards"
    );
    assert_eq!(kept.run.server_ended_ms, Some(BASE as i64 + 5000));
    assert_eq!(
        store
            .get("s|flood-0002")
            .await
            .unwrap()
            .map(|r| r.run.status),
        Some(RunStatus::Failed)
    );
    cleanup(store).await;
}

#[wasm_bindgen_test]
async fn a_spill_does_not_bring_back_deleted_or_cleared_runs() {
    let name = db_name("spill-forget");
    let store = RunStore::open_named(&name).await.unwrap();
    let runs: Vec<StoredRun> = (0..10)
        .map(|i| StoredRun::from_run(&ended(i, RunStatus::Succeeded)))
        .collect();
    // A page spilled these, and went away before folding them in.
    store.spill(runs.clone()).await.unwrap();
    // This page's writer is told the person deleted two of them, then writes something else.
    let writer = StoreWriter::new(store.clone(), 400);
    let gone = vec!["s|flood-0003".to_owned(), "s|flood-0004".to_owned()];
    writer.forget(&gone);
    store.delete(&gone).await.unwrap();
    writer.note(&ended(50, RunStatus::Succeeded), None, js_sys::Date::now());
    assert_eq!(
        stored_count(&store, 9).await,
        9,
        "the spill is folded in when idle"
    );
    for key in &gone {
        assert!(store.get(key).await.unwrap().is_none(), "{key} came back");
    }

    // A clear takes spill entries with it.
    store.spill(runs.clone()).await.unwrap();
    writer.forget_all();
    store.clear().await.unwrap();
    assert_eq!(spill_entries(&meta_entries(&name).await), 0);
    assert_eq!(store.unspill(|_| false).await.unwrap(), None);
    assert_eq!(store.count(&HistoryQuery::default()).await.unwrap(), 0);
    cleanup(store).await;
}

/// What the benchmark's flood does to a page: runs end by the hundreds in turns of the event
/// loop that leave IndexedDB no time to answer. The page's wasm memory stays where it was
/// however many runs end (the first bursts warm it up: spills and folds overlap), and nothing
/// is lost on the way.
#[wasm_bindgen_test]
async fn a_long_flood_leaves_the_writer_and_wasm_memory_bounded() {
    const BURST: usize = 1_000;
    const BURSTS: usize = 8;
    let name = db_name("spill-bounded");
    let store = RunStore::open_named(&name).await.unwrap();
    let writer = StoreWriter::new(store.clone(), 400);
    // Read once the writer has settled into its rhythm (spills, folds between bursts).
    let mut settled = 0.0;
    for burst in 0..BURSTS {
        // One turn of the event loop: no IndexedDB answer can arrive within it.
        for i in burst * BURST..(burst + 1) * BURST {
            let mut run = ended(i, RunStatus::Succeeded);
            // A run as big as a real one: its node timings and outputs are what a backlog holds.
            run.workflow = Some("x".repeat(2_000));
            writer.note(&run, None, js_sys::Date::now());
        }
        if burst == 3 {
            settled = wasm_bytes();
        }
        TimeoutFuture::new(0).await;
    }
    let grown = wasm_bytes() - settled;
    // 4 000 more runs of ~2 kB each would be ~8 MB if they waited in the writer.
    assert!(
        grown < 2_000_000.0,
        "wasm memory grew {grown} bytes over 4 000 more ended runs"
    );
    assert_eq!(
        stored_count(&store, (BURST * BURSTS) as u64).await,
        (BURST * BURSTS) as u64,
        "every run reaches the history"
    );
    cleanup(store).await;
}
