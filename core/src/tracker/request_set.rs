//! The requests waiting in the tracker's outbox, for its "not twice" check.

use super::reconcile::Request;
use crate::str_map::StrSet;

/// What the outbox holds, so a request already waiting is not added again in O(1) however many
/// wait. Reads by prompt id (a flood of runs the page is unsure of) are the many: their ids are
/// kept in string sets. The other kinds are few at a time (one of each, and a person's queue
/// edits), so a list serves them; no hash table per request type needs compiling (bytes).
#[derive(Debug, Clone, Default)]
pub(super) struct RequestSet {
    entries: StrSet,
    details: StrSet,
    others: Vec<Request>,
}

impl RequestSet {
    /// Adds `request`; `false` when it was here already.
    pub(super) fn insert(&mut self, request: &Request) -> bool {
        match request {
            Request::ReadHistoryEntry(id) => self.entries.insert(id.as_str()),
            Request::ReadHistoryDetails(id) => self.details.insert(id.as_str()),
            other if self.others.contains(other) => false,
            other => {
                self.others.push(other.clone());
                true
            }
        }
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.details.clear();
        self.others.clear();
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len() + self.details.len() + self.others.len()
    }
}
