//! One request of a kind in flight, and one more remembered: a burst of `status` frames costs
//! two queue reads, not one each, and an answer that may predate what made the page ask is
//! followed by one more read. (This lived in the shell's `follow.rs` and `housekeeping.rs` as
//! pairs of flags; here it is one table with native tests.)
//!
//! Each kind has its rule:
//! - queue, jobs, history list and each run's history entry: one in flight, one remembered;
//! - a run's details (`ReadHistoryDetails`): one at a time, the others wait their turn in order
//!   (best effort must not mean "dropped": a dropped read leaves a run's node count wrong);
//!   most runs' details come from one page read instead (`details_reads.rs`), which has its own
//!   slot there;
//! - features and system stats: one in flight, a second ask is dropped (its answer is the
//!   same; the stats cadence asks again on its own).
//!
//! A request unanswered for [`STALE_MS`] no longer blocks its kind: a hung fetch must not
//! silence the page for good.
//!
//! The queue (and jobs) read remembered while one was in flight waits until [`QUEUE_SPACING_MS`]
//! after the previous one started ([`InFlight::due`] releases it at the next step, the 1 s tick at
//! the latest): under a flood of `status` frames, a fast server made the page read its queue back
//! to back, ~35 reads a second, the page's largest cost per second (issue 22: two thirds of
//! what it spent beyond a page that only counts messages went to its reads), for a list shown
//! at most once per coalescing window anyway.

mod slots;

use crate::str_map::StrSet;
use crate::tracker::{Request, HISTORY_PAGE};
use slots::{slot_of, Busy, BusyTable, Slot};
use std::collections::VecDeque;

/// After this long without an answer a request is presumed lost.
pub const STALE_MS: f64 = 60_000.0;

/// A queue or jobs read starts at most this often (the coalescing window): see the module doc.
pub const QUEUE_SPACING_MS: f64 = 200.0;

/// Details reads waiting their turn at most. Runs ask for details as they end, and the tracker
/// keeps the last 500 ends: past this many, the oldest waiting run has left the tracker, and
/// its read would only cost a fetch. A flood of short runs asks faster than reads come back,
/// and the queue grew with every run seen (issue 22).
pub const DETAILS_WAITING: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct InFlight {
    busy: BusyTable,
    /// Runs whose details wait for the one read in flight, in the order they were asked.
    details: VecDeque<String>,
    details_waiting: StrSet,
    /// Queue or jobs reads remembered while one was in flight, answered sooner than
    /// [`QUEUE_SPACING_MS`]: each goes out at its time (see [`InFlight::due`]).
    spaced: Vec<(Slot, Request, f64)>,
}

/// Kinds that read what is queued, whose reads are spaced.
fn spaced(slot: &Slot) -> bool {
    matches!(slot, Slot::Queue | Slot::Jobs)
}

impl InFlight {
    /// Asks for `request`. Returns it when the shell should perform it now; `None` when one
    /// of its kind is in flight (it is then remembered, queued or dropped by its kind's rule).
    pub fn ask(&mut self, request: Request, now_ms: f64) -> Option<Request> {
        let Some(slot) = slot_of(&request) else {
            // A person's cancel or clear goes out every time it is asked for.
            return matches!(request, Request::DeleteQueued(_) | Request::ClearQueue)
                .then_some(request);
        };
        if let Some(waiting) = self.spaced.iter_mut().find(|(s, _, _)| *s == slot) {
            // Already going out at its time: this ask is answered by that read.
            waiting.1 = request;
            return None;
        }
        if let Some(busy) = self.busy.get_mut(&slot) {
            if now_ms - busy.since_ms < STALE_MS {
                match (&slot, request) {
                    (Slot::Details, Request::ReadHistoryDetails(id)) => {
                        let current = matches!(&busy.request,
                            Request::ReadHistoryDetails(c) if *c == id);
                        if !current && self.details_waiting.insert(id.clone()) {
                            self.details.push_back(id);
                        }
                        if self.details.len() > DETAILS_WAITING {
                            if let Some(oldest) = self.details.pop_front() {
                                self.details_waiting.remove(&oldest);
                            }
                        }
                    }
                    (Slot::Features | Slot::Stats, _) => {}
                    (_, request) => busy.again = Some(merged(busy.again.take(), request)),
                }
                return None;
            }
        }
        self.busy.insert(
            &slot,
            Busy {
                request: request.clone(),
                since_ms: now_ms,
                again: None,
            },
        );
        Some(request)
    }

