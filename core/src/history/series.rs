//! A run over time: node progress, step rate and memory, sampled from the tracker's state at
//! each flush, so the live page (and later the run's detail page) can draw a picture of how the
//! run went instead of numbers changing in place.
//!
//! Memory stays bounded however long a run lasts: past `MAX_SAMPLES` every other sample is
//! dropped and the sampling interval doubles, so a one-hour run keeps the same number of points
//! as a one-minute run, spread evenly. The memory peak is kept apart from the samples, so
//! thinning never loses it.

use crate::gpu::GpuReading;
use crate::run::Run;
use serde::{Deserialize, Serialize};

/// Upper bound on stored samples (about 9 kB serialized); 240 points are more than a compact
/// chart can show.
pub const MAX_SAMPLES: usize = 240;
/// Samples closer together than this replace the previous one (the latest state still shows).
const MIN_INTERVAL_MS: f64 = 200.0;
const MB: f64 = 1024.0 * 1024.0;
/// Devices besides the primary that the chart follows (a server with more is rare).
pub const MORE_DEVICES: usize = 3;

/// One moment of a run. `None` means "not measured then", never 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Milliseconds since the series started.
    pub t_ms: f64,
    pub nodes_done: u32,
    pub nodes_total: Option<u32>,
    /// Sampler step of the current node and its total.
    pub step: Option<f64>,
    pub steps: Option<f64>,
    /// Steps per second of the current node so far.
    pub step_rate: Option<f64>,
    /// Device memory in use (VRAM, or RAM on a CPU-only server), MB.
    pub mem_mb: Option<f64>,
    /// Whole-run progress 0–1 as the run itself reckons it (finished nodes plus the current
    /// node's steps; a succeeded run is complete even when cached nodes were never listed).
    #[serde(default)]
    pub progress: Option<f64>,
    /// Memory in use on the server's second, third and fourth device, MB, from
    /// `/system_stats`: a multi-GPU server's chart draws every device, not just the primary.
    /// Three plain fields rather than an array: the live page's wasm pays less for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu2_mb: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu3_mb: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu4_mb: Option<f64>,
}

impl Sample {
    /// The other devices' memory in use, MB, the second device first.
    pub fn more_mb(&self) -> [Option<f64>; MORE_DEVICES] {
        [self.gpu2_mb, self.gpu3_mb, self.gpu4_mb]
    }
}

/// What the memory figures measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MemoryKind {
    #[default]
    Vram,
    /// A CPU-only server: system RAM.
    Ram,
}

impl MemoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MemoryKind::Vram => "vram",
            MemoryKind::Ram => "ram",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemoryKind::Vram => "VRAM",
            MemoryKind::Ram => "RAM",
        }
    }
}

/// The bounded, downsampled series of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSeries {
    pub prompt_id: String,
    /// Local epoch ms of the first sample.
    pub start_ms: f64,
    pub samples: Vec<Sample>,
    #[serde(default)]
    pub memory: MemoryKind,
    /// Device memory size, MB, when known.
    pub mem_total_mb: Option<f64>,
    /// Largest memory use seen, MB, and when (ms since start).
    pub peak_mb: Option<f64>,
    pub peak_t_ms: Option<f64>,
    /// Current spacing between kept samples; doubles each time the series is thinned.
    #[serde(default = "default_interval")]
    pub interval_ms: f64,
}

fn default_interval() -> f64 {
    MIN_INTERVAL_MS
}

impl RunSeries {
    pub fn new(prompt_id: &str, start_ms: f64) -> RunSeries {
        RunSeries {
            prompt_id: prompt_id.to_owned(),
            start_ms,
            samples: Vec::new(),
            memory: MemoryKind::Vram,
            mem_total_mb: None,
            peak_mb: None,
            peak_t_ms: None,
            interval_ms: MIN_INTERVAL_MS,
        }
    }

