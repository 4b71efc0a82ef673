//! Free-text search through the search store's index in a real browser, against the oracle:
//! every tab's writes and deletes, the live writer's merged writes, and the one-time backfill of
//! a store written before the search store.
#![cfg(target_arch = "wasm32")]

#[path = "support/store_data.rs"]
mod data;

use comfy_dashboard::store::idb::{Database, Direction, KeyRange, TransactionMode};
use comfy_dashboard::store::RunStore;
use data::*;
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::run::{NodeRecord, Run, RunSource, RunStatus};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The keys a text search finds, by page and by count, checked against each other.
async fn text_hits(store: &RunStore, text: &str) -> Vec<String> {
    let q = HistoryQuery {
        text: Some(text.into()),
        ..Default::default()
    };
    let keys = page_all(store, &q, 7).await;
    assert_eq!(store.count(&q).await.unwrap(), keys.len() as u64, "{text}");
    keys
}

#[wasm_bindgen_test]
async fn text_search_sees_every_tabs_writes_and_deletes() {
    let name = db_name("text-tabs");
    let ours = RunStore::open_named(&name).await.unwrap();
    // Another tab: its own connection and its own text index.
    let theirs = RunStore::open_named(&name).await.unwrap();
    ours.enable_text_index();
    theirs.enable_text_index();
    let all = stored(&generate(120, 5));
    ours.put(&all).await.unwrap();
    let ksampler = |runs: &[StoredRun]| {
        oracle(
            runs,
            &HistoryQuery {
                text: Some("ksampler".into()),
                ..Default::default()
            },
        )
    };
    assert_eq!(text_hits(&ours, "ksampler").await, ksampler(&all));
    assert_eq!(text_hits(&theirs, "ksampler").await, ksampler(&all));

    // The other tab writes a run with new text, then rewrites one without its KSampler.
    let mut fresh = Run::new(SERVERS[0], "fresh-prompt", RunSource::Stream, BASE + DAY);
    fresh.error = Some(telemetry_core::protocol::ExecutionError {
        prompt_id: "fresh-prompt".into(),
        node_id: None,
        node_type: None,
        exception_type: None,
        exception_message: Some("CUDA out of memory".into()),
        traceback: Vec::new(),
        executed: Vec::new(),
        timestamp: None,
    });
    let mut changed = all[0].run.clone();
    changed
        .nodes
        .retain(|n| n.class_type.as_deref() != Some("KSampler"));
    let written = [StoredRun::from_run(&fresh), StoredRun::from_run(&changed)];
    theirs.put(&written).await.unwrap();
    let mut now: Vec<StoredRun> = all.clone();
    now[0] = written[1].clone();
    now.push(written[0].clone());
    assert_eq!(
        text_hits(&ours, "out of memory").await,
        vec![written[0].key.clone()]
    );
    assert_eq!(text_hits(&ours, "ksampler").await, ksampler(&now));

    // The other tab deletes runs; our counts must not remember them.
    let gone: Vec<String> = ksampler(&now).into_iter().take(5).collect();
    theirs.delete(&gone).await.unwrap();
    now.retain(|r| !gone.contains(&r.key));
    assert_eq!(text_hits(&ours, "ksampler").await, ksampler(&now));
    // And our own deletes and clear.
    ours.delete(&[written[0].key.clone()]).await.unwrap();
    assert!(text_hits(&ours, "out of memory").await.is_empty());
    theirs.clear().await.unwrap();
    assert!(text_hits(&ours, "ksampler").await.is_empty());
    theirs.close();
    cleanup(ours).await;
}

/// The texts a few searches find, by every page given, against the oracle of `all`.
async fn same_as_oracle(pages: &[&RunStore], all: &[StoredRun]) {
    for text in ["ksampler", "p0042-23", "-23", "vaedecode", "1-1", "zzz"] {
        let q = HistoryQuery {
            text: Some(text.into()),
            ..Default::default()
        };
        for page in pages {
            assert_eq!(text_hits(page, text).await, oracle(all, &q), "{text}");
        }
    }
}

