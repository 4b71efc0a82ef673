//! Memory and time of the history's text search at 100 000 runs, natively (not part of the test
//! suite: `cargo test -p telemetry-core --release --test text_arena_bench -- --ignored --nocapture
//! --test-threads=1`).
//! Bytes are counted by this binary's allocator; times are against a plain substring scan of the
//! same texts in the same run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;
use telemetry_core::history::TextArena;

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

const NODES: [&str; 12] = [
    "checkpointloadersimple",
    "cliptextencode",
    "emptylatentimage",
    "ksampler",
    "vaedecode",
    "saveimage",
    "loraloader",
    "controlnetapplyadvanced",
    "upscalemodelloader",
    "imageupscalewithmodel",
    "vaeencode",
    "previewimage",
];

/// The search text `bench/history.sh` stores for run `i` (`StoredRun::from_run` of its runs),
/// grown to about `len` bytes as a real run's is: a prompt id, more node types, an output file
/// name and, for some, an error (`StoredRun::from_run`).
fn text(i: usize, len: usize) -> String {
    let workflow = ["txt2img", "upscale", "video", "inpaint", "controlnet"][i % 5];
    let mut t = format!("bench-{i:06} checkpointloader ksampler vaedecode saveimage {workflow}");
    let mut n = i;
    while t.len() + 24 < len {
        n = n.wrapping_mul(0x9E37_79B9).wrapping_add(7);
        t.push(' ');
        t.push_str(NODES[n % NODES.len()]);
        if n % 7 == 0 {
            t.push_str(&format!(" comfyui_{:05}_.png", n % 100_000));
        }
    }
    if i % 20 == 0 && t.len() < len {
        t.push_str(" outofmemoryerror");
    }
    t
}

fn keys_and_texts(len: usize) -> Vec<(String, String)> {
    (0..100_000)
        .map(|i| (format!("http://127.0.0.1:8188|bench-{i:06}"), text(i, len)))
        .collect()
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

const NEEDLES: [&str; 5] = [
    "bench-09999",
    "ksampler",
    "42",
    "nothing like it",
    "outofmemory",
];

/// The arena at realistic text lengths: a real run's search text is longer than the
/// benchmark's ~70 bytes (more node types, outputs, errors).
#[test]
#[ignore = "a benchmark: run with --ignored --nocapture --release"]
fn text_arena_at_100k_runs() {
    println!("| text bytes | arena build | arena MB (keys + texts alone) | needle | matches | arena search | scan of Strings |");
    println!("|---|---|---|---|---|---|---|");
    for len in [70, 100, 200, 400] {
        let runs = keys_and_texts(len);
        let text_bytes: usize = runs.iter().map(|(k, t)| k.len() + t.len()).sum();
        let mean = runs.iter().map(|(_, t)| t.len()).sum::<usize>() / runs.len();
        let before = LIVE.load(Ordering::Relaxed);
        let t = Instant::now();
        let mut arena = TextArena::new();
        for (k, t) in &runs {
            arena.upsert(k, t);
        }
        arena.shrink_to_fit();
        let build = ms(t);
        let bytes = LIVE.load(Ordering::Relaxed) - before;
        for needle in NEEDLES {
            let mut best = f64::MAX;
            let mut found = 0;
            for _ in 0..5 {
                let t = Instant::now();
                found = black_box(arena.matching(needle, |k| {
                    black_box(k);
                }));
                best = best.min(ms(t));
            }
            let mut scan = f64::MAX;
            let mut scanned = 0;
            for _ in 0..5 {
                let t = Instant::now();
                scanned = black_box(runs.iter().filter(|(_, t)| t.contains(needle)).count());
                scan = scan.min(ms(t));
            }
            assert_eq!(found, scanned, "{needle}");
            println!(
                "| {mean} | {build:.1} ms | {:.1} MB ({:.1} MB) | `{needle}` | {found} | {best:.2} ms | {scan:.2} ms |",
                bytes as f64 / 1e6,
                text_bytes as f64 / 1e6
            );
        }
    }
}
