//! Plays a bundled recording through the same pipeline as a live socket, for when no ComfyUI
//! is reachable. Frames keep their recorded spacing; recordings play one after another.

use super::driver::{feed, DriverRef};
use crate::browser::http::get_text;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use telemetry_core::input::Input;
use telemetry_core::trace::{parse_trace, Payload, TraceFrame};

const GAP_MS: f64 = 1500.0;

/// Fetches `recordings/playlist.json` (a list of trace file paths relative to it) and the traces
/// it names, relative to the page's base URL.
pub async fn load_playlist(base: &str) -> Result<Vec<TraceFrame>, String> {
    let list = get_text(&format!("{base}recordings/playlist.json"))
        .await
        .map_err(|e| format!("no bundled recording: {e}"))?;
    // A `Value`, not `Vec<String>`: the live page already has the `Value` reader, and a typed
    // reader would be code of its own (issue #22).
    let list = telemetry_core::json::parse(&list).map_err(|e| format!("bad playlist: {e}"))?;
    let files = list
        .as_array()
        .filter(|files| files.iter().all(serde_json::Value::is_string))
        .ok_or("bad playlist: not a list of file names")?;
    let mut all = Vec::new();
    let mut offset = 0.0;
    for file in files.iter().filter_map(serde_json::Value::as_str) {
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

/// The pending frame's timer; dropping it (a new server, a new recording) ends the playback.
pub type DemoSlot = Rc<RefCell<Option<Timeout>>>;

/// Feeds `frames` into the driver with their recorded spacing.
pub fn play(driver: &DriverRef, slot: &DemoSlot, frames: Vec<TraceFrame>) {
    next(
        Rc::downgrade(driver),
        Rc::downgrade(slot),
        Rc::new(frames),
        0,
        0.0,
    );
}

fn next(
    driver: Weak<RefCell<super::driver::Driver>>,
    slot: Weak<RefCell<Option<Timeout>>>,
    frames: Rc<Vec<TraceFrame>>,
    index: usize,
    prev_t: f64,
) {
    let Some(frame) = frames.get(index) else {
        return;
    };
    let wait = (frame.t_ms - prev_t).clamp(0.0, 60_000.0) as u32;
    let Some(slot_rc) = slot.upgrade() else {
        return;
    };
    let timer = Timeout::new(wait, move || {
        let Some(rc) = driver.upgrade() else {
            return;
        };
        let frame = &frames[index];
        match &frame.payload {
            Payload::Text(t) => feed(&rc, Input::Text(t)),
            Payload::Binary(b) => feed(&rc, Input::Binary(b)),
        }
        let t = frame.t_ms;
        next(Rc::downgrade(&rc), slot, frames.clone(), index + 1, t);
    });
    *slot_rc.borrow_mut() = Some(timer);
}
