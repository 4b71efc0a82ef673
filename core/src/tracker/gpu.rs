//! VRAM readings from every source, attributed to the runs they bracket.

use super::*;
use crate::gpu::GpuReading;
use crate::protocol::http::SystemStats;

impl Tracker {
    /// Applies a `/api/system_stats` answer.
    pub fn apply_system_stats(&mut self, stats: SystemStats, now_ms: f64, out: &mut Vec<Change>) {
        let reading = GpuReading::from_system_stats(&stats, now_ms);
        self.gpu.stats = Some(stats);
        self.gpu.stats_at_ms = Some(now_ms);
        self.gpu.stats_failed = false;
        match reading {
            Some(reading) => self.apply_gpu(reading, now_ms, out),
            None => out.push(Change::Field(Field::Gpu)),
        }
    }

    /// `/api/system_stats` failed: VRAM figures will be missing, and the view says so.
    pub fn system_stats_failed(&mut self, out: &mut Vec<Change>) {
        if !self.gpu.stats_failed {
            self.gpu.stats_failed = true;
            out.push(Change::Field(Field::Gpu));
            if let Some(id) = self.current_run().map(|r| r.prompt_id.clone()) {
                out.push(Change::Field(Field::Run(id)));
            }
        }
    }

    /// A VRAM reading from any source: the first one during a run is its "before", the first
    /// one after its end its "after", and the largest use seen in between its peak.
    pub fn apply_gpu(&mut self, reading: GpuReading, now_ms: f64, out: &mut Vec<Change>) {
        let reading = reading.merged_with(self.gpu.latest.as_ref());
        for id in self.gpu_targets(now_ms) {
            let Some(run) = self.runs.get_mut(&id) else {
                continue;
            };
            let during = run.status == RunStatus::Running;
            let just_after = run.status.is_terminal()
                && run.vram_free_after.is_none()
                && (run.vram_free_before.is_some() || run.gpu_name.is_none())
                && run
                    .ended_at_ms
                    .is_some_and(|end| now_ms >= end && now_ms - end < 60_000.0);
            if !(during || just_after) {
                continue;
            }
            if reading.name.is_some() && run.gpu_name.is_none() {
                run.gpu_name = reading.name.clone();
            }
            if !during && run.vram_free_before.is_none() {
                // Too short for a reading during it: the device is known, its VRAM use is not.
                run.cpu_only = reading.cpu_only;
                run.vram_total = reading.vram_total.or(run.vram_total);
                out.push(Change::Field(Field::Run(run.prompt_id.clone())));
                continue;
            }
            run.cpu_only = reading.cpu_only;
            run.vram_total = reading.vram_total.or(run.vram_total);
            if let Some(free) = reading.vram_free {
                if during {
                    run.vram_free_before.get_or_insert(free);
                } else {
                    run.vram_free_after = Some(free);
                }
            }
            if let Some(used) = reading.vram_used() {
                if during || run.vram_peak_used.is_none() {
                    run.vram_peak_used = Some(run.vram_peak_used.map_or(used, |p| p.max(used)));
                }
            }
            out.push(Change::Field(Field::Run(run.prompt_id.clone())));
        }
        self.gpu.latest = Some(reading);
        out.push(Change::Field(Field::Gpu));
    }
}
