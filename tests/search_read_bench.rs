//! Where the first free-text search of a page load goes at 100 000 runs (issue #22): reading
//! the `search` store's entries from IndexedDB, turning them into Rust strings, and building the
//! in-memory structure from them, each timed on its own. Not part of the test run:
//! `cargo test --release -p comfy-dashboard --target wasm32-unknown-unknown --features bench
//! --test search_read_bench -- --nocapture`.
#![cfg(all(target_arch = "wasm32", feature = "bench"))]

use comfy_dashboard::store::idb::{Database, KeyRange, TransactionMode};
use comfy_dashboard::store::RunStore;
use serde::Deserialize;
use std::borrow::Cow;
use telemetry_core::history::TextArena;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/bench.rs"]
mod bench;
use bench::now;

const RUNS: usize = 100_000;
const CHUNK: u32 = 5_000;

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    k: Cow<'a, str>,
    #[serde(borrow)]
    t: Cow<'a, str>,
    s: f64,
}

#[path = "../core/tests/common/bench_texts.rs"]
mod bench_texts;
use bench_texts::text;

async fn fill(name: &str, len: usize) {
    let db = Database::open_plain(name, None, None)
        .await
        .expect("raw open");
    for from in (0..RUNS).step_by(CHUNK as usize) {
        let tx = db
            .transaction(&["search"], TransactionMode::ReadWrite)
            .expect("tx");
        let values = (from..from + CHUNK as usize).map(|i| {
            let o = js_sys::Object::new();
            let key = format!("http://127.0.0.1:8188|bench-{i:06}");
            let _ = js_sys::Reflect::set(&o, &"k".into(), &key.into());
            let _ = js_sys::Reflect::set(&o, &"t".into(), &text(i, len).into());
            let _ = js_sys::Reflect::set(&o, &"s".into(), &JsValue::from_f64(i as f64 + 1.0));
            (JsValue::from(o), None)
        });
        tx.store("search")
            .expect("store")
            .put_all(values)
            .await
            .expect("put");
        tx.done().await.expect("done");
    }
    db.close();
}

/// Reads every entry in seq order, `chunk` per read-only transaction, as the index's catch-up
/// does; `each` gets every chunk's values.
async fn read(db: &Database, chunk: u32, mut each: impl FnMut(Vec<JsValue>)) -> usize {
    let mut seq = 0.0;
    let mut n = 0;
    loop {
        let tx = db
            .transaction(&["search"], TransactionMode::ReadOnly)
            .expect("tx");
        let after = KeyRange::lower_bound(&JsValue::from_f64(seq), Some(true)).expect("range");
        let values = tx
            .store("search")
            .expect("store")
            .index("seq")
            .expect("index")
            .get_all(Some(after), Some(chunk))
            .await
            .expect("get_all");
        drop(tx);
        let read = values.len();
        n += read;
        if let Some(last) = values.last() {
            seq = js_sys::Reflect::get(last, &"s".into())
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or(seq);
        }
        each(values);
        if (read as u32) < chunk {
            return n;
        }
    }
}

/// The index's decode: the chunk as one JSON text, parsed by serde_json.
fn decode(values: Vec<JsValue>, mut each: impl FnMut(&str, &str, f64)) {
    let array: js_sys::Array = values.into_iter().collect();
    let text = js_sys::JSON::stringify(&array)
        .ok()
        .and_then(|s| s.as_string())
        .expect("stringify");
    let entries: Vec<Entry<'_>> = serde_json::from_str(&text).expect("parse");
    for e in entries {
        each(&e.k, &e.t, e.s);
    }
}

/// The other way: two property reads per entry.
fn decode_fields(values: Vec<JsValue>, mut each: impl FnMut(&str, &str)) {
    for v in values {
        let k = js_sys::Reflect::get(&v, &"k".into())
            .ok()
            .and_then(|k| k.as_string());
        let t = js_sys::Reflect::get(&v, &"t".into())
            .ok()
            .and_then(|t| t.as_string());
        if let (Some(k), Some(t)) = (k, t) {
            each(&k, &t);
        }
    }
}

async fn best_of<F, Fut>(n: usize, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut best = f64::MAX;
    for _ in 0..n {
        let t = now();
        f().await;
        best = best.min(now() - t);
    }
    best
}

