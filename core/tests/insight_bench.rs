//! Benchmark, not a test (ignored): the recommendations over 100 000 stored runs, printed as
//! times and as ratios to baselines measured in the same run, since these machines are shared
//! and noisy. Run it with
//! `cargo test --release -p telemetry-core --test insight_bench -- --ignored --nocapture`.

mod insight_support;
use insight_support::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes, to weigh the aggregates.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::insight::ReportOptions;
use telemetry_core::insight::{recommend, report, InsightAggregates};
use telemetry_core::run::RunStatus;

const RUNS: usize = 100_000;

const CLASSES: [&str; 12] = [
    "CheckpointLoaderSimple",
    "CLIPTextEncode",
    "EmptyLatentImage",
    "KSampler",
    "VAEDecode",
    "SaveImage",
    "LoraLoader",
    "ControlNetLoader",
    "ImageScale",
    "UpscaleModelLoader",
    "ImageUpscaleWithModel",
    "PreviewImage",
];
const IDS: [&str; 12] = [
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
];

/// 100 000 runs: 20 workflows of 5–12 nodes on 3 servers, failures of every class, queue
/// waits, memory peaks, a few lost runs and stream drops, and a slowdown in one workflow.
fn history() -> Vec<StoredRun> {
    let mut noise = Noise::new(99);
    let errors = [
        ("torch.OutOfMemoryError", "Allocation on device"),
        ("FileNotFoundError", "No such file: x.safetensors"),
        ("ValueError", "width must be a multiple of 8"),
        ("RuntimeError", "boom"),
    ];
    (0..RUNS)
        .map(|i| {
            let w = i % 20;
            let len = 5 + w % 8;
            let slow = if w == 3 && i > RUNS / 2 { 1.6 } else { 1.0 };
            let d = noise.around(8_000.0 + w as f64 * 1_000.0, 0.2) * slow;
            let nodes = (0..len)
                .map(|k| {
                    let class = CLASSES[(k + w) % CLASSES.len()];
                    if class.contains("Loader") && i % 7 != 0 {
                        cached(IDS[k], class)
                    } else {
                        ran(IDS[k], class, d / len as f64)
                    }
                })
                .collect();
            let mut s = Spec::new(format!("p{i:06}"), T0 + i as f64 * 30_000.0, d)
                .server(["http://a:8188", "http://b:8188", "http://c:8188"][i % 3])
                .nodes(nodes)
                .wait(noise.around(5_000.0, 0.9))
                .memory(noise.around(14.0, 0.3) * GIB, 24.0 * GIB);
            if i % 20 == 7 {
                let (kind, msg) = errors[(i / 20) % errors.len()];
                s = s.failed(kind, msg);
            }
            if i % 211 == 5 {
                s = s.status(RunStatus::Unknown);
            }
            if i % 97 == 3 {
                s = s.stream_lost();
            }
            s.build()
        })
        .collect()
}

/// Fastest and median wall time of `reps` calls, ms. On a shared machine the fastest is the
/// cost of the work itself; the median adds what other processes took from us.
fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> ((f64, f64), T) {
    let mut times = Vec::new();
    // Results are kept until every rep is timed, so freeing them is not counted.
    let mut results = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        results.push(std::hint::black_box(f()));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let last = results.pop().expect("ran");
    drop(results);
    ((times[0], times[times.len() / 2]), last)
}

#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn insight_at_100k_runs() {
    let runs = history();
    let now = T0 + RUNS as f64 * 30_000.0 + 60_000.0;
    let (mean_ms, mean) = time(21, || {
        let (mut sum, mut n) = (0.0, 0usize);
        for r in &runs {
            if r.duration_ms >= 0.0 {
                sum += r.duration_ms;
                n += 1;
            }
        }
        sum / n.max(1) as f64
    });
    let (recommend_ms, findings) = time(7, || recommend(&runs, now));
    let before = LIVE.load(Ordering::Relaxed);
    let weighed = InsightAggregates::of(&runs);
    let heap = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    drop(weighed);
    let (build_ms, agg) = time(3, || InsightAggregates::of(&runs));
    let (findings_ms, from_agg) = time(11, || agg.findings(now));
    let (report_ms, data) = time(3, || {
        report(
            &runs,
            &HistoryQuery::default(),
            now,
            &ReportOptions::default(),
        )
    });
    let encoded: Vec<String> = runs
        .iter()
        .map(|r| serde_json::to_string(r).expect("encodes"))
        .collect();
    let (decode_ms, decoded) = time(3, || {
        encoded
            .iter()
            .filter_map(|s| serde_json::from_str::<StoredRun>(s).ok())
            .count()
    });
    let snapshot = agg.to_snapshot();
    let record_bytes: usize = encoded.iter().map(String::len).sum();
    assert_eq!(findings, from_agg);
    assert_eq!(decoded, RUNS);
    assert!(mean > 0.0 && data.totals.runs == RUNS);

    println!(
        "| measure at {RUNS} runs | fastest ms | median ms | fastest × plain mean-duration pass | fastest × decoding the stored records |"
    );
    println!("|---|---|---|---|---|");
    let row = |name: &str, (fast, med): (f64, f64)| {
        println!(
            "| {name} | {fast:.1} | {med:.1} | {:.0} | {:.3} |",
            fast / mean_ms.0,
            fast / decode_ms.0
        )
    };
    row("baseline: plain pass, mean duration", mean_ms);
    row("baseline: decode every stored record (JSON)", decode_ms);
    row("recommend(&runs) (facts + every rule)", recommend_ms);
    row("InsightAggregates: add every run", build_ms);
    row("InsightAggregates::findings (panel)", findings_ms);
    row("report(&runs) (report data + findings)", report_ms);
    println!(
        "findings: {} ({}); aggregates {} B/run in memory, snapshot {} B/run (text), stored record {} B/run (JSON)",
        findings.len(),
        findings
            .iter()
            .map(|f| f.rule.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        heap / RUNS,
        snapshot.len() / RUNS,
        record_bytes / RUNS
    );
}