    /// `request` was answered (or failed): its slot is free. Returns what to perform now: the
    /// request remembered meanwhile, or the next run's details. An answer to a request that is
    /// not in flight (a duplicate, or one asked before a restart) frees nothing.
    pub fn answered(&mut self, request: &Request, now_ms: f64) -> Option<Request> {
        let slot = slot_of(request)?;
        let matches = self.busy.get(&slot).is_some_and(|b| {
            b.request == *request
                || matches!(
                    (&b.request, request),
                    (Request::ReadHistory { .. }, Request::ReadHistory { .. })
                )
        });
        if !matches {
            return None;
        }
        let busy = self.busy.remove(&slot)?;
        let next = match busy.again {
            Some(again) if spaced(&slot) && now_ms < busy.since_ms + QUEUE_SPACING_MS => {
                self.spaced
                    .push((slot, again, busy.since_ms + QUEUE_SPACING_MS));
                return None;
            }
            Some(again) => Some(again),
            None if slot == Slot::Details => self.details.pop_front().map(|id| {
                self.details_waiting.remove(&id);
                Request::ReadHistoryDetails(id)
            }),
            None => None,
        };
        next.and_then(|r| self.ask(r, now_ms))
    }

    /// The spaced reads whose time has come, to perform now (called at every step).
    pub fn due(&mut self, now_ms: f64) -> Vec<Request> {
        if self.spaced.iter().all(|(_, _, at)| *at > now_ms) {
            return Vec::new();
        }
        let (ready, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.spaced)
            .into_iter()
            .partition(|(_, _, at)| *at <= now_ms);
        self.spaced = later;
        ready
            .into_iter()
            .filter_map(|(_, request, _)| self.ask(request, now_ms))
            .collect()
    }

    /// When `request` went out, while it is the one in flight for its slot: the time its answer
    /// describes the server at, at the earliest.
    pub fn asked_at(&self, request: &Request) -> Option<f64> {
        slot_of(request)
            .and_then(|s| self.busy.get(&s))
            .filter(|b| b.request == *request)
            .map(|b| b.since_ms)
    }

    /// Whether a request of this kind is in flight (and not stale).
    pub fn is_busy(&self, request: &Request, now_ms: f64) -> bool {
        slot_of(request)
            .and_then(|s| self.busy.get(&s))
            .is_some_and(|b| now_ms - b.since_ms < STALE_MS)
    }

