//! Reacting to new lifecycle events: every consumer reads the page's bounded feed through a
//! [`FeedCursor`] (the last `seq` it handled), never through the feed's length, which stops
//! changing once the list is full (see `telemetry_core::lifecycle_feed`).

use super::Kept;
use super::LiveState;
use leptos::prelude::Effect;
use telemetry_core::lifecycle_feed::FeedCursor;
use telemetry_core::tracker::Lifecycle;

/// Where a new consumer starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedStart {
    /// Everything the feed holds is new to it (the run-end notifier, created with the page).
    Beginning,
    /// Only what happens from now on (a page opened later).
    Now,
}

/// What a consumer does with the events new to it.
type Handler = Box<dyn Fn(&[Lifecycle])>;

/// Calls `handle` with the events after the last ones it was given, oldest first, each time
/// the feed changes. Lives as long as the calling owner (component or app).
pub fn on_new_lifecycle(
    state: LiveState,
    start: FeedStart,
    handle: impl Fn(&[Lifecycle]) + 'static,
) {
    follow_feed(state, start, Box::new(handle));
}

/// [`on_new_lifecycle`] with its handler boxed: one copy of the effect for every consumer, not
/// one per handler type (issue #22).
fn follow_feed(state: LiveState, start: FeedStart, handle: Handler) {
    let cursor = Kept::new(match start {
        FeedStart::Beginning => FeedCursor::new(),
        FeedStart::Now => state.lifecycle.with_untracked(|l| FeedCursor::at_end_of(l)),
    });
    Effect::new(move |_| {
        state.lifecycle.with(|events| {
            let mut c = cursor.get_value();
            let fresh = c.take(events);
            cursor.set_value(c);
            if !fresh.is_empty() {
                handle(fresh);
            }
        });
    });
}
