//! The React dashboard's flat telemetry updates, named by scene id.

use super::*;
use crate::protocol::SeedTelemetry;

impl Tracker {
    pub(super) fn seed(&mut self, t: &SeedTelemetry, now_ms: f64, out: &mut Vec<Change>) {
        let status = t.status.as_deref().map(seed_status);
        let (run, created) = self.touch(&t.scene_id, RunSource::Seed, now_ms);
        if t.duration_s.is_some() {
            run.reported_duration_s = t.duration_s;
        }
        if t.attempts.is_some() {
            run.history_attempts = t.attempts;
        }
        if t.gpu_name.is_some() {
            run.gpu_name = t.gpu_name.clone();
        }
        if t.vram_delta.is_some() {
            run.reported_vram_delta = t.vram_delta;
        }
        let previous = run.status;
        if created {
            run.status = RunStatus::Queued;
            run.queued_at_ms = Some(now_ms);
        }
        out.push(Change::Field(Field::Run(t.scene_id.clone())));
        if t.gpu_vram_free.is_some() || t.gpu_utilization.is_some() {
            out.push(Change::Field(Field::Gpu));
        }
        match status {
            Some(RunStatus::Running) => {
                self.start(&t.scene_id, now_ms, out);
            }
            Some(s) if s.is_terminal() && previous != s => {
                self.finish(&t.scene_id, s, t.timestamp, now_ms, out)
            }
            Some(RunStatus::Queued) if created => {
                self.lifecycle(out, &t.scene_id, LifecycleKind::Queued, now_ms)
            }
            _ => {}
        }
    }
}

fn seed_status(s: &str) -> RunStatus {
    match s.to_ascii_lowercase().as_str() {
        "queued" | "pending" => RunStatus::Queued,
        "executing" | "running" | "started" => RunStatus::Running,
        "completed" | "complete" | "success" | "succeeded" | "done" => RunStatus::Succeeded,
        "failed" | "error" => RunStatus::Failed,
        "cancelled" | "canceled" | "interrupted" => RunStatus::Interrupted,
        _ => RunStatus::Unknown,
    }
}
