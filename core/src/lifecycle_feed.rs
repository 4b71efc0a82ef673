//! Reading the page's lifecycle feed by sequence number.
//!
//! The page keeps only the newest lifecycle events (a bounded list). A consumer that remembered
//! how many events it had seen stopped for good once the list was full: its length no longer
//! changes, so nothing ever looked new again (notifications and the history list's refresh
//! died after ~25 runs). A consumer remembers the last `seq` it handled instead, and takes the
//! events after it, however many the list keeps.

use crate::tracker::Lifecycle;

/// One consumer's place in the feed: the `seq` of the last event it handled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedCursor {
    last_seq: u64,
}

impl FeedCursor {
    /// A cursor that has handled nothing: the first [`FeedCursor::take`] returns every event.
    pub fn new() -> FeedCursor {
        FeedCursor::default()
    }

    /// A cursor that skips what the feed already holds: for a consumer created late (a page
    /// opened after runs ended) that must react only to what happens from now on.
    pub fn at_end_of(events: &[Lifecycle]) -> FeedCursor {
        FeedCursor {
            last_seq: events.last().map_or(0, |e| e.seq),
        }
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// The events after the last one handled, oldest first, and moves past them. `events` is
    /// the feed in order (sequence numbers increase). A feed whose newest event is older than
    /// the cursor started again (a new tracker numbering from 1): everything in it is new.
    pub fn take<'a>(&mut self, events: &'a [Lifecycle]) -> &'a [Lifecycle] {
        let Some(newest) = events.last().map(|e| e.seq) else {
            return &[];
        };
        if newest < self.last_seq {
            self.last_seq = 0;
        }
        let start = events.partition_point(|e| e.seq <= self.last_seq);
        self.last_seq = self.last_seq.max(newest);
        &events[start..]
    }
}

/// Renumbers one tracker's events into the page's feed, which outlives trackers (a new server
/// setting starts a new one, numbering from 1 again): the page's sequence is the tracker's
/// plus the page's last sequence when that tracker started, so it only ever increases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedNumbering {
    base: u64,
}

impl FeedNumbering {
    /// Continues after `events`, the page's feed as it is when a new tracker starts.
    pub fn continuing(events: &[Lifecycle]) -> FeedNumbering {
        FeedNumbering {
            base: events.last().map_or(0, |e| e.seq),
        }
    }

    pub fn page_event(&self, event: &Lifecycle) -> Lifecycle {
        Lifecycle {
            seq: self.base.saturating_add(event.seq),
            ..event.clone()
        }
    }
}
