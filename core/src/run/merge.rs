//! Merging two records of one run so that the result only ever gains information.
//!
//! The same run reaches the dashboard several ways (the stream, a replay of it, the queue,
//! `/api/history`, the store after a reload). Whatever order they arrive in, the merged record
//! keeps the most settled status, the server's timestamps over receive times, the earliest
//! receive times, and every output, node, VRAM figure, number and workflow name anyone knew.

use super::*;

fn earliest(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

impl Run {
    /// Events arrived on the stream for a run seen first in the queue (and about to be followed
    /// by polling): it streams after all, and an unused follow record would only mislead.
    /// The one place this rule lives. True when the source changed.
    pub fn became_streamed(&mut self) -> bool {
        if self.source != RunSource::Polling {
            return false;
        }
        self.source = RunSource::Stream;
        if self
            .follow
            .as_ref()
            .is_some_and(|f| f.attempts == 0 && f.exit.is_none())
        {
            self.follow = None;
        }
        true
    }

    /// Folds another record of this run into this one, monotonically: the status never moves
    /// back (a settled end beats `unknown`, which beats running, which beats queued; between two
    /// settled ends the one this record has stays), server timestamps are kept whoever had them,
    /// receive times keep their earliest value, and nothing known is dropped.
    pub fn merge(&mut self, other: &Run) {
        if other.status.rank() > self.status.rank() {
            self.status = other.status;
            self.lost_reason = other.lost_reason.clone();
            if other.ended_at_ms.is_some() {
                self.ended_at_ms = other.ended_at_ms;
            }
        }
        if !self.status.is_terminal() {
            self.ended_at_ms = None;
        } else {
            self.ended_at_ms = self.ended_at_ms.or(other.ended_at_ms);
        }
        if !matches!(self.status, RunStatus::Unknown | RunStatus::Lost) {
            self.lost_reason = None;
        }
        self.first_seen_ms = self.first_seen_ms.min(other.first_seen_ms);
        self.queued_at_ms = earliest(self.queued_at_ms, other.queued_at_ms);
        self.started_at_ms = earliest(self.started_at_ms, other.started_at_ms);
        self.server_queued_ms = self.server_queued_ms.or(other.server_queued_ms);
        self.server_started_ms = self.server_started_ms.or(other.server_started_ms);
        self.server_ended_ms = self.server_ended_ms.or(other.server_ended_ms);
        self.number = self.number.or(other.number);
        self.client_id = self.client_id.take().or_else(|| other.client_id.clone());
        self.node_total = self.node_total.or(other.node_total);
        self.workflow = self.workflow.take().or_else(|| other.workflow.clone());
        self.error = self.error.take().or_else(|| other.error.clone());
        self.interrupted_node = self
            .interrupted_node
            .take()
            .or_else(|| other.interrupted_node.clone());
        self.progress_text = self
            .progress_text
            .take()
            .or_else(|| other.progress_text.clone());
        self.last_update_ms = self.last_update_ms.max(other.last_update_ms);
        self.history_attempts = self.history_attempts.or(other.history_attempts);
        self.gpu_name = self.gpu_name.take().or_else(|| other.gpu_name.clone());
        self.reported_vram_delta = self.reported_vram_delta.or(other.reported_vram_delta);
        self.reported_duration_s = self.reported_duration_s.or(other.reported_duration_s);
        self.vram_total = self.vram_total.or(other.vram_total);
        // The first reading during the run is "before": the earlier record had it first.
        self.vram_free_before = other.vram_free_before.or(self.vram_free_before);
        self.vram_free_after = self.vram_free_after.or(other.vram_free_after);
        self.vram_peak_used = match (self.vram_peak_used, other.vram_peak_used) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.cpu_only |= other.cpu_only;
        self.stream_lost |= other.stream_lost;
        self.server_node_states |= other.server_node_states;
        if self.follow.is_none() && self.source != RunSource::Stream {
            self.follow = other.follow.clone();
        }
        if other.source == RunSource::Stream {
            self.became_streamed();
        }
        if self.status.is_terminal() {
            self.current_node = None;
        } else if self.current_node.is_none() {
            self.current_node = other.current_node.clone();
        }
        for note in &other.notes {
            if !self.notes.contains(note) {
                self.notes.push(note.clone());
            }
        }
        for node in &other.nodes {
            self.node_mut(&node.id).merge(node);
        }
        for output in &other.outputs {
            if !self.outputs.contains(output) {
                self.outputs.push(output.clone());
            }
        }
    }

    /// Merges what an earlier record of this run knew (one stored before a reload) into this
    /// one, which was rebuilt since. Kept for callers of the old name: it is [`Run::merge`].
    pub fn absorb_earlier(&mut self, earlier: &Run) {
        self.merge(earlier);
    }
}
