//! Synthetic histories for the insight rules: runs built field by field, as the tracker would
//! have stored them, with a seeded generator for noise so every run of the tests is the same.
#![allow(dead_code)]

use telemetry_core::history::series::{MemoryKind, RunSeries};
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::insight::{report, Finding, ReportData, ReportOptions, Rule};
use telemetry_core::protocol::ExecutionError;
use telemetry_core::run::{NodeStatus, Run, RunSource, RunStatus};

pub const DAY: f64 = 86_400_000.0;
pub const T0: f64 = 1_795_000_000_000.0; // 2026-11-18 08:26 UTC
pub const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A deterministic generator (xorshift) for noise.
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Noise {
        Noise(seed.max(1))
    }
    /// Uniform in [0, 1).
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// `v` times a factor in [1 − spread, 1 + spread].
    pub fn around(&mut self, v: f64, spread: f64) -> f64 {
        v * (1.0 + spread * (2.0 * self.next() - 1.0))
    }
}

/// One node of a synthetic run: id, class, time (ms) when it ran, or cached.
#[derive(Clone)]
pub struct N {
    pub id: &'static str,
    pub class: &'static str,
    pub ms: Option<f64>,
    pub cached: bool,
}

pub fn ran(id: &'static str, class: &'static str, ms: f64) -> N {
    N {
        id,
        class,
        ms: Some(ms),
        cached: false,
    }
}

pub fn cached(id: &'static str, class: &'static str) -> N {
    N {
        id,
        class,
        ms: None,
        cached: true,
    }
}

#[derive(Clone)]
pub struct Spec {
    pub server: String,
    pub id: String,
    pub start: f64,
    pub duration: f64,
    pub status: RunStatus,
    pub nodes: Vec<N>,
    pub error: Option<(String, String, Vec<String>)>,
    pub queue_wait: Option<f64>,
    /// Peak and total memory, bytes.
    pub memory: Option<(f64, f64)>,
    pub gpu: String,
    pub stream_lost: bool,
}

impl Spec {
    pub fn new(id: impl Into<String>, start: f64, duration: f64) -> Spec {
        Spec {
            server: "http://gpu-a:8188".into(),
            id: id.into(),
            start,
            duration,
            status: RunStatus::Succeeded,
            nodes: vec![
                ran("1", "CheckpointLoaderSimple", duration * 0.1),
                ran("2", "KSampler", duration * 0.6),
                ran("3", "VAEDecode", duration * 0.2),
            ],
            error: None,
            queue_wait: None,
            memory: None,
            gpu: "NVIDIA RTX 4090".into(),
            stream_lost: false,
        }
    }

    pub fn server(mut self, s: &str) -> Spec {
        self.server = s.into();
        self
    }
    pub fn nodes(mut self, nodes: Vec<N>) -> Spec {
        self.nodes = nodes;
        self
    }
    pub fn status(mut self, s: RunStatus) -> Spec {
        self.status = s;
        self
    }
    pub fn failed(mut self, kind: &str, message: &str) -> Spec {
        self.status = RunStatus::Failed;
        self.error = Some((kind.into(), message.into(), Vec::new()));
        self
    }
    pub fn wait(mut self, ms: f64) -> Spec {
        self.queue_wait = Some(ms);
        self
    }
    pub fn memory(mut self, peak: f64, total: f64) -> Spec {
        self.memory = Some((peak, total));
        self
    }
    pub fn stream_lost(mut self) -> Spec {
        self.stream_lost = true;
        self
    }

