//! Desktop notifications when a run ends: each run at most once, ever (the decision is
//! `telemetry_core::run_end`). The ids already announced are kept in localStorage, so neither a
//! reload nor the extension's catch-up replaying a finished run announces it again, and two
//! tabs on one server share them.

use super::lifecycle_feed::{on_new_lifecycle, FeedStart};
use super::Kept;
use super::LiveState;
use crate::browser::{notify, settings_store};
use telemetry_core::run_end::RunEndNotifier;

/// The page's run-end notifier. `Copy`, so the boot code can mark runs it restores.
#[derive(Clone, Copy)]
pub struct RunEnds {
    notifier: Kept<RunEndNotifier>,
    /// Ends announced since the page opened (shown when notifications are on), for tests.
    announced: Kept<u32>,
}

impl RunEnds {
    /// Runs that were already finished when the page learned of them (stored before this page
    /// opened): remembered as announced, never announced.
    pub fn mark_finished<'a>(&self, run_ids: impl IntoIterator<Item = &'a str>) {
        self.notifier.update_value(|n| {
            absorb(n);
            for id in run_ids {
                n.mark(id);
            }
            if let Some(saved) = n.to_save() {
                settings_store::save_notified_runs(&saved);
            }
        });
    }

    pub fn announced(&self) -> u32 {
        self.announced.get_value()
    }
}

/// What other tabs and earlier pages announced.
fn absorb(notifier: &mut RunEndNotifier) {
    if let Some(saved) = settings_store::load_notified_runs() {
        notifier.absorb_saved(&saved);
    }
}

/// Watches the lifecycle feed and shows a notification for each run that ends, when
/// notifications are on. Ends are remembered even when they are off: a run that ended while
/// they were off is old news by the time they are turned on.
pub fn notify_on_run_end(state: LiveState) -> RunEnds {
    let mut notifier = RunEndNotifier::default();
    absorb(&mut notifier);
    let ends = RunEnds {
        notifier: Kept::new(notifier),
        announced: Kept::new(0),
    };
    on_new_lifecycle(state, FeedStart::Beginning, move |events| {
        if !events.iter().any(|e| e.kind.is_end()) {
            return;
        }
        let on = settings_store::load_notify();
        ends.notifier.update_value(|n| {
            absorb(n);
            for e in events {
                let source = state.runs.with_untracked(|runs| {
                    runs.iter()
                        .find(|r| r.prompt_id == e.run_id)
                        .map(|r| r.source)
                });
                if let Some(end) = n.on_event(e, source) {
                    ends.announced.update_value(|a| *a += 1);
                    if on {
                        notify::show(&end.title, &end.body);
                    }
                }
            }
            if let Some(saved) = n.to_save() {
                settings_store::save_notified_runs(&saved);
            }
        });
    });
    ends
}
