//! The 100 000-run history benchmark (run by `bench/history.sh`, not by the test suite). It fills
//! a store with generated runs, then times the history tab's queries against raw IndexedDB
//! cursor reads of the same data measured in the same run, and prints ratios: these machines are
//! shared and noisy, so absolute times mean little on their own.
#![cfg(all(target_arch = "wasm32", feature = "bench"))]

use comfy_dashboard::store::idb::{Database, Direction, KeyRange, TransactionMode};
use comfy_dashboard::store::RunStore;
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::run::{NodeRecord, Run, RunSource, RunStatus};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/bench.rs"]
mod bench;
use bench::{chunks, now, Draws};

const RUNS: usize = 100_000;
const CHUNK: usize = 2_000;
const REPEATS: usize = 5;
const WORKFLOWS: [&str; 5] = ["txt2img", "upscale", "video", "inpaint", "controlnet"];
const GPUS: [&str; 3] = ["RTX 4090", "A100", "RTX 3090"];

fn generate(i: usize) -> Run {
    let mut draws = Draws::of(i);
    let mut next = |n: u64| draws.next(n);
    let start = 1_760_000_000_000.0 + i as f64 * 60_000.0;
    let mut run = Run::new(
        "http://127.0.0.1:8188",
        &format!("bench-{i:06}"),
        RunSource::Stream,
        start,
    );
    run.status = match next(20) {
        0 => RunStatus::Failed,
        1 => RunStatus::Interrupted,
        _ => RunStatus::Succeeded,
    };
    run.server_started_ms = Some(start as i64);
    run.server_ended_ms = Some(start as i64 + 2_000 + next(120_000) as i64);
    run.workflow = Some(WORKFLOWS[next(5) as usize].to_owned());
    run.gpu_name = Some(GPUS[next(3) as usize].to_owned());
    for (n, class) in ["CheckpointLoader", "KSampler", "VAEDecode", "SaveImage"]
        .iter()
        .enumerate()
    {
        let mut node = NodeRecord::new(&n.to_string());
        node.class_type = Some((*class).to_owned());
        run.nodes.push(node);
    }
    run.node_total = Some(4);
    run
}

/// The same first page and count as the scan, for `q`.
async fn same_as_scan(store: &RunStore, scan: &RunStore, q: &HistoryQuery) {
    let ours = store.page(q, None, 50).await.expect("page");
    let theirs = scan.page(q, None, 50).await.expect("scan page");
    let keys =
        |p: &comfy_dashboard::store::Page| p.runs.iter().map(|r| r.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&ours), keys(&theirs), "{:?}", q.text);
    assert_eq!(
        store.count(q).await.expect("count"),
        scan.count(q).await.expect("scan count"),
        "{:?}",
        q.text
    );
}

