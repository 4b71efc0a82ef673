//! The stream's 1 s tick as an input: the core decides what is due (VRAM reads, queue polls
//! while following, the follow policy's time limits); the tick only says whether the page is
//! hidden, so nothing is read for a page nobody looks at.

use super::driver::{feed, DriverRef};
use gloo_timers::callback::Interval;
use std::rc::Rc;
use telemetry_core::input::Input;

pub const TICK_MS: u32 = 1000;

fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Ticks until the returned interval is dropped.
pub fn start(driver: &DriverRef) -> Interval {
    let weak = Rc::downgrade(driver);
    Interval::new(TICK_MS, move || {
        if let Some(driver) = weak.upgrade() {
            feed(
                &driver,
                Input::Tick {
                    hidden: page_hidden(),
                },
            );
        }
    })
}