/// A deletion (by key, or retention's oldest runs) leaves one removal marker in the search
/// store: every tab's index takes the removed runs out by reading it alone, not every entry
/// again (issue #22), and finds exactly the runs left. A clear empties them.
#[wasm_bindgen_test]
async fn text_search_after_a_deletion_reads_only_the_removal() {
    let name = db_name("text-delete");
    let ours = page_load(&name).await;
    // Another tab: its own connection and its own text index.
    let theirs = page_load(&name).await;
    let mut all = stored(&generate(150, 23));
    ours.put(&all).await.unwrap();
    same_as_oracle(&[&ours, &theirs], &all).await;
    let read = |s: &RunStore| s.text_index_entries_read().unwrap();
    let (ours_before, theirs_before) = (read(&ours), read(&theirs));
    assert!(ours_before >= 150 && theirs_before >= 150);

    // Deleted by key, in one tab: both find exactly the rest, each reading one marker.
    let gone: Vec<String> = all.iter().step_by(15).map(|r| r.key.clone()).collect();
    ours.delete(&gone).await.unwrap();
    all.retain(|r| !gone.contains(&r.key));
    same_as_oracle(&[&ours, &theirs], &all).await;
    assert_eq!(read(&ours), ours_before + 1);
    assert_eq!(read(&theirs), theirs_before + 1);

    // Retention's oldest runs, by the other tab.
    let keep = all.len() as u32 - 60;
    assert_eq!(
        theirs
            .apply_retention(Some(keep), None, BASE)
            .await
            .unwrap(),
        60
    );
    let left = page_all(&ours, &HistoryQuery::default(), 500).await;
    all.retain(|r| left.contains(&r.key));
    assert_eq!(all.len(), keep as usize);
    same_as_oracle(&[&ours, &theirs], &all).await;
    assert_eq!(read(&ours), ours_before + 2);
    assert_eq!(read(&theirs), theirs_before + 2);

    // A removed run written again (an import) is found again: its entry comes after the marker.
    let back = stored(&generate(150, 23))
        .into_iter()
        .find(|r| r.key == gone[3])
        .unwrap();
    theirs.put(std::slice::from_ref(&back)).await.unwrap();
    all.push(back);
    same_as_oracle(&[&ours, &theirs], &all).await;

    // A page loaded now (no snapshot: fewer than 2000 entries) reads only what is stored.
    let fresh = page_load(&name).await;
    same_as_oracle(&[&fresh], &all).await;
    assert_eq!(read(&fresh), all.len() + 2);
    fresh.close();

    theirs.clear().await.unwrap();
    assert!(text_hits(&ours, "ksampler").await.is_empty());
    assert!(text_hits(&theirs, "1-1").await.is_empty());
    theirs.close();
    cleanup(ours).await;
}

