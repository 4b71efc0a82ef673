//! Which run ends to announce (desktop notifications): each run at most once, ever.
//!
//! The same end can reach the page more than once: the extension's catch-up replays a run to a
//! socket that connects late, a reload replays it again, and `/api/history` rebuilds runs that
//! ended while the page was closed. A person wants one notification per run, for runs that ended
//! while they were watching. So the ids already announced are remembered (bounded, and saved by
//! the shell across reloads), and runs rebuilt from history are never announced.

use crate::format::short_id;
use crate::run::RunSource;
use crate::tracker::{Lifecycle, LifecycleKind};
use std::collections::VecDeque;

/// How many announced run ids are remembered: far more than a catch-up or a backfill replays
/// (200 history entries), small enough to save on every end.
pub const NOTIFIED_KEPT: usize = 500;

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEnd {
    pub run_id: String,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEndNotifier {
    /// Oldest first; the oldest go once more than `kept` are remembered.
    notified: VecDeque<String>,
    kept: usize,
    /// The saved text last absorbed or handed out to be saved, while nothing has changed since:
    /// during a flood of ends the shell reads and writes the saved ids on every flush, and the
    /// same text need not be parsed again (500 ids, each looked up in the others) or written.
    synced: Option<String>,
}

impl Default for RunEndNotifier {
    fn default() -> Self {
        RunEndNotifier::new(NOTIFIED_KEPT)
    }
}

impl RunEndNotifier {
    pub fn new(kept: usize) -> RunEndNotifier {
        RunEndNotifier {
            notified: VecDeque::new(),
            kept: kept.max(1),
            synced: None,
        }
    }

    /// Adds the ids another tab or an earlier page saved (a JSON array of strings, as
    /// [`RunEndNotifier::saved`] writes). Anything unreadable adds nothing: the worst case is
    /// one repeated notification, never a failure.
    pub fn absorb_saved(&mut self, saved: &str) {
        if self.synced.as_deref() == Some(saved) {
            return;
        }
        // Through `Value` (a `Vec<String>` would be its own deserializer): an array of strings,
        // else nothing, as `Vec<String>` reads it.
        let ids = match crate::json::parse(saved) {
            Ok(serde_json::Value::Array(ids)) if ids.iter().all(serde_json::Value::is_string) => {
                ids
            }
            _ => Vec::new(),
        };
        for id in ids.iter().filter_map(serde_json::Value::as_str) {
            self.mark(id);
        }
        // What is saved is not what this page holds (another tab wrote it): write ours.
        self.synced = None;
    }

    /// What to save: the remembered ids, oldest first, as a JSON array.
    pub fn saved(&self) -> String {
        // Written by hand, as `serde_json::to_string` of the list writes it.
        let mut out = String::from("[");
        for (i, id) in self.notified.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            crate::json::write_str(&mut out, id);
        }
        out.push(']');
        out
    }

    /// [`saved`](Self::saved) when it changed since it was last absorbed or handed out, else
    /// `None`: there is nothing new to write.
    pub fn to_save(&mut self) -> Option<String> {
        if self.synced.is_some() {
            return None;
        }
        let saved = self.saved();
        self.synced = Some(saved.clone());
        Some(saved)
    }

    pub fn has_notified(&self, run_id: &str) -> bool {
        self.notified.iter().any(|id| id == run_id)
    }

    pub fn len(&self) -> usize {
        self.notified.len()
    }

    pub fn is_empty(&self) -> bool {
        self.notified.is_empty()
    }

    /// Remembers a run as announced without announcing it: runs the store already holds as
    /// finished when the page starts.
    pub fn mark(&mut self, run_id: &str) {
        if self.has_notified(run_id) {
            return;
        }
        self.synced = None;
        self.notified.push_back(run_id.to_owned());
        while self.notified.len() > self.kept {
            self.notified.pop_front();
        }
    }

    /// The notification for `event`, if it is the first end of a run this page watched.
    /// `source` is how the page learned of the run (`None` when it no longer holds it): a run
    /// rebuilt from `/api/history` ended before anyone here saw it, so it is remembered but
    /// not announced.
    pub fn on_event(&mut self, event: &Lifecycle, source: Option<RunSource>) -> Option<RunEnd> {
        let what = match &event.kind {
            LifecycleKind::Succeeded => "finished".to_owned(),
            LifecycleKind::Failed { message } => {
                let message = message.as_deref().unwrap_or("").trim();
                if message.is_empty() {
                    "failed".to_owned()
                } else {
                    format!("failed: {message}")
                }
            }
            LifecycleKind::Interrupted => "was interrupted".to_owned(),
            _ => return None,
        };
        if self.has_notified(&event.run_id) {
            return None;
        }
        self.mark(&event.run_id);
        if source == Some(RunSource::History) {
            return None;
        }
        Some(RunEnd {
            run_id: event.run_id.clone(),
            title: "ComfyUI run".to_owned(),
            body: format!("Prompt {} {what}", short_id(&event.run_id)),
        })
    }
}

#[cfg(test)]
mod saved_text_tests {
    use super::RunEndNotifier;

    #[test]
    fn saved_text_is_what_serde_json_writes_for_the_list() {
        let mut n = RunEndNotifier::new(8);
        assert_eq!(n.saved(), "[]");
        for id in ["a", "b\"c", "d\\e\u{1}é"] {
            n.mark(id);
        }
        assert_eq!(n.saved(), serde_json::to_string(&n.notified).unwrap());
        let mut back = RunEndNotifier::new(8);
        back.absorb_saved(&n.saved());
        assert_eq!(back.notified, n.notified);
    }
}
