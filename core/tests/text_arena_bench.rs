//! Memory and time of the history's text index at 100 000 runs, natively (not part of the test
//! suite: `cargo test -p telemetry-core --release --test text_index_bench -- --ignored --nocapture`).
//! Bytes are counted by this binary's allocator; times are against a plain substring scan of the
//! same texts in the same run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;
use telemetry_core::history::TextIndex;

struct Counting;
static LIVE: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The search text `bench/history.sh` stores for run `i` (`StoredRun::from_run` of its runs).
fn text(i: usize) -> String {
    let workflow = ["txt2img", "upscale", "video", "inpaint", "controlnet"][i % 5];
    format!("bench-{i:06} checkpointloader ksampler vaedecode saveimage {workflow}")
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture --release"]
fn text_index_at_100k_runs() {
    let runs: Vec<(String, String)> = (0..100_000)
        .map(|i| (format!("http://127.0.0.1:8188|bench-{i:06}"), text(i)))
        .collect();
    let text_bytes: usize = runs.iter().map(|(k, t)| k.len() + t.len()).sum();
    let before = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let mut index = TextIndex::new();
    for (k, t) in &runs {
        index.upsert(k, t);
    }
    let build = t.elapsed().as_secs_f64() * 1000.0;
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "| build, 100 000 runs | {build:.0} ms | index {:.1} MB (keys + texts alone {:.1} MB) |",
        bytes as f64 / 1e6,
        text_bytes as f64 / 1e6
    );
    for needle in ["bench-09999", "ksampler", "42", "nothing like it"] {
        let t = Instant::now();
        let found = black_box(index.matching(needle)).len();
        let ours = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let scanned = black_box(runs.iter().filter(|(_, t)| t.contains(needle)).count());
        let scan = t.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(found, scanned);
        println!("| `{needle}`: {found} matches | index {ours:.2} ms | scan {scan:.2} ms |");
    }
}