    /// Requests in flight, plus those remembered or waiting: bounded by the kinds and the runs
    /// being asked about, never by how many times they were asked.
    pub fn len(&self) -> usize {
        self.busy.len()
            + self.busy.values().filter(|b| b.again.is_some()).count()
            + self.details.len()
            + self.spaced.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Two asks of one kind made while it was in flight: one request that answers both. History
/// pages add up (each ask sized its page to the prompts it missed, and those add up while a
/// read is on its way) up to [`HISTORY_PAGE`], and never shrink below the larger ask.
fn merged(previous: Option<Request>, request: Request) -> Request {
    match (previous, request) {
        (
            Some(Request::ReadHistory {
                max_items: a,
                offset: None,
            }),
            Request::ReadHistory {
                max_items: b,
                offset: None,
            },
        ) => Request::ReadHistory {
            max_items: a.max(b).max(a.saturating_add(b).min(HISTORY_PAGE)),
            offset: None,
        },
        (_, request) => request,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(max_items: u32) -> Request {
        Request::ReadHistory {
            max_items,
            offset: None,
        }
    }

    #[test]
    fn a_burst_of_queue_reads_costs_two() {
        let mut f = InFlight::default();
        assert_eq!(f.ask(Request::ReadQueue, 0.0), Some(Request::ReadQueue));
        for t in 1..10 {
            assert_eq!(f.ask(Request::ReadQueue, t as f64), None);
        }
        // Answered before the spacing: the remembered read waits for its time.
        assert_eq!(f.answered(&Request::ReadQueue, 20.0), None);
        assert_eq!(
            f.ask(Request::ReadQueue, 30.0),
            None,
            "merged into the waiting one"
        );
        assert!(f.due(QUEUE_SPACING_MS - 1.0).is_empty());
        assert_eq!(f.due(QUEUE_SPACING_MS), vec![Request::ReadQueue]);
        assert!(f.due(QUEUE_SPACING_MS + 1.0).is_empty(), "once");
        assert_eq!(f.answered(&Request::ReadQueue, 230.0), None);
        assert!(f.is_empty());
        // Free again: asked at once.
        assert_eq!(f.ask(Request::ReadQueue, 240.0), Some(Request::ReadQueue));
    }

    #[test]
    fn a_slow_queue_read_is_followed_at_once() {
        let mut f = InFlight::default();
        assert!(f.ask(Request::ReadQueue, 0.0).is_some());
        assert_eq!(f.ask(Request::ReadQueue, 5.0), None);
        assert_eq!(
            f.answered(&Request::ReadQueue, QUEUE_SPACING_MS + 50.0),
            Some(Request::ReadQueue)
        );
    }

    #[test]
    fn history_pages_asked_meanwhile_merge_into_the_larger() {
        let mut f = InFlight::default();
        assert!(f.ask(history(64), 0.0).is_some());
        assert_eq!(f.ask(history(200), 1.0), None);
        assert_eq!(f.ask(history(64), 2.0), None);
        assert_eq!(f.answered(&history(64), 3.0), Some(history(200)));
    }

    #[test]
    fn small_history_pages_asked_meanwhile_add_up_to_the_page() {
        let mut f = InFlight::default();
        assert!(f.ask(history(10), 0.0).is_some());
        for t in 1..=3 {
            assert_eq!(f.ask(history(10), t as f64), None);
        }
        assert_eq!(f.answered(&history(10), 4.0), Some(history(30)));
        for t in 5..=20 {
            assert_eq!(f.ask(history(10), t as f64), None);
        }
        assert_eq!(f.answered(&history(30), 21.0), Some(history(HISTORY_PAGE)));
    }

    #[test]
    fn each_runs_entry_has_its_own_slot() {
        let mut f = InFlight::default();
        let a = Request::ReadHistoryEntry("a".into());
        let b = Request::ReadHistoryEntry("b".into());
        assert!(f.ask(a.clone(), 0.0).is_some());
        assert!(f.ask(b.clone(), 0.0).is_some());
        assert_eq!(f.ask(a.clone(), 1.0), None);
        assert_eq!(f.answered(&b, 2.0), None);
        assert_eq!(f.answered(&a, 2.0), Some(a));
    }

    #[test]
    fn details_wait_their_turn_in_order_and_none_is_dropped() {
        let mut f = InFlight::default();
        let d = |id: &str| Request::ReadHistoryDetails(id.into());
        assert_eq!(f.ask(d("1"), 0.0), Some(d("1")));
        assert_eq!(f.ask(d("2"), 0.0), None);
        assert_eq!(f.ask(d("3"), 0.0), None);
        assert_eq!(f.ask(d("2"), 0.0), None, "asked twice, read once");
        assert_eq!(f.ask(d("1"), 0.0), None, "the one in flight is not queued");
        assert_eq!(f.answered(&d("1"), 1.0), Some(d("2")));
        assert_eq!(f.answered(&d("2"), 2.0), Some(d("3")));
        assert_eq!(f.answered(&d("3"), 3.0), None);
        assert!(f.is_empty());
    }

    #[test]
    fn details_waiting_are_the_latest_runs_when_reads_lag_behind() {
        // Runs end faster than reads come back: the queue keeps the newest runs' reads (the
        // tracker still holds them), not one read per run ever seen.
        let mut f = InFlight::default();
        let d = |i: usize| Request::ReadHistoryDetails(format!("run{i}"));
        assert_eq!(f.ask(d(0), 0.0), Some(d(0)));
        for i in 1..=2000 {
            assert_eq!(f.ask(d(i), 0.0), None);
        }
        assert_eq!(f.len(), 1 + DETAILS_WAITING);
        let oldest_kept = 2000 - DETAILS_WAITING + 1;
        assert_eq!(f.answered(&d(0), 1.0), Some(d(oldest_kept)));
        assert_eq!(f.ask(d(5), 1.0), None, "a dropped run may be asked again");
        assert_eq!(f.len(), 1 + DETAILS_WAITING);
    }

    #[test]
    fn features_and_stats_asked_twice_are_read_once() {
        let mut f = InFlight::default();
        assert!(f.ask(Request::ReadSystemStats, 0.0).is_some());
        assert_eq!(f.ask(Request::ReadSystemStats, 1.0), None);
        assert!(f.is_busy(&Request::ReadSystemStats, 1.0));
        assert_eq!(f.answered(&Request::ReadSystemStats, 2.0), None);
        assert!(!f.is_busy(&Request::ReadSystemStats, 2.0));
    }

    #[test]
    fn a_hung_request_stops_blocking_its_kind() {
        let mut f = InFlight::default();
        assert!(f.ask(Request::ReadQueue, 0.0).is_some());
        assert_eq!(f.ask(Request::ReadQueue, STALE_MS - 1.0), None);
        assert_eq!(
            f.ask(Request::ReadQueue, STALE_MS + 1.0),
            Some(Request::ReadQueue)
        );
    }

    #[test]
    fn an_answer_nobody_asked_for_frees_nothing() {
        let mut f = InFlight::default();
        assert!(f.ask(Request::ReadJobs, 0.0).is_some());
        assert_eq!(f.answered(&Request::ReadQueue, 1.0), None);
        assert!(f.is_busy(&Request::ReadJobs, 1.0));
        assert_eq!(f.answered(&Request::ReadGpuSoon, 1.0), None);
    }
}
