//! Each run's series (the run chart's samples), kept per run id in the core.
//!
//! Sampled at every flush for the runs the batch names, each from its own run, so a sample can
//! never land in another run's chart (the signal layer used to sample "the current run" into one
//! slot, and a fully cached run showed the previous run's chart). A run seen starting on this
//! page gets a series, even one that started and ended within one window (a fully cached run:
//! one sample, complete); a run that ended before the page saw it has no picture to show. The
//! run's end gives its last sample and closes the series.
//!
//! Memory is bounded: at most [`MAX_SERIES`] series are kept, the oldest closed ones leave
//! first (the store keeps them).

use crate::coalesce::Batch;
use crate::history::series::RunSeries;
use crate::str_map::{StrMap, StrSet};
use crate::tracker::{Field, Lifecycle, LifecycleKind, Tracker};
use std::collections::VecDeque;

/// Series kept in memory.
pub const MAX_SERIES: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct SeriesBook {
    series: StrMap<RunSeries>,
    /// Runs whose series has its last sample.
    closed: StrSet,
    /// Series in the order they started, for eviction.
    order: VecDeque<String>,
}

impl SeriesBook {
    /// Samples every run `batch` names at `now_ms`. Returns the ids whose series changed.
    pub fn sample(
        &mut self,
        tracker: &Tracker,
        batch: &Batch<Field, Lifecycle>,
        now_ms: f64,
    ) -> Vec<String> {
        let started: StrSet = batch
            .events
            .iter()
            .filter(|e| e.kind == LifecycleKind::Started)
            .map(|e| e.run_id.as_str())
            .collect();
        let mut ids: Vec<&str> = batch
            .fields
            .iter()
            .filter_map(|f| match f {
                Field::Run(id) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        ids.extend(started.iter().map(String::as_str));
        crate::sort::sort(&mut ids);
        ids.dedup();
        let mut changed = Vec::new();
        for id in ids {
            let Some(run) = tracker.run(id) else {
                continue;
            };
            if self.closed.contains(id) {
                continue;
            }
            if !self.series.contains_key(id) {
                let seen_running =
                    run.status == crate::run::RunStatus::Running || started.contains(id);
                if !seen_running {
                    continue;
                }
                let start = run.started_at_ms.unwrap_or(now_ms).min(now_ms);
                self.series.insert(id.to_owned(), RunSeries::new(id, start));
                self.order.push_back(id.to_owned());
            }
            if let Some(series) = self.series.get_mut(id) {
                series.record(run, tracker.gpu.latest.as_ref(), now_ms);
                // The other devices `/system_stats` lists, when the reading is fresh.
                let gpu = &tracker.gpu;
                let fresh = gpu
                    .stats_at_ms
                    .is_some_and(|at| (now_ms - at).abs() <= 5_000.0);
                if let Some(stats) = gpu.stats.as_ref().filter(|_| fresh) {
                    series.record_more(
                        stats
                            .devices
                            .iter()
                            .skip(1)
                            .map(|d| Some((d.vram_total? - d.vram_free?).max(0.0))),
                    );
                }
                if run.status.is_terminal() {
                    self.closed.insert(id.to_owned());
                }
                changed.push(id.to_owned());
            }
        }
        self.evict();
        changed
    }

    /// Series loaded from the store after a reload: a run that is still open continues the
    /// chart it had (the samples taken since the reload are appended to it, on its time axis),
    /// so a chart only gains samples. Stored series of runs this book does not know yet are
    /// kept as they are.
    pub fn restore(&mut self, stored: RunSeries, tracker: &Tracker) {
        let id = stored.prompt_id.clone();
        let merged = match self.series.remove(&id) {
            Some(live) if stored.start_ms <= live.start_ms => {
                let mut merged = stored;
                let shift = live.start_ms - merged.start_ms;
                let after = merged.span_ms();
                for mut sample in live.samples {
                    sample.t_ms += shift;
                    if sample.t_ms >= after {
                        merged.push(sample);
                    }
                }
                merged.mem_total_mb = live.mem_total_mb.or(merged.mem_total_mb);
                merged
            }
            Some(live) => live,
            None => {
                self.order.push_back(id.clone());
                stored
            }
        };
        if tracker.run(&id).is_some_and(|r| r.status.is_terminal()) {
            self.closed.insert(id.clone());
        }
        self.series.insert(id, merged);
        self.evict();
    }

    /// The series of one run, when it has one.
    pub fn get(&self, prompt_id: &str) -> Option<&RunSeries> {
        self.series.get(prompt_id)
    }

    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Series, closed ones and the eviction order (see `Pipeline::footprint`).
    pub fn footprint(&self) -> [usize; 3] {
        [self.series.len(), self.closed.len(), self.order.len()]
    }

    fn evict(&mut self) {
        let mut excess = self.series.len().saturating_sub(MAX_SERIES);
        if excess == 0 {
            return;
        }
        let closed = &self.closed;
        let mut gone = Vec::new();
        for id in self.order.iter() {
            if excess == 0 {
                break;
            }
            if closed.contains(id) {
                gone.push(id.clone());
                excess -= 1;
            }
        }
        for id in gone {
            self.series.remove(&id);
            self.closed.remove(&id);
            self.order.retain(|o| *o != id);
        }
    }
}
