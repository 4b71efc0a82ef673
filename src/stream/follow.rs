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

/// Reads ComfyUI's newest history entries for the page and hands the ones it lacks to the
/// pipeline (the app sets one that also skips runs its store already has). It must call
/// [`crate::stream::StreamManager::history_read_done`] when it has finished.
pub type HistoryReader = Rc<dyn Fn(u32)>;

#[derive(Default)]
pub struct FollowState {
    history_reader: Option<HistoryReader>,
    list_in_flight: bool,
    list_again: bool,
    queue_in_flight: bool,
    queue_again: bool,
    history_in_flight: HashSet<String>,
    details_in_flight: bool,
    jobs_in_flight: bool,
    jobs_again: bool,
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
/// One read at a time; one asked for meanwhile follows the first (its answer may predate what
/// made the page ask).
pub fn request_jobs(rc: &Rc<RefCell<Inner>>) {
    let url = {
        let mut inner = rc.borrow_mut();
        if inner.follow.jobs_in_flight {
            inner.follow.jobs_again = true;
            return;
        }
        inner.follow.jobs_in_flight = true;
        inner.server.api("jobs")
    };
    let again = rc.clone();
    fetch_into(rc, url, move |inner, body, now| {
        inner.follow.jobs_in_flight = false;
        if std::mem::take(&mut inner.follow.jobs_again) {
            let rc = again.clone();
            wasm_bindgen_futures::spawn_local(async move { request_jobs(&rc) });
        }
        inner.pipeline.on_jobs(body.as_deref().map_err(|_| ()), now)
    });
}

pub fn set_history_reader(rc: &Rc<RefCell<Inner>>, reader: HistoryReader) {
    rc.borrow_mut().follow.history_reader = Some(reader);
}

/// `GET /api/history?max_items=N`: settles every run the page believes active and adds every
/// prompt it never saw. One read at a time; one asked for meanwhile follows the first.
pub fn request_history_list(rc: &Rc<RefCell<Inner>>, max_items: u32) {
    let reader = {
        let mut inner = rc.borrow_mut();
        if inner.follow.list_in_flight {
            inner.follow.list_again = true;
            return;
        }
        inner.follow.list_in_flight = true;
        inner.follow.history_reader.clone()
    };
    match reader {
        Some(read) => read(max_items),
        None => read_history_unfiltered(rc, max_items),
    }
}

/// Without a store: entries of runs the pipeline does not know, or knows but not settled.
fn read_history_unfiltered(rc: &Rc<RefCell<Inner>>, max_items: u32) {
    let url = rc
        .borrow()
        .server
        .api(&format!("history?max_items={max_items}"));
    let done = rc.clone();
    fetch_into(rc, url, move |inner, body, now| {
        let entries = body
            .ok()
            .and_then(|b| telemetry_core::protocol::http::decode_history(&b).ok())
            .unwrap_or_default();
        let wanted: Vec<_> = entries
            .into_iter()
            .filter(|e| {
                inner
                    .pipeline
                    .tracker
                    .run(&e.prompt_id)
                    .is_none_or(|r| !r.status.is_settled())
            })
            .collect();
        let opened = inner.pipeline.on_history_list(&wanted, now);
        let rc = done.clone();
        wasm_bindgen_futures::spawn_local(async move { history_read_done(&rc) });
        opened
    });
}

/// The history read finished: make the one asked for meanwhile, if any.
pub fn history_read_done(rc: &Rc<RefCell<Inner>>) {
    let again = {
        let mut inner = rc.borrow_mut();
        inner.follow.list_in_flight = false;
        std::mem::take(&mut inner.follow.list_again)
    };
    if again {
        let max = telemetry_core::tracker::HISTORY_PAGE;
        request_history_list(rc, max);
    }
}
