//! Plays a bundled recording through the same pipeline as a live socket, for when no ComfyUI
//! is reachable. Frames keep their recorded spacing; recordings play one after another.

use super::manager::{handle_frame, Inner};
use super::socket::Frame;
use crate::browser::http::get_text;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use telemetry_core::connection::{ConnectionState, EndpointKind};
use telemetry_core::trace::{parse_trace, Payload, TraceFrame};

const GAP_MS: f64 = 1500.0;

/// Fetches `recordings/playlist.json` (a list of trace file paths relative to it) and the traces
/// it names, relative to the page's base URL.
pub async fn load_playlist(base: &str) -> Result<Vec<TraceFrame>, String> {
    let list = get_text(&format!("{base}recordings/playlist.json"))
        .await
        .map_err(|e| format!("no bundled recording: {e}"))?;
    let files: Vec<String> =
        serde_json::from_str(&list).map_err(|e| format!("bad playlist: {e}"))?;
    let mut all = Vec::new();
    let mut offset = 0.0;
    for file in files {
        let text = get_text(&format!("{base}recordings/{file}"))
            .await
            .map_err(|e| format!("cannot load {file}: {e}"))?;
        let frames = parse_trace(&text);
        let Some(first) = frames.first().map(|f| f.t_ms) else {
            continue;
        };
        let mut last = 0.0;
        for f in frames {
            last = f.t_ms - first;
            all.push(TraceFrame {
                t_ms: offset + last,
                payload: f.payload,
            });
        }
        offset += last + GAP_MS;
    }
    if all.is_empty() {
        return Err("the bundled recording is empty".into());
    }
    Ok(all)
}

pub(super) fn play(rc: &Rc<RefCell<Inner>>, frames: Vec<TraceFrame>) {
    {
        let mut inner = rc.borrow_mut();
        inner.demo_active();
        inner.info.state = ConnectionState::Open;
        inner.info.endpoint = Some(EndpointKind::Demo);
        inner.info.attempt = 0;
        inner.info.last_error = None;
        inner.info.next_attempt_at_ms = None;
        inner.info.retry_delay_ms = None;
        inner.notify_connection();
    }
    let frames = Rc::new(frames);
    step(rc, frames, 0, 0.0);
}

fn step(rc: &Rc<RefCell<Inner>>, frames: Rc<Vec<TraceFrame>>, index: usize, prev_t: f64) {
    let Some(frame) = frames.get(index) else {
        return;
    };
    let wait = (frame.t_ms - prev_t).max(0.0);
    let weak = Rc::downgrade(rc);
    let generation = rc.borrow().generation();
    let timer = Timeout::new(wait.min(60_000.0) as u32, move || {
        let Some(rc) = weak.upgrade() else {
            return;
        };
        if rc.borrow().generation() != generation {
            return;
        }
        let frame_ref = &frames[index];
        let t = frame_ref.t_ms;
        let payload = match &frame_ref.payload {
            Payload::Text(t) => Frame::Text(t.clone()),
            Payload::Binary(b) => Frame::Binary(b.clone()),
        };
        handle_frame(&rc, payload);
        step(&rc, frames.clone(), index + 1, t);
    });
    rc.borrow_mut().set_demo_timer(timer);
}