    /// Adds the run's state at `now_ms`, with the latest memory reading if it is fresh enough
    /// to describe this moment (a reading older than 5 s says nothing about now).
    pub fn record(&mut self, run: &Run, gpu: Option<&GpuReading>, now_ms: f64) {
        let gpu = gpu.filter(|g| (now_ms - g.at_ms).abs() <= 5_000.0);
        if let Some(g) = gpu {
            self.memory = if g.cpu_only {
                MemoryKind::Ram
            } else {
                MemoryKind::Vram
            };
            if let Some(total) = g.vram_total {
                self.mem_total_mb = Some(total / MB);
            }
        }
        let current = run.current_node.as_deref().and_then(|id| run.node(id));
        let (step, steps) = match run.step() {
            Some((v, m)) => (Some(v), Some(m)),
            None => (None, None),
        };
        let step_rate = current.and_then(|n| {
            let (value, started) = (n.value?, n.started_ms?);
            let spent_s = (now_ms - started) / 1000.0;
            // Under half a second in, one step over a few milliseconds reads as hundreds per
            // second: not a rate worth drawing yet.
            (value > 0.0 && spent_s >= 0.5).then(|| value / spent_s)
        });
        let sample = Sample {
            t_ms: (now_ms - self.start_ms).max(0.0),
            nodes_done: run.nodes_done(),
            nodes_total: run.node_total,
            step,
            steps,
            step_rate,
            mem_mb: gpu.and_then(GpuReading::vram_used).map(|b| b / MB),
            progress: run.progress(),
            gpu2_mb: None,
            gpu3_mb: None,
            gpu4_mb: None,
        };
        self.push(sample);
    }

    /// The other devices' memory in use (bytes) at the latest sample.
    pub fn record_more(&mut self, used: impl IntoIterator<Item = Option<f64>>) {
        if let Some(last) = self.samples.last_mut() {
            let mut mb = used.into_iter().map(|b| b.map(|b| b / MB));
            for slot in [&mut last.gpu2_mb, &mut last.gpu3_mb, &mut last.gpu4_mb] {
                *slot = mb.next().flatten();
            }
        }
    }

    /// How many devices the chart draws: the primary and the others up to the last one with a
    /// reading (so each keeps its number).
    pub fn devices(&self) -> usize {
        1 + (0..MORE_DEVICES)
            .rev()
            .find(|i| self.samples.iter().any(|s| s.more_mb()[*i].is_some()))
            .map_or(0, |i| i + 1)
    }

    /// Appends a sample (time in ms since the start, non-decreasing), thinning when full.
    pub fn push(&mut self, sample: Sample) {
        if let Some(mb) = sample.mem_mb {
            if self.peak_mb.is_none_or(|p| mb > p) {
                self.peak_mb = Some(mb);
                self.peak_t_ms = Some(sample.t_ms);
            }
        }
        // Too close to the one before the last kept sample: the newest state replaces the
        // last one, so the chart always ends at "now".
        let len = self.samples.len();
        if len >= 2 && sample.t_ms - self.samples[len - 2].t_ms < self.interval_ms {
            self.samples[len - 1] = sample;
            return;
        }
        self.samples.push(sample);
        if self.samples.len() > MAX_SAMPLES {
            self.thin();
        }
    }

    /// Keeps every other sample (always the first and the last) and doubles the interval.
    fn thin(&mut self) {
        let last = self.samples.last().copied();
        let mut i = 0;
        self.samples.retain(|_| {
            i += 1;
            i % 2 == 1
        });
        if let (Some(last), Some(kept)) = (last, self.samples.last()) {
            if kept != &last {
                self.samples.push(last);
            }
        }
        self.interval_ms *= 2.0;
    }

    /// Time covered, ms.
    pub fn span_ms(&self) -> f64 {
        self.samples.last().map_or(0.0, |s| s.t_ms)
    }

    pub fn latest(&self) -> Option<&Sample> {
        self.samples.last()
    }

    /// One sentence a screen reader (and the chart's caption) can say about the whole picture.
    pub fn summary(&self) -> String {
        let Some(last) = self.latest() else {
            return "No samples yet.".to_owned();
        };
        let mut out = format!(
            "{} over {}",
            last.progress
                .map(crate::format::percent)
                .unwrap_or_else(|| "progress unknown".into()),
            crate::format::duration_ms(self.span_ms())
        );
        if let Some(rate) = last.step_rate {
            out.push_str(&format!(", {} steps/s now", crate::format::fixed(rate, 1)));
        }
        match self.peak_mb {
            Some(peak) => out.push_str(&format!(
                ", peak {} {} MB",
                self.memory.label(),
                crate::format::number(peak.round())
            )),
            None => out.push_str(&format!(", {} not measured", self.memory.label())),
        }
        out.push('.');
        out
    }

