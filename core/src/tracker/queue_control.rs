//! The pending list and queue control: cancelling one pending prompt, clearing the queue.
//!
//! The page asks ComfyUI to delete (`POST /api/queue`), then reads the queue again: the server's
//! answer settles it, nothing is assumed from the click. A prompt the page asked to delete that
//! is still queued in its record, missing from a queue listing and without a history entry was
//! removed before it ran: it ends `cancelled`. One that started meanwhile runs on as usual.

use super::*;
use crate::drain::{estimate, DrainEstimate};

/// One pending prompt as the live page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingPrompt {
    pub prompt_id: String,
    /// 1 = next to run.
    pub position: usize,
    pub number: Option<i64>,
    pub workflow: Option<String>,
    /// Who queued it: the extension's pseudonym or the page's short label, never a raw id.
    pub client: Option<String>,
    /// When it was queued (epoch ms): the server's time when it sent one, else when this page
    /// first saw it queued.
    pub queued_ms: Option<f64>,
    /// The page asked the server to delete it; the next queue read says whether it did.
    pub cancelling: bool,
}

/// The queue as the live page shows it: pending prompts in order, and the drain estimate
/// (`drain.starts_ms[i]` is when `items[i]` should start).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PendingQueue {
    pub items: Vec<PendingPrompt>,
    pub drain: DrainEstimate,
}

impl Tracker {
    /// Pending prompts in the order ComfyUI runs them (its queue is a heap on the number; a
    /// prompt queued to the front has a lower one). A queued run that the last whole listing
    /// lacks, though seen before it, has left the queue and is no longer listed while the
    /// page asks how it ended.
    pub fn pending(&self) -> Vec<&Run> {
        let listed = self.queue.listed_at_ms;
        // The key ComfyUI runs by: the number, then (without one) the order seen. Kept sorted
        // by insertion: a queue is short, and a sort would cost the page kilobytes of code.
        let key = |r: &Run| (r.number.unwrap_or(i64::MAX), r.first_seen_ms);
        let mut runs: Vec<&Run> = Vec::new();
        for run in self.open.iter().filter_map(|id| self.runs.get(id)) {
            let listed = self.queue_ids.contains(&run.prompt_id)
                || listed.is_none_or(|at| run.first_seen_ms > at);
            if run.status == RunStatus::Queued && listed {
                let k = key(run);
                let at = runs.partition_point(|r| key(r) <= k);
                runs.insert(at, run);
            }
        }
        runs
    }

    /// The pending list with positions and expected starts, at `now_ms`.
    pub fn pending_queue(&self, now_ms: f64) -> PendingQueue {
        let pending = self.pending();
        // Their order does not matter: their time left is summed.
        let running: Vec<&Run> = self
            .unasked
            .iter()
            .filter_map(|id| self.runs.get(id))
            .collect();
        let known: Vec<&Run> = self.runs.values().collect();
        let drain = estimate(&running, &pending, &known, &self.stored_durations, now_ms);
        let items = pending
            .iter()
            .enumerate()
            .map(|(i, r)| PendingPrompt {
                prompt_id: r.prompt_id.clone(),
                position: i + 1,
                number: r.number,
                workflow: r.workflow.clone(),
                client: r.client_id.clone(),
                queued_ms: r.server_queued_ms.map(|ms| ms as f64).or(r.queued_at_ms),
                cancelling: self.cancelling.contains(&r.prompt_id),
            })
            .collect();
        PendingQueue { items, drain }
    }

    /// Durations of earlier runs on this server read from the store (newest first): the drain
    /// estimate rests on them too.
    pub fn add_stored_durations(
        &mut self,
        found: Vec<(String, String, f64)>,
        out: &mut Vec<Change>,
    ) {
        self.stored_durations.extend(found);
        out.push(Change::Field(Field::Queue));
    }

    /// A person asked to cancel these pending prompts: the server is asked to delete them.
    /// Prompts no longer pending here are left alone (a late click cannot cancel a run).
    pub fn cancel_queued(&mut self, ids: &[String], out: &mut Vec<Change>) {
        let pending: Vec<String> = ids
            .iter()
            .filter(|id| {
                self.runs
                    .get(id)
                    .is_some_and(|r| r.status == RunStatus::Queued)
            })
            .cloned()
            .collect();
        if pending.is_empty() {
            return;
        }
        self.cancelling.extend(pending.iter().cloned());
        self.request(Request::DeleteQueued(pending));
        out.push(Change::Field(Field::Queue));
    }

    /// A person asked to clear the queue: every prompt pending here may be cancelled by it.
    pub fn clear_queue(&mut self, out: &mut Vec<Change>) {
        let ids: Vec<String> = self.pending().iter().map(|r| r.prompt_id.clone()).collect();
        self.cancelling.extend(ids);
        self.request(Request::ClearQueue);
        out.push(Change::Field(Field::Queue));
    }

    /// The server answered a delete or clear (`status` is `Some` when it failed: the HTTP
    /// status, or `None` without one). Either way the queue is read again: it says what
    /// really happened.
    pub fn queue_control_answered(
        &mut self,
        request: &Request,
        failed: Option<Option<u16>>,
        out: &mut Vec<Change>,
    ) {
        self.queue.control_error = failed.map(|status| ControlError {
            clear: *request == Request::ClearQueue,
            status,
        });
        self.request(Request::ReadQueue);
        out.push(Change::Field(Field::Queue));
    }

    /// The server has no history entry for `prompt_id`. When the page asked to delete it, it is
    /// still queued in the record and the queue no longer lists it, it was cancelled before it
    /// ran: true when that settled it.
    pub(super) fn settle_cancelled(
        &mut self,
        prompt_id: &str,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) -> bool {
        let queued = self
            .runs
            .get(prompt_id)
            .is_some_and(|r| r.status == RunStatus::Queued);
        if !queued
            || !self.cancelling.contains(prompt_id)
            || self.queue_ids.contains(prompt_id)
            || self.queue.listed_at_ms.is_none()
        {
            return false;
        }
        // Nothing left to follow: no poll is due, and no time limit may end it again.
        self.follow_next.remove(prompt_id);
        if let Some(run) = self.runs.get_mut(prompt_id) {
            run.follow = None;
        }
        self.finish(prompt_id, RunStatus::Cancelled, None, now_ms, out);
        true
    }
}