/// The live writer's only path, `put_merged`, keeps the search store current: a new run, a
/// node that adds text, a progress write that adds none, retention and deletion.
#[wasm_bindgen_test]
async fn text_search_follows_merged_writes_and_removals() {
    let store = RunStore::open_named(&db_name("text-merged")).await.unwrap();
    store.enable_text_index();
    let mut run = Run::new(SERVERS[0], "merged-prompt", RunSource::Stream, BASE);
    run.status = RunStatus::Running;
    run.server_started_ms = Some(BASE as i64);
    let key = StoredRun::from_run(&run).key;
    let write = |run: &Run| {
        let store = store.clone();
        let record = StoredRun::from_run(run);
        async move { store.put_merged(&[record]).await.unwrap() }
    };
    assert_eq!(write(&run).await, 1);
    assert_eq!(text_hits(&store, "merged-prompt").await, vec![key.clone()]);
    assert!(text_hits(&store, "ksampler").await.is_empty());
    // A node starts: its class becomes searchable at once.
    let mut node = NodeRecord::new("3");
    node.class_type = Some("KSampler".into());
    run.nodes.push(node);
    assert_eq!(write(&run).await, 1);
    assert_eq!(text_hits(&store, "ksampler").await, vec![key.clone()]);
    // Progress adds no text: the record is written, the run is still found, once.
    run.progress_text = Some("step 3".into());
    assert_eq!(write(&run).await, 1);
    assert_eq!(text_hits(&store, "ksampler").await, vec![key.clone()]);
    // Retention takes the run's entry with it.
    let mut old = Run::new(
        SERVERS[1],
        "merged-old",
        RunSource::Stream,
        BASE - 9.0 * DAY,
    );
    old.server_started_ms = Some((BASE - 9.0 * DAY) as i64);
    old.nodes = run.nodes.clone();
    assert_eq!(write(&old).await, 1);
    assert_eq!(text_hits(&store, "ksampler").await.len(), 2);
    let gone = store.apply_retention(None, Some(7), BASE).await.unwrap();
    assert_eq!(gone, 1);
    assert_eq!(text_hits(&store, "ksampler").await, vec![key.clone()]);
    assert!(text_hits(&store, "merged-old").await.is_empty());
    // Deleted while still going, then written again as it goes on: found again.
    store.delete(std::slice::from_ref(&key)).await.unwrap();
    assert!(text_hits(&store, "ksampler").await.is_empty());
    assert_eq!(write(&run).await, 1);
    assert_eq!(text_hits(&store, "ksampler").await, vec![key.clone()]);
    // Deleted once finished, then a late frame (or our extension's catch-up replay) writes it
    // again: it stays deleted (`tombstones`), and search does not find it.
    run.status = RunStatus::Succeeded;
    assert_eq!(write(&run).await, 1);
    store.delete(std::slice::from_ref(&key)).await.unwrap();
    assert_eq!(write(&run).await, 0);
    assert!(text_hits(&store, "ksampler").await.is_empty());
    cleanup(store).await;
}

/// Runs already in today's record format, in a database from before the search store: the
/// data migration has nothing to rewrite, so only the backfill can make them searchable.
#[wasm_bindgen_test]
async fn text_search_backfills_runs_stored_before_the_search_store() {
    let name = db_name("backfill");
    let runs = generate(1_100, 13);
    let expected = stored(&runs);
    create_v1(&name, &[]).await;
    let db = Database::open_plain(&name, Some(1), None).await.unwrap();
    let tx = db
        .transaction(&["runs"], TransactionMode::ReadWrite)
        .unwrap();
    let values: Vec<JsValue> = expected
        .iter()
        .map(|r| js_sys::JSON::parse(&serde_json::to_string(r).unwrap()).unwrap())
        .collect();
    tx.store("runs")
        .unwrap()
        .put_all(values.into_iter().map(|v| (v, None)))
        .await
        .unwrap();
    tx.done().await.unwrap();
    db.close();

    let store = RunStore::open_named(&name).await.unwrap();
    store.enable_text_index();
    for text in ["p1042-", "CLIPText", "1-1", "zzz"] {
        let q = HistoryQuery {
            text: Some(text.into()),
            ..Default::default()
        };
        assert_eq!(
            text_hits(&store, text).await,
            oracle(&expected, &q),
            "{text}"
        );
    }
    cleanup(store).await;
}

/// The `search_snapshot` entry in `meta`, read through a connection of its own.
async fn snapshot_of(name: &str) -> Option<JsValue> {
    meta_entries(name)
        .await
        .into_iter()
        .find(|(k, _)| k == "search_snapshot")
        .map(|(_, v)| v)
}

