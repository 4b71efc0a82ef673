//! A failed `/api/history/{id}` read of a run in doubt is asked again on a backoff of its own
//! (2, 4, 8 … 60 s), not at every later start: with every read failing (a proxy that refuses
//! them, a server restarting), asking each open run again at each start cost 45 150 reads for
//! 300 prompts. The run stays "asked" meanwhile, so starts leave it alone; an answer, its end
//! or a reconnect (which settles every open run) clears it.

use super::Tracker;

/// The longest wait between two reads of one run.
const MAX_WAIT_MS: f64 = 60_000.0;

impl Tracker {
    /// The read of `prompt_id` failed: it is asked again when its wait is over.
    pub(super) fn history_read_failed(&mut self, prompt_id: &str, now_ms: f64) {
        if !self.open.contains(prompt_id) {
            self.read_retry.remove(prompt_id);
            return;
        }
        let failures = self.read_retry.get(prompt_id).map_or(0, |r| r.1) + 1;
        let wait = (1000.0 * f64::from(1u32 << failures.min(6))).min(MAX_WAIT_MS);
        self.read_retry
            .insert(prompt_id.to_owned(), (now_ms + wait, failures));
        self.asked.insert(prompt_id.to_owned());
        self.reindex(prompt_id);
    }

    /// Runs whose next read is due; each is in flight until answered.
    pub(super) fn due_read_retries(&mut self, now_ms: f64) -> Vec<String> {
        let mut due: Vec<String> = self
            .read_retry
            .iter()
            .filter(|(_, (at, _))| *at <= now_ms)
            .map(|(id, _)| id.clone())
            .collect();
        crate::sort::sort(&mut due);
        for id in &due {
            if let Some(r) = self.read_retry.get_mut(id) {
                r.0 = f64::INFINITY;
            }
        }
        due
    }
}
