//! Following runs the socket does not report: `/api/queue` for what is queued or running by any
//! client, and `/api/history/{id}` for how a run ended when its end was not sent to us.
//!
//! At most one queue request is in flight; a request asked for meanwhile is remembered and made
//! once the first returns, so a burst of `status` messages costs two requests, not one each.

use super::manager::{carry_out, schedule_flush, Inner};
use crate::browser::clock::now_ms;
use crate::browser::http::{get_text, HttpError};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

#[derive(Default)]
pub struct FollowState {
    queue_in_flight: bool,
    queue_again: bool,
    history_in_flight: HashSet<String>,
    details_in_flight: bool,
    jobs_in_flight: bool,
}

pub fn request_queue(rc: &Rc<RefCell<Inner>>) {
    let url = {
        let mut inner = rc.borrow_mut();
        if inner.follow.queue_in_flight {
            inner.follow.queue_again = true;
            return;
        }
        inner.follow.queue_in_flight = true;
        inner.server.api("queue")
    };
    let rc = rc.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let body = get_text(&url).await;
        let now = now_ms();
        // Runs that left the queue are now read from history (due polls and reconciliation).
        let requests = {
            let mut inner = rc.borrow_mut();
            inner.follow.queue_in_flight = false;
            // A failed poll changes nothing; the next status message asks again.
            if let Ok(Ok((opened, _left))) = body.map(|b| inner.pipeline.on_queue(&b, now)) {
                schedule_flush(&rc, &mut inner, opened, now);
            }
            inner.pipeline.take_requests(now)
        };
        carry_out(&rc, requests);
        let again = std::mem::take(&mut rc.borrow_mut().follow.queue_again);
        if again {
            request_queue(&rc);
        }
    });
}

/// Fetches `url` in the background and hands the answer to `apply`, which updates the pipeline
/// and says whether a coalescing window opened.
fn fetch_into(
    rc: &Rc<RefCell<Inner>>,
    url: String,
    apply: impl FnOnce(&mut Inner, Result<String, HttpError>, f64) -> bool + 'static,
) {
    let rc = rc.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let body = get_text(&url).await;
        let now = now_ms();
        let requests = {
            let mut inner = rc.borrow_mut();
            let opened = apply(&mut inner, body, now);
            schedule_flush(&rc, &mut inner, opened, now);
            inner.pipeline.take_requests(now)
        };
        carry_out(&rc, requests);
    });
}

/// One history poll for a run whose end we did not see; the tracker's follow policy decides
/// whether and when to ask again.
pub fn request_history_poll(rc: &Rc<RefCell<Inner>>, prompt_id: String) {
    let url = {
        let mut inner = rc.borrow_mut();
        if !inner.follow.history_in_flight.insert(prompt_id.clone()) {
            return;
        }
        inner.server.history_entry(&prompt_id)
    };
    fetch_into(rc, url, move |inner, body, now| {
        inner.follow.history_in_flight.remove(&prompt_id);
        let body = body.as_deref().map_err(|_| ());
        inner.pipeline.on_history_poll(&prompt_id, body, now)
    });
}

/// One read of a streamed run's history entry, only to learn what the stream did not say (its
/// prompt: node count and types). Not a follow: no policy, no retries.
pub fn request_details(rc: &Rc<RefCell<Inner>>, prompt_id: String) {
    // Best effort, one at a time: a server finishing many short runs a second must not turn
    // into a request per run (the benchmark's flood showed fetch dominating the page).
    let url = {
        let mut inner = rc.borrow_mut();
        if inner.follow.details_in_flight {
            return;
        }
        inner.follow.details_in_flight = true;
        inner.server.history_entry(&prompt_id)
    };
    fetch_into(rc, url, |inner, body, now| {
        inner.follow.details_in_flight = false;
        body.ok()
            .and_then(|b| inner.pipeline.on_history(&b, now).ok())
            .unwrap_or(false)
    });
}

/// `GET /api/features`: what the server says it supports (feature detection, never version
/// guessing). A server without the route answers 404, which reads as "no flags".
pub fn request_features(rc: &Rc<RefCell<Inner>>) {
    let url = rc.borrow().server.api("features");
    fetch_into(rc, url, |inner, body, _now| {
        inner.pipeline.on_features(body.as_deref().map_err(|_| ()));
        false
    });
}

/// `GET /api/jobs` (newer servers): pending, running, finished and cancelled jobs in one read.
/// An error means the server has no jobs API, and the pipeline goes back to queue + history.
pub fn request_jobs(rc: &Rc<RefCell<Inner>>) {
    let url = {
        let mut inner = rc.borrow_mut();
        if inner.follow.jobs_in_flight {
            return;
        }
        inner.follow.jobs_in_flight = true;
        inner.server.api("jobs")
    };
    fetch_into(rc, url, |inner, body, now| {
        inner.follow.jobs_in_flight = false;
        inner.pipeline.on_jobs(body.as_deref().map_err(|_| ()), now)
    });
}
