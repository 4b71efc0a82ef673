//! Decode cost per frame type, against a baseline measured in the same run (not part of the test
//! suite: `cargo test -p telemetry-core --release --test decode_bench -- --ignored --nocapture`).
//!
//! For every recorded frame (the real sessions in `core/tests/fixtures/real/` and the shared
//! recordings), grouped by message type, it prints:
//! - time per frame of `decode_text` over time per frame of `serde_json::from_str::<IgnoredAny>`
//!   on the same frames (the least any JSON decoder can do: one validating pass), or for binary
//!   frames over a plain copy of the frame;
//! - allocations and allocated bytes per frame, counted by this binary's global allocator. Unlike
//!   times, these are exact and the same on every machine.

mod common;

use serde::de::IgnoredAny;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use telemetry_core::trace::{parse_trace, Payload};
use telemetry_core::{decode_binary, decode_text};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counted<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    let (a, b) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    let r = f();
    (
        r,
        ALLOCS.load(Ordering::Relaxed) - a,
        BYTES.load(Ordering::Relaxed) - b,
    )
}

#[derive(serde::Deserialize)]
struct Line<'a> {
    kind: &'a str,
    #[serde(borrow)]
    msg: Option<&'a serde_json::value::RawValue>,
}

fn frames_in(dir: &Path, out: &mut Vec<Payload>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            frames_in(&path, out);
        } else if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("ws_"))
            && path.extension().is_some_and(|e| e == "jsonl")
        {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            // Text frames as recorded, keys in the server's order (`type` first): `parse_trace`
            // re-serializes them with sorted keys, which is not what a socket delivers.
            for line in text.lines() {
                if let Ok(Line {
                    kind: "text",
                    msg: Some(msg),
                }) = serde_json::from_str::<Line>(line)
                {
                    out.push(Payload::Text(msg.get().to_owned()));
                }
            }
            out.extend(
                parse_trace(&text)
                    .into_iter()
                    .map(|f| f.payload)
                    .filter(|p| matches!(p, Payload::Binary(_))),
            );
        }
    }
}

/// Nanoseconds per call over `frames` of each of `fs`, best of several rounds (the least
/// disturbed one). The candidates alternate within each round, so a burst of load elsewhere on
/// the machine hits all of them, not one.
fn ns_per_frame<T>(frames: &[T], fs: &mut [&mut dyn FnMut(&T)]) -> Vec<f64> {
    let reps = (2_000 / frames.len().max(1)).max(1);
    let mut best = vec![f64::INFINITY; fs.len()];
    for _ in 0..60 {
        for (f, best) in fs.iter_mut().zip(best.iter_mut()) {
            let t = Instant::now();
            for _ in 0..reps {
                for frame in frames {
                    f(frame);
                }
            }
            let ns = t.elapsed().as_nanos() as f64 / (reps * frames.len()) as f64;
            *best = best.min(ns);
        }
    }
    best
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture, preferably --release"]
fn decode_cost_per_frame_type() {
    let mut payloads = Vec::new();
    frames_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        &mut payloads,
    );
    frames_in(&common::fixtures(), &mut payloads);
    let mut texts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut binaries: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for p in payloads {
        match p {
            Payload::Text(t) => {
                if let Ok(m) = decode_text(&t) {
                    texts.entry(m.kind().to_owned()).or_default().push(t);
                }
            }
            Payload::Binary(b) => {
                if let Ok(m) = decode_binary(&b) {
                    binaries.entry(m.kind().to_owned()).or_default().push(b);
                }
            }
        }
    }
    println!("| frame type | frames | decode ns/frame | `IgnoredAny` ns/frame | ratio | `Value` ns/frame | ratio | allocations/frame | bytes allocated/frame |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut total = [0.0; 3];
    let mut count = 0;
    for (kind, frames) in &texts {
        let (_, allocs, bytes) = counted(|| {
            for f in frames {
                let _ = black_box(decode_text(black_box(f)));
            }
        });
        let t = ns_per_frame(
            frames,
            &mut [
                &mut |f: &String| {
                    let _ = black_box(decode_text(black_box(f)));
                },
                &mut |f: &String| {
                    let _ = black_box(serde_json::from_str::<IgnoredAny>(black_box(f)));
                },
                &mut |f: &String| {
                    let _ = black_box(serde_json::from_str::<serde_json::Value>(black_box(f)));
                },
            ],
        );
        for (sum, t) in total.iter_mut().zip(&t) {
            *sum += t * frames.len() as f64;
        }
        count += frames.len();
        row(kind, frames.len(), &t, allocs, bytes);
    }
    let n = count as f64;
    println!(
        "| all text frames (weighted by count) | {count} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} | | |",
        total[0] / n,
        total[1] / n,
        total[0] / total[1],
        total[2] / n,
        total[0] / total[2],
    );
    for (kind, frames) in &binaries {
        let (_, allocs, bytes) = counted(|| {
            for f in frames {
                let _ = black_box(decode_binary(black_box(f)));
            }
        });
        let t = ns_per_frame(
            frames,
            &mut [
                &mut |f: &Vec<u8>| {
                    let _ = black_box(decode_binary(black_box(f)));
                },
                &mut |f: &Vec<u8>| {
                    black_box(black_box(f).to_vec());
                },
            ],
        );
        println!(
            "| {kind} (binary; baseline: copy the frame) | {} | {:.0} | {:.0} | {:.2} | | | {:.1} | {:.0} |",
            frames.len(),
            t[0],
            t[1],
            t[0] / t[1],
            allocs as f64 / frames.len() as f64,
            bytes as f64 / frames.len() as f64
        );
    }
}

fn row(kind: &str, n: usize, t: &[f64], allocs: u64, bytes: u64) {
    println!(
        "| {kind} | {n} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} | {:.1} | {:.0} |",
        t[0],
        t[1],
        t[0] / t[1],
        t[2],
        t[0] / t[2],
        allocs as f64 / n as f64,
        bytes as f64 / n as f64
    );
}
