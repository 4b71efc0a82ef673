//! The search entries' spans (`search_spans`): a page with no usable snapshot applies the spans
//! the writes sealed instead of reading every entry, and finds what the oracle finds, with runs
//! rewritten and deleted after their span; a snapshot drops the spans it covers, a clear drops
//! them all; a span sealed after its range's markers were pruned is not used from before them;
//! two tabs writing at once seal spans that still answer as the entries would.
#![cfg(target_arch = "wasm32")]

#[path = "support/store_data.rs"]
mod data;

use comfy_dashboard::store::idb::{Database, TransactionMode};
use comfy_dashboard::store::RunStore;
use data::*;
use telemetry_core::history::{HistoryQuery, StoredRun};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn text(needle: &str) -> HistoryQuery {
    HistoryQuery {
        text: Some(needle.into()),
        ..Default::default()
    }
}

/// The spans stored (their numbers), read through a connection of its own.
async fn spans(name: &str) -> Vec<f64> {
    meta_entries(name)
        .await
        .into_iter()
        .filter(|(k, _)| k.starts_with("search_span:"))
        .filter_map(|(_, v)| js_sys::Reflect::get(&v, &"value".into()).ok()?.as_f64())
        .collect()
}

async fn has_snapshot(name: &str) -> bool {
    meta_entries(name)
        .await
        .iter()
        .any(|(k, _)| k == "search_snapshot")
}

/// Waits (up to 30 s) until `done` holds of the database.
async fn wait_until<F, Fut>(name: &str, what: &str, mut done: F)
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if done(name.to_owned()).await {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
    }
    panic!("waited in vain for {what}");
}

/// A new page with search on: its answers to narrow needles (page by page) and to broad ones
/// (counts) are the oracle's. Returns how many entries it read one by one.
async fn check(name: &str, all: &[StoredRun], narrow: &[&str]) -> usize {
    let page = RunStore::open_named(name).await.unwrap();
    page.enable_text_index();
    for needle in narrow {
        let q = text(needle);
        assert_eq!(page_all(&page, &q, 7).await, oracle(all, &q), "{needle}");
    }
    for needle in ["ksampler", "vaedecode", "txt2img", "zzz"] {
        let q = text(needle);
        let want = oracle(all, &q).len() as u64;
        assert_eq!(page.count(&q).await.unwrap(), want, "{needle}");
    }
    let read = page.text_index_entries_read().unwrap();
    page.close();
    read
}

#[wasm_bindgen_test]
async fn spans_answer_the_first_history_page_as_the_entries_would() {
    let name = db_name("spans");
    let writer = RunStore::open_named(&name).await.unwrap();
    let mut all = stored(&generate(11_000, 31));
    for chunk in all[..6_000].chunks(1_000) {
        writer.put(chunk).await.unwrap();
    }
    // Span 0 (seqs 1..=5000) is sealed. A run of it rewritten without its node types, and two
    // of it deleted, after it was sealed.
    assert_eq!(spans(&name).await, vec![0.0]);
    let mut changed = all[42].run.clone();
    changed.nodes.clear();
    changed.workflow = Some("rewritten-after-its-span".into());
    all[42] = StoredRun::from_run(&changed);
    writer.put(std::slice::from_ref(&all[42])).await.unwrap();
    let gone = vec![all[7].key.clone(), all[4_321].key.clone()];
    writer.delete(&gone).await.unwrap();
    for chunk in all[6_000..].chunks(1_000) {
        writer.put(chunk).await.unwrap();
    }
    all.retain(|r| !gone.contains(&r.key));
    assert_eq!(spans(&name).await, vec![0.0, 1.0]);

    // The first history page: both spans, then the ~1 000 entries after them one by one.
    let narrow = [
        "p0042-31",
        "rewritten-after",
        "p0007-31",
        "p4321-31",
        "p10999-31",
    ];
    let read = check(&name, &all, &narrow).await;
    assert!(read < 1_100, "read {read} entries one by one");
    // Its snapshot covers both spans: they go.
    wait_until(
        &name,
        "the snapshot",
        |n| async move { has_snapshot(&n).await },
    )
    .await;
    wait_until(&name, "the spans to go", |n| async move {
        spans(&n).await.is_empty()
    })
    .await;

    // Span 2 is sealed after the snapshot: a page applies the part of it past the snapshot.
    let more = stored(&generate(4_100, 32));
    writer.put(&more).await.unwrap();
    all.extend(more);
    assert_eq!(spans(&name).await, vec![2.0]);
    let read = check(&name, &all, &["p0042-31", "p4099-32", "p0007-31"]).await;
    assert!(read < 200, "read {read} entries one by one");

    // A clear drops every span with the entries.
    writer.clear().await.unwrap();
    assert!(spans(&name).await.is_empty());
    assert_eq!(check(&name, &[], &["p0042-31"]).await, 0);
    writer.close();
    cleanup(RunStore::open_named(&name).await.unwrap()).await;
}

