//! Memory and time of the history's text search at 100 000 runs, natively (not part of the test
//! suite: `cargo test -p telemetry-core --release --test text_arena_bench -- --ignored --nocapture
//! --test-threads=1`).
//! Bytes are counted by this binary's allocator; times are against a plain substring scan of the
//! same texts in the same run.

use std::hint::black_box;
use std::time::Instant;
use telemetry_core::history::TextArena;

#[path = "common/bench_texts.rs"]
mod bench_texts;
#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use bench_texts::text;
use counting_alloc::live_bytes;

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
        let before = live_bytes();
        let t = Instant::now();
        let mut arena = TextArena::new();
        for (k, t) in &runs {
            arena.upsert(k, t);
        }
        arena.shrink_to_fit();
        let build = ms(t);
        let bytes = live_bytes() - before;
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
