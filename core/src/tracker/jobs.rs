//! Reconciling through newer servers' `/api/jobs`: it knows pending, running and finished
//! prompts in one answer, with server times, and tells "cancelled" from "failed".

use super::*;
use crate::protocol::http::QueueItem;
use crate::protocol::jobs::{Job, JobStatus};

impl Tracker {
    /// The server answered `/api/features`: kept for the views; whether `/api/jobs` exists is
    /// learned by asking it, so a jobs read follows.
    pub fn apply_features(&mut self, flags: serde_json::Value) {
        self.features.flags = Some(flags);
        if self.features.jobs.is_none() {
            self.request(Request::ReadJobs);
        }
    }

    /// `/api/jobs` did not answer (404 on 0.3.64): reconcile through queue and history.
    pub fn jobs_unavailable(&mut self) {
        if self.features.jobs != Some(false) {
            self.features.jobs = Some(false);
            self.reconcile_all();
        }
    }

    /// `/api/jobs` got no answer at all (a network error): whether the server has it is not
    /// known yet (asked again on the next connect), so this time queue and history are read.
    pub fn jobs_unanswered(&mut self) {
        self.reconcile_all();
    }

    /// Applies a `/api/jobs` list, the answer to a read sent at `asked_ms`: pending and running
    /// jobs as the queue, finished ones as their end. Open runs it does not list are read one by
    /// one, except those first seen after the read went out (announced while it was on its way):
    /// as with a queue answer, they are missing from the list without having left the queue, so
    /// they stay pending and are not read from history.
    pub fn apply_jobs(&mut self, jobs: &[Job], asked_ms: f64, now_ms: f64, out: &mut Vec<Change>) {
        let asked_ms = asked_ms.min(now_ms);
        self.features.jobs = Some(true);
        let mut listed = StrSet::new();
        let mut queued = StrSet::new();
        for job in jobs {
            listed.insert(job.id.clone());
            if matches!(job.status, JobStatus::Pending | JobStatus::InProgress) {
                queued.insert(job.id.clone());
            }
            let item = QueueItem {
                number: job.number,
                prompt_id: job.id.clone(),
                ..Default::default()
            };
            match job.status {
                JobStatus::Pending => self.apply_queue_item(&item, false, now_ms, out),
                JobStatus::InProgress => self.apply_queue_item(&item, true, now_ms, out),
                JobStatus::Completed => self.job_ended(job, RunStatus::Succeeded, now_ms, out),
                JobStatus::Failed => self.job_ended(job, RunStatus::Failed, now_ms, out),
                // ComfyUI's jobs API calls an interrupted run "cancelled" too
                // (`comfy_execution/jobs.py`): one that had started was interrupted.
                JobStatus::Cancelled if job.execution_start_time.is_some() => {
                    self.job_ended(job, RunStatus::Interrupted, now_ms, out)
                }
                JobStatus::Cancelled => self.job_ended(job, RunStatus::Cancelled, now_ms, out),
                JobStatus::Unknown => {}
            }
        }
        // It is a queue snapshot too.
        let running = jobs
            .iter()
            .filter(|j| j.status == JobStatus::InProgress)
            .count() as u32;
        let pending = (queued.len() as u32).saturating_sub(running);
        self.queue_listed(running, pending, queued, asked_ms, out);
        let mut absent: Vec<String> = self
            .open
            .iter()
            .filter(|id| !listed.contains(id))
            .filter(|id| self.streaming.as_deref() != Some(id.as_str()))
            .filter(|id| {
                self.runs
                    .get(id)
                    .is_some_and(|r| r.first_seen_ms <= asked_ms)
            })
            .cloned()
            .collect();
        crate::sort::sort(&mut absent);
        for id in absent {
            self.await_server(&id);
            self.request(Request::ReadHistoryEntry(id));
        }
    }

    fn job_ended(&mut self, job: &Job, status: RunStatus, now_ms: f64, out: &mut Vec<Change>) {
        let created = !self.runs.contains_key(&job.id);
        let (run, _) = self.touch(&job.id, RunSource::History, now_ms);
        if run.status.is_settled() {
            return;
        }
        run.number = run.number.or(job.number);
        run.server_queued_ms = run.server_queued_ms.or(job.create_time);
        run.server_started_ms = run.server_started_ms.or(job.execution_start_time);
        run.reconstructed |= created || run.source != RunSource::Stream;
        if status == RunStatus::Failed && run.error.is_none() {
            if let Some(message) = &job.error_message {
                run.notes.push(format!("failed: {message}"));
            }
        }
        if run.status == RunStatus::Queued || created {
            run.status = RunStatus::Running;
        }
        self.finish(&job.id, status, job.execution_end_time, now_ms, out);
    }
}
