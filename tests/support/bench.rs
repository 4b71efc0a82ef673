//! Shared by the 100 000-run benchmarks (`tests/store_bench.rs`, `tests/insight_store_bench.rs`):
//! the clock, and the numbers each generated run is drawn from.
#![allow(dead_code)]

use telemetry_core::history::StoredRun;
use telemetry_core::run::Run;

/// Milliseconds, as precise as the page's clock gives them.
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// The numbers run `i` is generated from: a fixed hash of `i` (splitmix's mixing), so every
/// fill of the same size stores the same runs and benchmarks compare like with like.
pub struct Draws(u64);

impl Draws {
    pub fn of(i: usize) -> Draws {
        Draws((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next number, in `0..n`.
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 31;
        self.0 = self.0.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        (self.0 >> 17) % n
    }
}

/// Runs `0..runs` as stored records, `chunk` at a time (one write each, as a busy page would).
pub fn chunks(
    runs: usize,
    chunk: usize,
    generate: fn(usize) -> Run,
) -> impl Iterator<Item = Vec<StoredRun>> {
    (0..runs).step_by(chunk.max(1)).map(move |from| {
        (from..(from + chunk).min(runs))
            .map(|i| StoredRun::from_run(&generate(i)))
            .collect()
    })
}