async fn median_ms<F, Fut>(mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::new();
    for _ in 0..REPEATS {
        let t = now();
        f().await;
        times.push(now() - t);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

/// The first search of a page load (a fresh connection reads its snapshot, then the entries and
/// removals written since), median of [`REPEATS`] ms; `text` has 10 matches. The first load's
/// answers to `checks` are compared with the scan's.
async fn first_search_of_a_page_load(
    name: &str,
    text: &HistoryQuery,
    scan: &RunStore,
    checks: [&HistoryQuery; 2],
) -> f64 {
    let mut times = Vec::new();
    for i in 0..REPEATS {
        let cold = RunStore::open_named(name).await.expect("page load");
        let t = now();
        cold.enable_text_index();
        let first = cold.page(text, None, 50).await.expect("page");
        times.push(now() - t);
        assert_eq!(first.runs.len(), 10);
        if i == 0 {
            // Read from the snapshot: still the scan's answers.
            for q in checks {
                same_as_scan(&cold, scan, q).await;
            }
        }
        cold.close();
    }
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

/// The first search of a page with no texts yet, ms (once: a single sample).
async fn first_search_ever(name: &str, text: &HistoryQuery) -> f64 {
    let cold = RunStore::open_named(name).await.expect("open");
    let t = now();
    cold.enable_text_index();
    let first = cold.page(text, None, 50).await.expect("page");
    let ms = now() - t;
    assert_eq!(first.runs.len(), 10);
    cold.close();
    ms
}

/// Deletes the sealed spans and the snapshot, as on a store written before spans.
async fn forget_spans_and_snapshot(name: &str) {
    let raw = Database::open_plain(name, None, None).await.expect("raw");
    let tx = raw
        .transaction(&["meta"], TransactionMode::ReadWrite)
        .expect("tx");
    let meta = tx.store("meta").expect("meta");
    let spans = KeyRange::bound(&"search_span:".into(), &"search_span;".into(), None, None);
    meta.delete(spans.expect("range").into())
        .await
        .expect("spans");
    meta.delete("search_snapshot".into())
        .await
        .expect("snapshot");
    tx.done().await.expect("done");
    raw.close();
}

#[wasm_bindgen_test]
async fn history_store_at_100k_runs() {
    let name = "bench-history-100k";
    let _ = Database::delete(name).await;
    let store = RunStore::open_named(name).await.expect("store opens");
    // Filled through the live writer's path (merged with what is stored, search entries in the
    // same transaction).
    let fill_start = now();
    for records in chunks(RUNS, CHUNK, generate) {
        store.put_merged(&records).await.expect("put");
    }
    let fill_ms = now() - fill_start;
    let raw = Database::open_plain(name, None, None)
        .await
        .expect("raw open");
    // The same store without the index: today's scan, the baseline for free text.
    let scan = RunStore::open_named(name).await.expect("scan open");

    let all = HistoryQuery::default();
    let failed = HistoryQuery {
        status: Some(RunStatus::Failed),
        ..HistoryQuery::default()
    };
    let text = HistoryQuery {
        text: Some("bench-09999".into()),
        ..HistoryQuery::default()
    };

    let ours_first = median_ms(|| async {
        store.page(&all, None, 50).await.expect("page");
    })
    .await;
    let raw_first = median_ms(|| async {
        let tx = raw
            .transaction(&["runs"], TransactionMode::ReadOnly)
            .expect("tx");
        let idx = tx
            .store("runs")
            .expect("store")
            .index("start_ms")
            .expect("index");
        idx.scan(None, Some(50), None, Some(Direction::Prev))
            .await
            .expect("scan");
    })
    .await;
    let ours_status = median_ms(|| async {
        store.page(&failed, None, 50).await.expect("page");
    })
    .await;
    let ours_count_status = median_ms(|| async {
        store.count(&failed).await.expect("count");
    })
    .await;
    // A fresh connection has no search texts yet. The first history page ever reads the
    // spans of 5 000 entries the writes sealed (`search_spans`) and the entries after them
    // (on a database from before the search store, it backfills it first; not here). The page
    // goes before it stores the texts in one piece (`search_snapshot`).
    let ours_text_cold = first_search_ever(name, &text).await;
    // A store written before spans has none: that first page reads every entry.
    forget_spans_and_snapshot(name).await;
    let ours_text_cold_entries = first_search_ever(name, &text).await;
    store.enable_text_index();
    // The same answers as the scan, page and count, for every free-text query timed here.
    let same = |q: HistoryQuery| {
        let (store, scan) = (store.clone(), scan.clone());
        async move { same_as_scan(&store, &scan, &q).await }
    };
    let scan_text_page = median_ms(|| async {
        scan.page(&text, None, 50).await.expect("page");
    })
    .await;
    let scan_text_full = median_ms(|| async {
        scan.page(&text, None, 50).await.expect("page");
        scan.count(&text).await.expect("count");
    })
    .await;
    let ours_text_full = median_ms(|| async {
        store.page(&text, None, 50).await.expect("page");
        store.count(&text).await.expect("count");
    })
    .await;
    let ours_text = median_ms(|| async {
        store.page(&text, None, 50).await.expect("page");
    })
    .await;
    let ours_text_count = median_ms(|| async {
        assert_eq!(store.count(&text).await.expect("count"), 10);
    })
    .await;
    let broad = HistoryQuery {
        text: Some("ksampler".into()),
        ..HistoryQuery::default()
    };
    let ours_broad = median_ms(|| async {
        store.page(&broad, None, 50).await.expect("page");
    })
    .await;
    let ours_broad_count = median_ms(|| async {
        assert_eq!(store.count(&broad).await.expect("count"), RUNS as u64);
    })
    .await;
    let short = HistoryQuery {
        text: Some("42".into()),
        ..HistoryQuery::default()
    };
    let ours_short = median_ms(|| async {
        store.page(&short, None, 50).await.expect("page");
    })
    .await;
    let text_failed = HistoryQuery {
        text: Some("bench-0999".into()),
        status: Some(RunStatus::Failed),
        ..HistoryQuery::default()
    };
    let ours_text_failed = median_ms(|| async {
        store.page(&text_failed, None, 50).await.expect("page");
        store.count(&text_failed).await.expect("count");
    })
    .await;
    for q in [&text, &broad, &short, &text_failed] {
        same(q.clone()).await;
    }
    // Every later page load: the snapshot, then the entries written since (none here).
    let checks = [&short, &text_failed];
    let ours_text_load = first_search_of_a_page_load(name, &text, &scan, checks).await;
    // After another write, the next search first reads the new search entries.
    let mut extra = 0;
    let ours_after_write = median_ms(|| {
        extra += 1;
        let run = StoredRun::from_run(&generate(RUNS + extra));
        let store = store.clone();
        let text = text.clone();
        async move {
            store.put_merged(&[run]).await.expect("put");
            store.page(&text, None, 50).await.expect("page");
        }
    })
    .await;
    // A person deleted runs: the next search reads the removal markers (`search_removed.rs`),
    // not every entry again. Ten runs each time, none of them a match.
    let mut gone = 0;
    let ours_after_delete = median_ms(|| {
        let keys: Vec<String> = (0..10)
            .map(|_| {
                gone += 1;
                StoredRun::from_run(&generate(gone * 7)).key
            })
            .collect();
        let store = store.clone();
        let text = text.clone();
        async move {
            store.delete(&keys).await.expect("delete");
            store.page(&text, None, 50).await.expect("page");
        }
    })
    .await;
    // And on the next page load: the snapshot, then the entries and removals since.
    let ours_load_after_delete = first_search_of_a_page_load(name, &text, &scan, checks).await;
    // The naive way: read every record with a cursor and filter in the page.
    let raw_scan = median_ms(|| async {
        let tx = raw
            .transaction(&["runs"], TransactionMode::ReadOnly)
            .expect("tx");
        let rows = tx
            .store("runs")
            .expect("store")
            .scan(None, None, None, None)
            .await
            .expect("scan");
        let wanted = wasm_bindgen::JsValue::from_str("failed");
        let n = rows
            .iter()
            .filter(|(_, v)| {
                js_sys::Reflect::get(v, &"status".into())
                    .map(|s| s == wanted)
                    .unwrap_or(false)
            })
            .count();
        assert!(n > 0);
    })
    .await;
    let count = store.count(&all).await.expect("count");
    assert_eq!(count as usize, RUNS + extra - gone);

    let line = |what: &str, ours: f64, base: &str, raw: f64| {
        format!(
            "| {what} | {ours:.1} | {base} | {raw:.1} | {:.2} |",
            ours / raw
        )
    };
    let table = [
        format!("store filled with {RUNS} runs in {:.1} s", fill_ms / 1000.0),
        "| query | ours (ms, median of 5) | baseline (same run) | baseline (ms) | ratio |"
            .to_owned(),
        "|---|---|---|---|---|".to_owned(),
        line(
            "first page, newest first",
            ours_first,
            "raw cursor: 50 from the start_ms index",
            raw_first,
        ),
        line(
            "first page, status=failed",
            ours_status,
            "raw cursor: 50 from the start_ms index",
            raw_first,
        ),
        line(
            "count, status=failed",
            ours_count_status,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "first page, free text `bench-09999` (10 matches), first search of the first history page ever (the sealed spans + entries after them)",
            ours_text_cold,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "the same on a store written before spans (reads every entry)",
            ours_text_cold_entries,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "first page, free text `bench-09999`, first search right after a page load (snapshot + entries since)",
            ours_text_load,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "first page, free text `bench-09999`",
            ours_text,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "first page + count (the list), free text `bench-09999`",
            ours_text_full,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "scan (no index): first page, free text `bench-09999`",
            scan_text_page,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "scan (no index): first page + count, free text `bench-09999`",
            scan_text_full,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "count, free text `bench-09999`",
            ours_text_count,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "put 1 run, then first page of `bench-09999`",
            ours_after_write,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "delete 10 runs, then first page of `bench-09999`",
            ours_after_delete,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "first page of `bench-09999` right after a page load, after those deletions",
            ours_load_after_delete,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "first page, free text `ksampler` (every run: key read)",
            ours_broad,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "count, free text `ksampler` (every run)",
            ours_broad_count,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "first page, free text `42` (2 chars)",
            ours_short,
            "raw full scan + filter",
            raw_scan,
        ),
        line(
            "first page + count, `bench-0999` and status=failed",
            ours_text_failed,
            "raw full scan + filter",
            raw_scan,
        ),
    ];
    for l in table {
        console_log!("{l}");
    }
    store.close();
    scan.close();
    raw.close();
    let _ = Database::delete(name).await;
}