#[wasm_bindgen_test]
async fn first_search_split_at_100k_runs() {
    console_log!("| text bytes | step | ms (best of 3) |");
    console_log!("|---|---|---|");
    for len in [70, 300] {
        let name = format!("bench-search-read-{len}");
        let _ = Database::delete(&name).await;
        let store = RunStore::open_named(&name).await.expect("store opens");
        store.close();
        let t = now();
        fill(&name, len).await;
        console_log!(
            "filled {RUNS} entries of ~{len} bytes in {:.1} s",
            (now() - t) / 1000.0
        );
        let db = Database::open_plain(&name, None, None)
            .await
            .expect("raw open");
        let line = |what: &str, ms: f64| console_log!("| {len} | {what} | {ms:.1} |");

        line(
            "IndexedDB get_all of every entry, 5 000 per transaction (seq index)",
            best_of(3, || async {
                assert_eq!(read(&db, CHUNK, |_| ()).await, RUNS);
            })
            .await,
        );
        line(
            "IndexedDB get_all of every entry, 25 000 per transaction",
            best_of(3, || async {
                assert_eq!(read(&db, 25_000, |_| ()).await, RUNS);
            })
            .await,
        );
        line(
            "IndexedDB get_all of every entry, one transaction (store, key order)",
            best_of(3, || async {
                let tx = db
                    .transaction(&["search"], TransactionMode::ReadOnly)
                    .expect("tx");
                let v = tx
                    .store("search")
                    .expect("s")
                    .get_all(None, None)
                    .await
                    .expect("all");
                assert_eq!(v.len(), RUNS);
            })
            .await,
        );
        line(
            "read (5 000) + JSON.stringify + serde_json (today's decode)",
            best_of(3, || async {
                let mut n = 0;
                read(&db, CHUNK, |v| decode(v, |_, _, _| n += 1)).await;
                assert_eq!(n, RUNS);
            })
            .await,
        );
        line(
            "read (5 000) + two property reads per entry",
            best_of(3, || async {
                let mut n = 0;
                read(&db, CHUNK, |v| decode_fields(v, |_, _| n += 1)).await;
                assert_eq!(n, RUNS);
            })
            .await,
        );
        line(
            "read + decode + text arena build",
            best_of(3, || async {
                let mut a = TextArena::new();
                read(&db, CHUNK, |v| decode(v, |k, t, _| a.upsert(k, t))).await;
                assert_eq!(a.len(), RUNS);
            })
            .await,
        );
        // The builds alone, from strings already in wasm memory.
        let mut texts = Vec::new();
        read(&db, CHUNK, |v| {
            decode(v, |k, t, _| texts.push((k.to_owned(), t.to_owned())))
        })
        .await;
        line(
            "text arena build alone (strings in memory)",
            best_of(3, || async {
                let mut a = TextArena::new();
                for (k, t) in &texts {
                    a.upsert(k, t);
                }
            })
            .await,
        );
        let mut arena = TextArena::new();
        for (k, t) in &texts {
            arena.upsert(k, t);
        }
        // The same texts as one stored value (what `search_snapshot` writes), read back.
        let (all, ends) = arena.snapshot();
        let tx = db
            .transaction(&["meta"], TransactionMode::ReadWrite)
            .expect("tx");
        let entry = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&entry, &"name".into(), &"bench_snapshot".into());
        let _ = js_sys::Reflect::set(
            &entry,
            &"text".into(),
            &js_sys::Uint8Array::from(all.as_bytes()),
        );
        let _ = js_sys::Reflect::set(
            &entry,
            &"ends".into(),
            &js_sys::Uint32Array::from(&ends[..]),
        );
        tx.store("meta")
            .expect("meta")
            .put(&entry.into(), None)
            .await
            .expect("put");
        tx.done().await.expect("done");
        line(
            &format!(
                "one stored value ({:.1} MB of text): read + copy into wasm + arena",
                all.len() as f64 / 1e6
            ),
            best_of(3, || async {
                let tx = db
                    .transaction(&["meta"], TransactionMode::ReadOnly)
                    .expect("tx");
                let v = tx
                    .store("meta")
                    .expect("meta")
                    .get("bench_snapshot".into())
                    .await
                    .expect("get")
                    .expect("there");
                let text: js_sys::Uint8Array = js_sys::Reflect::get(&v, &"text".into())
                    .expect("text")
                    .into();
                let ends: js_sys::Uint32Array = js_sys::Reflect::get(&v, &"ends".into())
                    .expect("ends")
                    .into();
                let text = String::from_utf8(text.to_vec()).expect("utf-8");
                let a = TextArena::from_snapshot(text, &ends.to_vec()).expect("loads");
                assert_eq!(a.len(), RUNS);
            })
            .await,
        );
        for needle in ["bench-09999", "ksampler", "42", "nothing like it"] {
            let mut found = 0;
            let ms = best_of(3, || {
                found = arena.matching(needle, |_| ());
                async {}
            })
            .await;
            let scanned = texts.iter().filter(|(_, t)| t.contains(needle)).count();
            assert_eq!(found, scanned);
            line(
                &format!("text arena search `{needle}` ({found} matches)"),
                ms,
            );
        }
        db.close();
        let _ = Database::delete(&name).await;
    }
}
