//! One 1 s tick that does the stream's periodic work: GPU/VRAM polling (`/api/system_stats`
//! every 2 s while a run is active, every 10 s when idle, none while the tab is hidden), and
//! following runs that do not stream (queue polls at the policy's interval, history polls when
//! due, and the policy's time limits).

use super::manager::{carry_out, schedule_flush, Inner};
use crate::browser::clock::now_ms;
use crate::browser::http::get_text;
use std::cell::RefCell;
use std::rc::Rc;
use telemetry_core::run::RunStatus;

pub const TICK_MS: u32 = 1000;
const STATS_ACTIVE_MS: f64 = 2_000.0;
const STATS_IDLE_MS: f64 = 10_000.0;

#[derive(Default)]
pub struct Housekeeping {
    next_stats_ms: f64,
    last_stats_ms: f64,
    stats_in_flight: bool,
    next_queue_ms: f64,
}

impl Housekeeping {
    /// A run started or ended: read VRAM on the next tick, but never more than once a second,
    /// however many runs a busy server starts (a fetch per boundary flooded the network).
    pub fn stats_soon(&mut self) {
        self.next_stats_ms = self.next_stats_ms.min(self.last_stats_ms + 1000.0);
    }
}

fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

pub fn tick(rc: &Rc<RefCell<Inner>>) {
    let now = now_ms();
    let (poll_stats, due) = {
        let mut inner = rc.borrow_mut();
        if inner.demo {
            return;
        }
        let active = inner
            .pipeline
            .tracker
            .runs()
            .iter()
            .any(|r| r.status == RunStatus::Running);
        let poll_stats = !page_hidden()
            && !inner.housekeeping.stats_in_flight
            && now >= inner.housekeeping.next_stats_ms;
        if poll_stats {
            inner.housekeeping.stats_in_flight = true;
            inner.housekeeping.last_stats_ms = now;
            inner.housekeeping.next_stats_ms = now
                + if active {
                    STATS_ACTIVE_MS
                } else {
                    STATS_IDLE_MS
                };
        }
        let following = inner.pipeline.tracker.is_following();
        let interval = inner.pipeline.tracker.policy.sanitized().poll_interval_s as f64 * 1000.0;
        let poll_queue = following && now >= inner.housekeeping.next_queue_ms;
        if poll_queue {
            inner.housekeeping.next_queue_ms = now + interval;
            inner.pipeline.tracker.poll_queue();
        }
        let opened = inner.pipeline.check_follows(now);
        schedule_flush(rc, &mut inner, opened, now);
        let requests = inner.pipeline.take_requests(now);
        (poll_stats, requests)
    };
    if poll_stats {
        request_system_stats(rc);
    }
    carry_out(rc, due);
}

/// Called by the tick only, which keeps one request in flight at a time.
fn request_system_stats(rc: &Rc<RefCell<Inner>>) {
    let url = rc.borrow().server.api("system_stats");
    let rc = rc.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let body = get_text(&url).await;
        let now = now_ms();
        let mut inner = rc.borrow_mut();
        inner.housekeeping.stats_in_flight = false;
        let opened = match body.map(|b| inner.pipeline.on_system_stats(&b, now)) {
            Ok(Ok(opened)) => opened,
            _ => inner.pipeline.system_stats_failed(now),
        };
        schedule_flush(&rc, &mut inner, opened, now);
    });
}