    pub fn max_step_rate(&self) -> Option<f64> {
        self.samples
            .iter()
            .filter_map(|s| s.step_rate)
            .max_by(f64::total_cmp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::GpuSource;
    use crate::run::{RunSource, RunStatus};

    fn sample(t_ms: f64, mem: Option<f64>) -> Sample {
        Sample {
            t_ms,
            nodes_done: 0,
            nodes_total: Some(4),
            step: None,
            steps: None,
            step_rate: None,
            mem_mb: mem,
            progress: Some(0.25),
            gpu2_mb: None,
            gpu3_mb: None,
            gpu4_mb: None,
        }
    }

    #[test]
    fn stays_bounded_and_spread_over_a_long_run() {
        let mut s = RunSeries::new("p", 0.0);
        // One hour of flushes every 200 ms.
        for i in 0..18_000 {
            s.push(sample(f64::from(i) * 200.0, Some(1000.0)));
        }
        assert!(s.samples.len() <= MAX_SAMPLES + 1, "{}", s.samples.len());
        assert!(s.samples.len() >= MAX_SAMPLES / 2);
        assert_eq!(s.samples[0].t_ms, 0.0);
        assert_eq!(s.span_ms(), 17_999.0 * 200.0);
        assert!(s.samples.windows(2).all(|w| w[0].t_ms < w[1].t_ms));
    }

    #[test]
    fn thinning_keeps_the_memory_peak() {
        let mut s = RunSeries::new("p", 0.0);
        for i in 0..2_000 {
            let mem = if i == 1_001 { 9_000.0 } else { 1_000.0 };
            s.push(sample(f64::from(i) * 250.0, Some(mem)));
        }
        assert_eq!(s.peak_mb, Some(9_000.0));
        assert_eq!(s.peak_t_ms, Some(1_001.0 * 250.0));
    }

    #[test]
    fn close_samples_replace_the_last_one() {
        let mut s = RunSeries::new("p", 0.0);
        s.push(sample(0.0, None));
        s.push(sample(300.0, None));
        s.push(sample(350.0, None));
        assert_eq!(s.samples.len(), 3);
        s.push(sample(400.0, None));
        assert_eq!(s.samples.len(), 3);
        assert_eq!(s.span_ms(), 400.0);
    }

    #[test]
    fn records_progress_rate_and_memory_from_a_run() {
        let mut run = Run::new("srv", "p", RunSource::Stream, 1_000.0);
        run.status = RunStatus::Running;
        run.node_total = Some(4);
        run.current_node = Some("3".into());
        {
            let n = run.node_mut("3");
            n.started_ms = Some(1_000.0);
            n.value = Some(5.0);
            n.max = Some(20.0);
        }
        let gpu = GpuReading {
            at_ms: 2_000.0,
            source: GpuSource::SystemStats,
            name: Some("cpu".into()),
            cpu_only: true,
            vram_total: Some(8_192.0 * MB),
            vram_free: Some(6_144.0 * MB),
            utilization: None,
            temperature: None,
        };
        let mut s = RunSeries::new("p", 1_000.0);
        s.record(&run, Some(&gpu), 3_500.0);
        let last = s.latest().copied().expect("a sample");
        assert_eq!(last.t_ms, 2_500.0);
        assert_eq!(last.step, Some(5.0));
        assert_eq!(last.step_rate, Some(2.0));
        assert_eq!(last.mem_mb, Some(2_048.0));
        assert_eq!(s.memory, MemoryKind::Ram);
        assert_eq!(s.mem_total_mb, Some(8_192.0));
        assert_eq!(s.peak_mb, Some(2_048.0));
        assert_eq!(last.progress, run.progress());
        // A stale reading is not "memory now".
        s.record(&run, Some(&gpu), 60_000.0);
        assert_eq!(s.latest().and_then(|l| l.mem_mb), None);
    }

    #[test]
    fn summarises_in_words() {
        let mut s = RunSeries::new("p", 0.0);
        assert_eq!(s.summary(), "No samples yet.");
        let mut x = sample(2_000.0, Some(1_234.4));
        x.progress = Some(0.5);
        x.step_rate = Some(3.25);
        s.push(x);
        let text = s.summary();
        assert!(text.starts_with("50"), "{text}");
        assert!(
            text.contains("3.2 steps/s") || text.contains("3.3 steps/s"),
            "{text}"
        );
        assert!(
            text.contains("peak VRAM 1,234 MB") || text.contains("peak VRAM 1234 MB"),
            "{text}"
        );
    }

    #[test]
    fn old_json_without_optional_fields_decodes() {
        let s: RunSeries = serde_json::from_str(
            r#"{"prompt_id":"p","start_ms":0,"samples":[],"mem_total_mb":null,"peak_mb":null,"peak_t_ms":null}"#,
        )
        .expect("decodes");
        assert_eq!(s.interval_ms, MIN_INTERVAL_MS);
        assert_eq!(s.memory, MemoryKind::Vram);
    }
}