fn number(value: &JsValue, field: &str) -> f64 {
    js_sys::Reflect::get(value, &field.into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// The current epoch and the highest seq of the search store.
async fn epoch_and_seq(name: &str) -> (f64, f64) {
    let epoch = meta_entries(name)
        .await
        .into_iter()
        .find(|(k, _)| k == "search_epoch")
        .map_or(0.0, |(_, v)| number(&v, "value"));
    let raw = Database::open_plain(name, None, None).await.unwrap();
    let tx = raw
        .transaction(&["search"], TransactionMode::ReadOnly)
        .unwrap();
    let top = tx
        .store("search")
        .unwrap()
        .index("seq")
        .unwrap()
        .scan(None, Some(1), None, Some(Direction::Prev))
        .await
        .unwrap();
    raw.close();
    (
        epoch,
        top.first().and_then(|(k, _)| k.as_f64()).unwrap_or(0.0),
    )
}

/// Waits (up to 30 s) for the history page's background write of a snapshot under the
/// current epoch.
async fn wait_for_snapshot(name: &str) -> JsValue {
    for _ in 0..300 {
        if let Some(s) = snapshot_of(name).await {
            if number(&s, "epoch") == epoch_and_seq(name).await.0 {
                return s;
            }
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
    }
    panic!("no search snapshot was written");
}

/// Stores a snapshot of our own making, as of the current epoch and highest seq.
async fn plant(name: &str, text: &str, ends: &[u32]) {
    let (epoch, seq) = epoch_and_seq(name).await;
    let entry = js_sys::Object::new();
    let set = |k: &str, v: JsValue| js_sys::Reflect::set(&entry, &k.into(), &v).unwrap();
    set("name", "search_snapshot".into());
    set("version", 1.0.into());
    set("value", seq.into());
    set("epoch", epoch.into());
    set("text", js_sys::Uint8Array::from(text.as_bytes()).into());
    set("ends", js_sys::Uint32Array::from(ends).into());
    let raw = Database::open_plain(name, None, None).await.unwrap();
    let tx = raw
        .transaction(&["meta"], TransactionMode::ReadWrite)
        .unwrap();
    tx.store("meta")
        .unwrap()
        .put(&entry.into(), None)
        .await
        .unwrap();
    tx.done().await.unwrap();
    raw.close();
}

async fn text_count(store: &RunStore, text: &str) -> u64 {
    let q = HistoryQuery {
        text: Some(text.into()),
        ..Default::default()
    };
    store.count(&q).await.unwrap()
}

/// How many removal markers the search store holds (array keys: after every string).
async fn markers(name: &str) -> u32 {
    let raw = Database::open_plain(name, None, None).await.unwrap();
    let tx = raw
        .transaction(&["search"], TransactionMode::ReadOnly)
        .unwrap();
    let range = KeyRange::lower_bound(&js_sys::Array::new(), Some(false)).unwrap();
    let n = tx
        .store("search")
        .unwrap()
        .count(Some(range))
        .await
        .unwrap();
    raw.close();
    n
}

/// A new page (connection) with search turned on.
async fn page_load(name: &str) -> RunStore {
    let store = RunStore::open_named(name).await.unwrap();
    store.enable_text_index();
    store
}

/// The texts stored in one piece (`search_snapshot`) answer later page loads as the entries
/// would, with the runs written since and the runs deleted since taken out (their removal
/// markers); a damaged snapshot is not used, nor is one below the floor of pruned markers.
#[wasm_bindgen_test]
async fn text_search_from_the_snapshot_equals_the_oracle() {
    let name = db_name("snapshot");
    let first = page_load(&name).await;
    let mut all = stored(&generate(2_100, 17));
    first.put(&all).await.unwrap();
    // The first search reads every entry; the page then stores them in one piece.
    assert_eq!(
        text_hits(&first, "p0042-17").await,
        vec![all[42].key.clone()]
    );
    first.close();
    let snapshot = wait_for_snapshot(&name).await;
    assert_eq!(number(&snapshot, "value"), epoch_and_seq(&name).await.1);

    // Written after the snapshot by another tab: new runs, and a run whose text changed.
    let writer = RunStore::open_named(&name).await.unwrap();
    let mut changed = all[0].run.clone();
    changed
        .nodes
        .retain(|n| n.class_type.as_deref() != Some("KSampler"));
    let mut later = stored(&generate(30, 18));
    later.push(StoredRun::from_run(&changed));
    writer.put(&later).await.unwrap();
    all[0] = later.pop().unwrap();
    all.extend(later);
    let check = |stage: &'static str, store: RunStore, all: Vec<StoredRun>| async move {
        for text in ["KSampler", "p0042-17", "-18", "vaedecode", "1-1", "zzz"] {
            let q = HistoryQuery {
                text: Some(text.into()),
                ..Default::default()
            };
            let (found, want) = (text_hits(&store, text).await, oracle(&all, &q));
            assert!(
                found == want,
                "{stage}: {text}: {} found, {} expected; read {:?}",
                found.len(),
                want.len(),
                store.text_index_entries_read()
            );
        }
        store.close();
    };
    check("stage 1", page_load(&name).await, all.clone()).await;
    // A page whose index stops here, before the deletions below (its background load done).
    let stale = page_load(&name).await;
    assert!(text_count(&stale, "ksampler").await > 0);
    gloo_timers::future::TimeoutFuture::new(300).await;

    // A page load trusts a snapshot of the current epoch and reads only the entries after it.
    // (One run, with a text of our own.)
    let key = all[1].key.clone();
    let k = key.len() as u32;
    plant(&name, &format!("{key}planted"), &[k, k + 7]).await;
    let trusting = page_load(&name).await;
    // A count of free text alone is the texts' own answer (a page re-checks each record's
    // stored text, so it shows none of the planted one).
    assert_eq!(text_count(&trusting, "planted").await, 1);
    assert_eq!(text_count(&trusting, "ksampler").await, 0);
    let mut newest = Run::new(SERVERS[1], "after-the-snapshot", RunSource::Stream, BASE);
    newest.server_started_ms = Some(BASE as i64);
    let newest = StoredRun::from_run(&newest);
    writer.put(std::slice::from_ref(&newest)).await.unwrap();
    assert_eq!(
        text_hits(&trusting, "after-the-snapshot").await,
        vec![newest.key.clone()]
    );
    trusting.close();
    all.push(newest);

    // A deletion leaves a marker after the snapshot's seq: the snapshot from before it is still
    // read (the page reads two entries: the run written since and the marker), and the run it
    // took out is not brought back by it.
    let gone = vec![key.clone(), all[5].key.clone()];
    writer.delete(&gone).await.unwrap();
    let third = all[7].key.clone();
    writer.delete(std::slice::from_ref(&third)).await.unwrap();
    all.retain(|r| !gone.contains(&r.key) && r.key != third);
    let after_delete = page_load(&name).await;
    assert_eq!(text_count(&after_delete, "planted").await, 0);
    assert_eq!(after_delete.text_index_entries_read(), Some(3));
    after_delete.close();

    // A damaged snapshot (offsets past its text) is read past; that page reads every entry and
    // stores a new snapshot, which drops the markers it covers but the newest and raises the
    // floor past the older one.
    plant(&name, &format!("{key}planted"), &[k, k + 99]).await;
    check("stage 2", page_load(&name).await, all.clone()).await;
    let top = epoch_and_seq(&name).await.1;
    let mut saved = false;
    for _ in 0..300 {
        if let Some(s) = snapshot_of(&name).await {
            let ends = js_sys::Reflect::get(&s, &"ends".into()).unwrap();
            if js_sys::Uint32Array::from(ends).length() as usize == 2 * all.len() {
                assert_eq!(number(&s, "value"), top);
                saved = true;
                break;
            }
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
    }
    assert!(saved, "no new snapshot");
    assert_eq!(markers(&name).await, 1);
    let floor = meta_entries(&name)
        .await
        .into_iter()
        .find(|(k, _)| k == "search_floor")
        .map_or(0.0, |(_, v)| number(&v, "value"));
    assert_eq!(floor, top - 1.0);
    // The page still below the floor missed a marker that is gone: it starts again from the
    // new snapshot (reading no entry), and finds what the others find.
    let stale_read = stale.text_index_entries_read();
    assert_eq!(text_count(&stale, "planted").await, 0);
    assert_eq!(stale.text_index_entries_read(), stale_read);
    check("stage 3", stale, all.clone()).await;
    check("stage 4", page_load(&name).await, all.clone()).await;
    writer.close();
    cleanup(RunStore::open_named(&name).await.unwrap()).await;
}
