//! Runs that ended knowing less than their history entry (see `Tracker::ask_details_if_poorer`)
//! are completed from ONE `/api/history?max_items=N` page read for all the runs waiting, not
//! one `/api/history/{id}` read each: a flood of short runs made a fast server answer ~35 such
//! reads a second, the page's largest cost per second after the queue reads (issue 22).
//!
//! The rules:
//! - a run asks once (the tracker remembers it asked); it waits here until the next read;
//! - one page read in flight; the next starts at most every [`PAGE_SPACING_MS`] (the queue
//!   reads' spacing), so the runs that end meanwhile share it;
//! - the page is sized to what it must hold: every run that ended since the oldest one waiting
//!   (they are the server's newest entries), plus a margin for those that end while it is on
//!   its way, at most [`PAGE_MAX`];
//! - a run alone, or a page that would be mostly runs nobody waits for (one old run among many
//!   that streamed in full), is read by id as before;
//! - a run the page lacks is read by id, unless the page was the server's whole history (fewer
//!   entries than asked: its own read would find nothing either);
//! - a page read that fails is replaced by reads by id, so every run still gets its read.
//!
//! The answer settles exactly the runs it was asked for, with the same entry a read by id would
//! have returned: the result is the same, only the number of reads changes.

use crate::inflight::{DETAILS_WAITING, QUEUE_SPACING_MS, STALE_MS};
use crate::tracker::{Request, HISTORY_PAGE};

/// A page read starts at most this often.
pub const PAGE_SPACING_MS: f64 = QUEUE_SPACING_MS;

/// The largest page read for details; runs older than its reach are read by id.
pub const PAGE_MAX: u32 = HISTORY_PAGE;

/// Entries a page reads beyond the ends the page saw: runs of clients whose end it missed, and
/// runs that end while the read is on its way (each pushes the oldest entry out of the page).
/// Half as many again as it must reach, plus this.
const MARGIN: u32 = 2;

#[derive(Debug, Clone)]
struct Reading {
    request: Request,
    since_ms: f64,
    /// The runs it answers.
    covers: Vec<String>,
    /// The count of ends seen when the oldest of them asked.
    oldest: u64,
}

#[derive(Debug, Clone, Default)]
pub struct DetailsReads {
    /// Runs waiting for the next read, oldest first (the tracker asks once per run; a few
    /// to a few dozen wait at a time).
    waiting: Vec<String>,
    /// The count of ends seen when the oldest of them asked.
    oldest: Option<u64>,
    reading: Option<Reading>,
    /// When the last read (page or by id) started.
    last_start_ms: Option<f64>,
}

impl DetailsReads {
    /// `prompt_id` wants its details; `ends_seen` counts the ends the tracker has seen so far.
    pub fn want(&mut self, prompt_id: String, ends_seen: u64) {
        if self.waiting.contains(&prompt_id)
            || self
                .reading
                .as_ref()
                .is_some_and(|r| r.covers.contains(&prompt_id))
        {
            return;
        }
        self.oldest = Some(self.oldest.map_or(ends_seen, |o| o.min(ends_seen)));
        self.waiting.push(prompt_id);
        // The tracker keeps the last 500 ends: an older waiting run has left it.
        if self.waiting.len() > DETAILS_WAITING {
            self.waiting.remove(0);
        }
    }

    /// The reads to start now (called at every step): a page read for every run waiting, or
    /// reads by id ([`Request::ReadHistoryDetails`], performed in turn by `InFlight`), or
    /// nothing while a read is in flight or the last one started less than
    /// [`PAGE_SPACING_MS`] ago.
    pub fn next(&mut self, now_ms: f64, ends_seen: u64) -> Vec<Request> {
        if self.waiting.is_empty() {
            return Vec::new();
        }
        if let Some(reading) = &self.reading {
            if now_ms - reading.since_ms < STALE_MS {
                return Vec::new();
            }
            // Presumed lost: its runs are asked again with the others.
            if let Some(stale) = self.reading.take() {
                for id in stale.covers {
                    self.want(id, stale.oldest);
                }
            }
        }
        if self
            .last_start_ms
            .is_some_and(|at| now_ms < at + PAGE_SPACING_MS)
        {
            return Vec::new();
        }
        self.last_start_ms = Some(now_ms);
        let oldest = self.oldest.take().unwrap_or(0);
        let covers = std::mem::take(&mut self.waiting);
        let reach =
            u32::try_from(ends_seen.saturating_sub(oldest).saturating_add(1)).unwrap_or(u32::MAX);
        let wanted = u32::try_from(covers.len()).unwrap_or(u32::MAX);
        if wanted < 2 || reach > wanted.saturating_mul(2) {
            return by_id(covers);
        }
        let page = reach
            .saturating_add(reach / 2)
            .saturating_add(MARGIN)
            .min(PAGE_MAX);
        let request = Request::ReadDetailsPage { max_items: page };
        self.reading = Some(Reading {
            request: request.clone(),
            since_ms: now_ms,
            covers,
            oldest,
        });
        vec![request]
    }