/// Pruned markers the way a snapshot's write before spans pruned them: the marker at `seq`
/// deleted and the floor raised to it.
async fn prune_marker(name: &str, seq: f64) {
    let raw = Database::open_plain(name, None, None).await.unwrap();
    let tx = raw
        .transaction(&["search", "meta"], TransactionMode::ReadWrite)
        .unwrap();
    tx.store("search")
        .unwrap()
        .delete(js_sys::Array::of1(&seq.into()).into())
        .await
        .unwrap();
    let floor = js_sys::Object::new();
    js_sys::Reflect::set(&floor, &"name".into(), &"search_floor".into()).unwrap();
    js_sys::Reflect::set(&floor, &"value".into(), &seq.into()).unwrap();
    tx.store("meta")
        .unwrap()
        .put(&floor.into(), None)
        .await
        .unwrap();
    tx.done().await.unwrap();
    raw.close();
}

/// Span 1, sealed after the marker of a run that span 0 holds was pruned, lacks that marker:
/// a page starting from span 0 does not use it, and reads every entry instead.
#[wasm_bindgen_test]
async fn a_span_missing_pruned_markers_is_not_used_from_below_them() {
    let name = db_name("spans-floor");
    let writer = RunStore::open_named(&name).await.unwrap();
    let mut all = stored(&generate(5_000, 41));
    writer.put(&all).await.unwrap();
    let (a, b) = (all[10].key.clone(), all[20].key.clone());
    writer.delete(std::slice::from_ref(&a)).await.unwrap();
    writer.delete(std::slice::from_ref(&b)).await.unwrap();
    all.retain(|r| r.key != a && r.key != b);
    prune_marker(&name, 5_001.0).await;
    let more = stored(&generate(5_000, 42));
    writer.put(&more).await.unwrap();
    all.extend(more);
    assert_eq!(spans(&name).await, vec![0.0, 1.0]);
    let read = check(&name, &all, &["p0010-41", "p0020-41", "p0030-41"]).await;
    assert!(read > 9_000, "read {read} entries one by one");
    writer.close();
    cleanup(RunStore::open_named(&name).await.unwrap()).await;
}

/// Two tabs write at once, across span boundaries, with deletions between: each span is sealed
/// in a transaction of its own, queued behind whatever writes came first, and a new page still
/// finds what the oracle finds.
#[wasm_bindgen_test]
async fn spans_sealed_while_two_tabs_write_answer_as_the_entries_would() {
    let name = db_name("spans-tabs");
    let ours = RunStore::open_named(&name).await.unwrap();
    let theirs = RunStore::open_named(&name).await.unwrap();
    let write = |store: RunStore, runs: Vec<StoredRun>| async move {
        let mut gone = Vec::new();
        for (i, chunk) in runs.chunks(500).enumerate() {
            store.put(chunk).await.unwrap();
            if i % 3 == 1 {
                store.delete(&[chunk[7].key.clone()]).await.unwrap();
                gone.push(chunk[7].key.clone());
            }
        }
        gone
    };
    let (a, b) = (stored(&generate(6_000, 51)), stored(&generate(6_000, 52)));
    let (gone_a, gone_b) = futures::join!(
        write(ours.clone(), a.clone()),
        write(theirs.clone(), b.clone())
    );
    let mut all = a;
    all.extend(b);
    all.retain(|r| !gone_a.contains(&r.key) && !gone_b.contains(&r.key));
    // 12 000 entries and 8 markers: two spans.
    assert_eq!(spans(&name).await, vec![0.0, 1.0]);
    let narrow = ["p0007-51", "p0507-52", "p1507-51", "p5999-52"];
    let read = check(&name, &all, &narrow).await;
    assert!(read < 2_100, "read {read} entries one by one");
    theirs.close();
    ours.close();
    cleanup(RunStore::open_named(&name).await.unwrap()).await;
}
