//! The socket in a dedicated worker (`socket_worker.js`). At a few thousand messages a second
//! the browser's own work per message on the page's main thread (the event, its task, the text)
//! cost about as much as everything the dashboard does with the message (issue #22): in the
//! worker it is off the main thread, and the page handles one message per batch.
//!
//! The worker opens the socket it is told to (`"o" + url`), sends what it is told to
//! (`"s" + text`), and posts back `-1` when the socket opened, the frames as arrays (at most one
//! batch every 8 ms while frames keep coming; the first frame after a quiet spell goes at once,
//! so an idle server's frame is not held back) and the close code after the last batch, so the
//! page sees the socket's order. `"c"` closes the socket and ends the worker. Its script is a
//! blob of the file's text (no comments there: every byte of it is in the page's wasm), so it
//! needs no file of its own (the packaged node, the tests and `trunk serve` serve nothing
//! more). A browser that refuses the worker (a policy without `blob:` workers, an error in the
//! worker) gets the socket on the main thread instead (`socket::DirectSocket`).

use super::frame::{deliver, Handlers};
use std::cell::RefCell;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, Event, MessageEvent, Url, Worker};

const SCRIPT: &str = include_str!("socket_worker.js");

thread_local! {
    /// One object URL for the script per page (never revoked: every socket's worker loads it).
    static SCRIPT_URL: RefCell<Option<String>> = const { RefCell::new(None) };
    /// A worker failed (its script refused or broken): later sockets stay on the main thread.
    static FAILED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn script_url() -> Option<String> {
    if FAILED.with(|f| f.get()) {
        return None;
    }
    SCRIPT_URL.with(|cell| {
        if let Some(url) = cell.borrow().as_ref() {
            return Some(url.clone());
        }
        let options = BlobPropertyBag::new();
        options.set_type("text/javascript");
        let parts = js_sys::Array::of1(&JsValue::from_str(SCRIPT));
        let blob = Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
        let url = Url::create_object_url_with_blob(&blob).ok()?;
        *cell.borrow_mut() = Some(url.clone());
        Some(url)
    })
}

pub struct WorkerSocket {
    worker: Worker,
    _on_event: Closure<dyn FnMut(Event)>,
}

impl WorkerSocket {
    /// Starts a worker and has it open `url`; the handlers back when there is no worker.
    pub fn open(url: &str, handlers: Handlers) -> Result<WorkerSocket, Handlers> {
        let Some(worker) = script_url().and_then(|s| Worker::new(&s).ok()) else {
            return Err(handlers);
        };
        // Nothing the worker answers can arrive before this task ends and the handler is set.
        if worker
            .post_message(&JsValue::from_str(&["o", url].concat()))
            .is_err()
        {
            worker.terminate();
            return Err(handlers);
        }
        let Handlers {
            mut on_open,
            mut on_frame,
            mut on_close,
        } = handlers;
        let mut closed = false;
        // One handler for the worker's messages and its errors; nothing after the close.
        let on_event = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            if closed {
                return;
            }
            let Some(data) = e.dyn_ref::<MessageEvent>().map(MessageEvent::data) else {
                // The worker broke (or never ran): this socket is lost like a dropped
                // connection, and the link's next attempt opens one on the main thread.
                FAILED.with(|f| f.set(true));
                closed = true;
                on_close(1006);
                return;
            };
            if js_sys::Array::is_array(&data) {
                for frame in data.unchecked_into::<js_sys::Array>() {
                    deliver(&mut *on_frame, frame);
                }
                return;
            }
            match data.as_f64() {
                Some(code) if code < 0.0 => on_open(),
                Some(code) => {
                    closed = true;
                    on_close(code as u16);
                }
                None => {}
            }
        });
        worker.set_onmessage(Some(on_event.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_event.as_ref().unchecked_ref()));
        Ok(WorkerSocket {
            worker,
            _on_event: on_event,
        })
    }

    pub fn send(&self, text: &str) {
        let _ = self
            .worker
            .post_message(&JsValue::from_str(&["s", text].concat()));
    }
}

impl Drop for WorkerSocket {
    /// Detaches the handler first, so nothing the worker still sends reaches a socket we let go
    /// of; the worker closes its socket and then itself.
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        let _ = self.worker.post_message(&JsValue::from_str("c"));
    }
}
