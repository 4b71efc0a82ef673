//! Runs followed by polling `/api/history/{id}` under the queue policy.

use super::*;
use crate::follow::{Next, Poll};
use crate::protocol::http::HistoryEntry;

impl Tracker {
    /// Runs whose history poll is due now, in the order they became due. Each is returned
    /// once until its poll is reported with [`Tracker::apply_history_poll`].
    pub fn due_history_polls(&mut self, now_ms: f64) -> Vec<String> {
        let mut due: Vec<(f64, String)> = self
            .follow_next
            .iter()
            .filter(|(_, at)| **at <= now_ms)
            .map(|(id, at)| (*at, id.clone()))
            .collect();
        crate::sort::sort_by(&mut due, |a, b| a.0.total_cmp(&b.0));
        for (_, id) in &due {
            self.follow_next.insert(id.clone(), f64::INFINITY);
        }
        due.into_iter().map(|(_, id)| id).collect()
    }

    /// Whether a run is running now (the VRAM cadence is faster then).
    pub fn is_running(&self) -> bool {
        !self.unasked.is_empty()
    }

    /// Whether any followed run still needs polling (queue or history).
    pub fn is_following(&self) -> bool {
        // Only open runs need the queue polled; an ended one's record is closed by the next
        // `check_follows`.
        self.open
            .iter()
            .filter_map(|id| self.runs.get(id))
            .any(|r| r.follow.as_ref().is_some_and(|f| !f.is_done()))
    }

    /// Reports a history poll for a followed run: the entry (found), `Ok(None)` (not there
    /// yet) or `Err(())` (the request failed).
    pub fn apply_history_poll(
        &mut self,
        prompt_id: &str,
        result: Result<Option<&HistoryEntry>, ()>,
        now_ms: f64,
        out: &mut Vec<Change>,
    ) {
        let poll = match result {
            Ok(Some(entry)) => {
                self.apply_history(entry, now_ms, out);
                Poll::Found
            }
            Ok(None) => Poll::Missing,
            Err(()) => Poll::Failed,
        };
        let policy = self.policy;
        let Some(run) = self.runs.get_mut(prompt_id) else {
            self.follow_next.remove(prompt_id);
            return;
        };
        let record = run
            .follow
            .get_or_insert_with(|| FollowRecord::new(policy, now_ms));
        match record.on_poll(poll, now_ms) {
            Next::PollAt(at) => {
                self.follow_next.insert(prompt_id.to_owned(), at);
            }
            Next::Done(_) => {
                self.follow_next.remove(prompt_id);
            }
        }
        out.push(Change::Field(Field::Run(prompt_id.to_owned())));
    }

    /// Applies the follow policy's time limits to followed runs that have not been polled
    /// lately (still queued, or waiting between polls).
    pub fn check_follows(&mut self, now_ms: f64, out: &mut Vec<Change>) {
        let mut ended = Vec::new();
        for run in self.runs.values_mut() {
            let Some(record) = run.follow.as_mut() else {
                continue;
            };
            if record.is_done() {
                continue;
            }
            if record.check(now_ms).is_some() {
                ended.push(run.prompt_id.clone());
            }
            out.push(Change::Field(Field::Run(run.prompt_id.clone())));
        }
        for id in ended {
            self.follow_next.remove(&id);
            self.lost_track(&id, now_ms, out);
        }
    }
}