    pub fn build(&self) -> StoredRun {
        let mut run = Run::new(&self.server, &self.id, RunSource::Stream, self.start);
        let classes: Vec<(String, String)> = self
            .nodes
            .iter()
            .map(|n| (n.id.to_owned(), n.class.to_owned()))
            .collect();
        run.set_class_types(&classes);
        let start = self.start as i64;
        run.server_started_ms = Some(start);
        run.started_at_ms = Some(self.start);
        if let Some(w) = self.queue_wait {
            run.server_queued_ms = Some(start.saturating_sub(w as i64));
            run.queued_at_ms = Some(self.start - w);
        }
        let ended = !matches!(
            self.status,
            RunStatus::Running | RunStatus::Queued | RunStatus::Unknown
        );
        if ended {
            run.server_ended_ms = Some(start.saturating_add(self.duration as i64));
            run.ended_at_ms = Some(self.start + self.duration);
        }
        run.last_update_ms = self.start + if ended { self.duration } else { 1000.0 };
        run.status = self.status;
        let mut t = self.start;
        for n in &self.nodes {
            let node = run.node_mut(n.id);
            if n.cached {
                node.status = NodeStatus::Cached;
            } else if let Some(ms) = n.ms {
                node.status = NodeStatus::Finished;
                node.started_ms = Some(t);
                node.finished_ms = Some(t + ms);
                t += ms;
            }
        }
        if let Some((kind, message, traceback)) = &self.error {
            run.error = Some(ExecutionError {
                prompt_id: self.id.clone(),
                node_id: Some("2".into()),
                node_type: Some("KSampler".into()),
                exception_type: Some(kind.clone()),
                exception_message: Some(message.clone()),
                traceback: traceback.clone(),
                executed: Vec::new(),
                timestamp: None,
            });
        }
        if let Some((peak, total)) = self.memory {
            run.vram_peak_used = Some(peak);
            run.vram_total = Some(total);
        }
        run.gpu_name = Some(self.gpu.clone());
        run.stream_lost = self.stream_lost;
        StoredRun::from_run(&run)
    }
}

/// A series memory peak instead of the run's own (for runs measured by the chart only).
pub fn with_series_peak(mut r: StoredRun, peak_mb: f64, total_mb: f64) -> StoredRun {
    r.run.vram_peak_used = None;
    r.run.vram_total = None;
    let mut series = RunSeries::new(&r.prompt_id, r.start_ms);
    series.memory = MemoryKind::Vram;
    series.mem_total_mb = Some(total_mb);
    series.peak_mb = Some(peak_mb);
    r.series = Some(series);
    r
}

/// `n` runs of the default workflow, one every ten minutes from `from`, durations around `ms`.
pub fn steady(prefix: &str, n: usize, from: f64, ms: f64, noise: &mut Noise) -> Vec<Spec> {
    (0..n)
        .map(|i| {
            Spec::new(
                format!("{prefix}{i}"),
                from + i as f64 * 600_000.0,
                noise.around(ms, 0.1),
            )
        })
        .collect()
}

pub fn build(specs: &[Spec]) -> Vec<StoredRun> {
    specs.iter().map(Spec::build).collect()
}

/// The findings of one rule (each rule's findings also written as the report's JSON, checked
/// against serde_json's).
pub fn of(findings: &[Finding], rule: Rule) -> Vec<Finding> {
    let found: Vec<Finding> = findings
        .iter()
        .filter(|f| f.rule == rule)
        .cloned()
        .collect();
    same_json(&ReportData {
        findings: found.clone(),
        ..report_all(&[], T0)
    });
    found
}

/// A minute after the last run started (and no earlier than [`T0`]).
pub fn now(runs: &[StoredRun]) -> f64 {
    runs.iter().map(|r| r.start_ms).fold(T0, f64::max) + 60_000.0
}

/// The report of every run (no filter), with the default options; its JSON checked against serde_json's (see [`same_json`]).
pub fn report_all(runs: &[StoredRun], now_ms: f64) -> ReportData {
    let data = report(
        runs,
        &HistoryQuery::default(),
        now_ms,
        &ReportOptions::default(),
    );
    same_json(&data);
    data
}

/// The report's download is byte for byte what `serde_json::to_string_pretty` of the report
/// types' derived `Serialize` writes (the derive is there for this reference only: the
/// `serde-reference` feature, which the core's tests turn on).
pub fn same_json(data: &ReportData) {
    let reference = serde_json::to_string_pretty(data).expect("serializes");
    assert_eq!(data.to_json(), reference);
}
