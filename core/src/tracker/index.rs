//! Indexes beside the run map, so that what one frame costs never grows with what the session
//! has seen: which runs are open, which of them look running without the page asking the server
//! about them (`asked`: a history entry read is on its way), which ended in the last minute (for the "after" VRAM reading), and in which
//! order runs ended (eviction takes the oldest). Runs the server never settles (it went away,
//! or answers nothing) stay open but are asked about once, and then cost nothing per frame.
//!
//! Every place that changes a run's status or whether it awaits the server calls
//! [`Tracker::reindex`]; [`Tracker::index_is_consistent`] checks that against a full scan.

use super::*;

/// How long after its end a run still takes an "after" VRAM reading.
pub(super) const AFTER_READING_MS: f64 = 60_000.0;

impl Tracker {
    /// Recomputes one run's place in the indexes from its state.
    pub(super) fn reindex(&mut self, prompt_id: &str) {
        let (open, unasked) = match self.runs.get(prompt_id) {
            Some(r) if r.source != RunSource::Seed && !r.status.is_terminal() => (
                true,
                r.status == RunStatus::Running && !self.asked.contains(prompt_id),
            ),
            _ => (false, false),
        };
        set_member(&mut self.open, prompt_id, open);
        set_member(&mut self.unasked, prompt_id, unasked);
    }

    /// A run ended now: it joins the eviction order and, for a minute, the runs that take an
    /// "after" VRAM reading. That list is pruned here too, not only when a reading comes (a
    /// server whose stats never answer, or a flood of short runs between two readings, piled
    /// up every end), and it holds no more ends than runs are kept: an older end's run is gone.
    pub(super) fn index_end(&mut self, prompt_id: &str, now_ms: f64) {
        self.ended.push_back(prompt_id.to_owned());
        self.ends_seen += 1;
        self.recent_ends.push_back((now_ms, prompt_id.to_owned()));
        self.prune_recent_ends(now_ms);
    }

    fn prune_recent_ends(&mut self, now_ms: f64) {
        while self.recent_ends.len() > MAX_RUNS
            || self
                .recent_ends
                .front()
                .is_some_and(|(end, _)| now_ms - end >= AFTER_READING_MS)
        {
            self.recent_ends.pop_front();
        }
    }

    /// Runs that look running and are not in doubt, oldest first (ComfyUI runs one prompt at a
    /// time, so there are rarely more than one).
    pub(super) fn running_unasked_except(&self, except: &str) -> Vec<String> {
        let mut runs: Vec<&Run> = self
            .unasked
            .iter()
            .filter(|id| id.as_str() != except)
            .filter_map(|id| self.runs.get(id))
            .collect();
        crate::sort::sort_by(&mut runs, |a, b| {
            a.first_seen_ms.total_cmp(&b.first_seen_ms)
        });
        runs.into_iter().map(|r| r.prompt_id.clone()).collect()
    }

    /// Runs a VRAM reading at `now_ms` applies to: those running (not in doubt) and those that
    /// ended within the last minute. Older ends leave the list.
    pub(super) fn gpu_targets(&mut self, now_ms: f64) -> Vec<String> {
        self.prune_recent_ends(now_ms);
        let mut ids: Vec<String> = self.unasked.iter().cloned().collect();
        ids.extend(self.recent_ends.iter().map(|(_, id)| id.clone()));
        crate::sort::sort(&mut ids);
        ids.dedup();
        ids
    }

    /// Removes the oldest ended runs past the bound, in the order they ended.
    pub(super) fn evict(&mut self) {
        while self.runs.len() > MAX_RUNS {
            let Some(id) = self.ended.pop_front() else {
                return;
            };
            if self.runs.get(&id).is_some_and(|r| r.status.is_terminal()) {
                self.runs.remove(&id);
                self.details_asked.remove(&id);
                self.reindex(&id);
            }
        }
        // Ends of runs no longer kept (or ended twice) are dropped as they reach the front.
        if self.ended.len() > 2 * MAX_RUNS {
            let runs = &self.runs;
            self.ended
                .retain(|id| runs.get(id).is_some_and(|r| r.status.is_terminal()));
        }
    }

    /// How many ends the tracker has recorded so far (a run settled twice counts twice).
    pub fn ends_seen(&self) -> u64 {
        self.ends_seen
    }

    /// Runs the page believes queued or running (not seeds).
    pub fn open_run_count(&self) -> usize {
        self.open.len()
    }

    /// How many entries each collection holds: none may grow with the number of runs or
    /// messages seen (issue 22; wasm memory never shrinks, so any that does is a leak).
    #[doc(hidden)]
    pub fn footprint(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("runs", self.runs.len()),
            ("follow_next", self.follow_next.len()),
            ("requests", self.requests.len()),
            ("requested", self.requested.len()),
            ("open", self.open.len()),
            ("unasked", self.unasked.len()),
            ("asked", self.asked.len()),
            ("details_asked", self.details_asked.len()),
            ("ended", self.ended.len()),
            ("recent_ends", self.recent_ends.len()),
            ("awaiting", self.awaiting.len()),
            ("queue_ids", self.queue_ids.len()),
            ("cancelling", self.cancelling.len()),
            ("read_retry", self.read_retry.len()),
            ("unknown_types", self.counters.unknown.len()),
        ]
    }

    /// Whether the indexes agree with a full scan of the runs (for tests).
    #[doc(hidden)]
    pub fn index_is_consistent(&self) -> bool {
        let open: StrSet = self
            .runs
            .values()
            .filter(|r| r.source != RunSource::Seed && !r.status.is_terminal())
            .map(|r| r.prompt_id.clone())
            .collect();
        let unasked: StrSet = open
            .iter()
            .filter(|id| {
                self.runs
                    .get(id)
                    .is_some_and(|r| r.status == RunStatus::Running)
                    && !self.asked.contains(id.as_str())
            })
            .cloned()
            .collect();
        open == self.open && unasked == self.unasked
    }
}

fn set_member(set: &mut StrSet, id: &str, member: bool) {
    if member {
        // Made a `String` only when added.
        set.insert(id);
    } else {
        set.remove(id);
    }
}