    /// The page read `request` was answered (or failed): returns the runs it was for, or
    /// `None` when no such read is in flight (a duplicate or stale answer answers nothing).
    /// Apply their entries from the page, and read by id those it lacks unless
    /// [`page_is_whole_history`] says it held everything.
    pub fn answered(&mut self, request: &Request) -> Option<Vec<String>> {
        self.reading
            .take_if(|r| r.request == *request)
            .map(|r| r.covers)
    }

    /// Runs waiting or being read (bounded by [`DETAILS_WAITING`] and [`PAGE_MAX`]'s reads).
    pub fn len(&self) -> usize {
        self.waiting.len() + self.reading.as_ref().map_or(0, |r| r.covers.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads by id for `ids`, in order.
pub fn by_id(ids: Vec<String>) -> Vec<Request> {
    ids.into_iter().map(Request::ReadHistoryDetails).collect()
}

/// Whether a page read of `max_items` that held `entries` entries was the server's whole
/// history: ComfyUI returns its newest `max_items` entries, so fewer means there are no more.
pub fn page_is_whole_history(max_items: u32, entries: usize) -> bool {
    entries < max_items as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(max_items: u32) -> Request {
        Request::ReadDetailsPage { max_items }
    }

    #[test]
    fn a_run_alone_is_read_by_id_and_the_next_ones_share_a_page_after_the_spacing() {
        let mut d = DetailsReads::default();
        d.want("a".into(), 1);
        assert_eq!(d.next(0.0, 1), by_id(vec!["a".into()]));
        d.want("b".into(), 2);
        d.want("c".into(), 3);
        d.want("b".into(), 3);
        assert!(d.next(PAGE_SPACING_MS - 1.0, 3).is_empty(), "spaced");
        assert_eq!(
            d.next(PAGE_SPACING_MS, 3),
            vec![page(5)],
            "reach 2, margin 3"
        );
        d.want("d".into(), 4);
        assert!(
            d.next(2.0 * PAGE_SPACING_MS, 4).is_empty(),
            "one page in flight"
        );
        assert_eq!(d.answered(&page(5)), Some(vec!["b".into(), "c".into()]));
        assert_eq!(d.answered(&page(5)), None, "answered once");
        assert_eq!(d.next(2.0 * PAGE_SPACING_MS, 4), by_id(vec!["d".into()]));
        assert!(d.is_empty());
    }

    #[test]
    fn a_run_in_the_page_being_read_is_not_asked_again() {
        let mut d = DetailsReads::default();
        d.want("a".into(), 1);
        d.want("b".into(), 2);
        assert_eq!(d.next(0.0, 2), vec![page(5)]);
        d.want("a".into(), 2);
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn a_page_mostly_of_runs_nobody_waits_for_is_replaced_by_reads_by_id() {
        // Two old runs among forty that streamed in full: two reads, not a page of 42.
        let mut d = DetailsReads::default();
        d.want("old".into(), 1);
        d.want("older".into(), 2);
        assert_eq!(d.next(0.0, 40), by_id(vec!["old".into(), "older".into()]));
    }

    #[test]
    fn the_page_is_at_most_the_history_page() {
        let mut d = DetailsReads::default();
        for i in 0..100u64 {
            d.want(format!("r{i}"), i + 1);
        }
        assert_eq!(d.next(0.0, 100), vec![page(PAGE_MAX)]);
        assert_eq!(d.answered(&page(PAGE_MAX)).map(|c| c.len()), Some(100));
    }

    #[test]
    fn a_page_read_that_never_answers_stops_blocking_and_its_runs_are_asked_again() {
        let mut d = DetailsReads::default();
        d.want("a".into(), 1);
        d.want("b".into(), 2);
        assert_eq!(d.next(0.0, 2), vec![page(5)]);
        d.want("c".into(), 3);
        assert!(d.next(STALE_MS - 1.0, 3).is_empty());
        assert_eq!(d.next(STALE_MS, 3), vec![page(6)], "a, b and c: reach 3");
        assert_eq!(d.answered(&page(5)), None, "the lost read answers nothing");
        assert_eq!(d.answered(&page(6)).map(|c| c.len()), Some(3));
    }

    #[test]
    fn runs_waiting_are_bounded_by_the_runs_kept() {
        let mut d = DetailsReads::default();
        d.want("first".into(), 0);
        assert_eq!(d.next(0.0, 0).len(), 1);
        for i in 0..2_000u64 {
            d.want(format!("r{i}"), i);
        }
        assert_eq!(d.len(), DETAILS_WAITING);
    }

    #[test]
    fn a_page_with_fewer_entries_than_asked_is_the_whole_history() {
        assert!(page_is_whole_history(10, 0));
        assert!(page_is_whole_history(10, 9));
        assert!(!page_is_whole_history(10, 10));
    }
}
