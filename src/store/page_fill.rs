//! A page of the history list being filled: the one loop every way of finding its runs ends in
//! (the sort index's records, the search's few keys, the search's key reads).

use super::codec::{self, Matcher};
use super::plan::PageCursor;
use telemetry_core::history::{HistoryQuery, StoredRun};
use wasm_bindgen::JsValue;

/// Up to a page of runs in the list's order.
pub struct Page {
    pub runs: Vec<StoredRun>,
    /// Where the next page starts; `None` when nothing matching is left.
    pub next: Option<PageCursor>,
}

/// A page being filled from records in the list's order, filtered as the scan filters, until
/// one more run than the page holds shows there is a next page.
pub(super) struct PageFill<'q> {
    query: &'q HistoryQuery,
    matcher: Matcher<'q>,
    limit: usize,
    runs: Vec<StoredRun>,
}

impl<'q> PageFill<'q> {
    pub fn new(query: &'q HistoryQuery, limit: usize) -> PageFill<'q> {
        PageFill {
            query,
            matcher: Matcher::new(query),
            limit,
            runs: Vec::new(),
        }
    }

    /// Candidates still worth reading: enough to fill the page and tell whether it goes on.
    pub fn missing(&self) -> usize {
        self.limit + 1 - self.runs.len()
    }

    /// Not already on the page (a key read twice when a write moved the keys between reads).
    pub fn wants(&self, key: &str) -> bool {
        !self.runs.iter().any(|r| r.key == key)
    }

    /// Filters records in order onto the page (`take_one`); true once it is full and another
    /// record matched.
    pub fn take(&mut self, values: Vec<JsValue>) -> bool {
        values.into_iter().any(|v| self.take_one(v))
    }

    /// Adds the record if it matches, decoding only what it keeps; true when it matched but the
    /// page is already full (there is a next page).
    pub fn take_one(&mut self, value: JsValue) -> bool {
        if !self.matcher.accepts(&value) {
            return false;
        }
        if self.runs.len() == self.limit {
            return true;
        }
        self.runs
            .extend(codec::decode(value).filter(|r| self.query.matches(r)));
        false
    }

    pub fn done(self, more: bool) -> Page {
        let next = if more {
            self.runs.last().map(|r| PageCursor::of(self.query, r))
        } else {
            None
        };
        Page {
            runs: self.runs,
            next,
        }
    }
}
