//! A WebSocket with its event handlers, which must live exactly as long as it does.
//!
//! The socket lives in a dedicated worker when the browser allows one (`socket_worker`): the
//! browser's work for each message (its event, its task, reading its text) then happens off the
//! page's main thread, which gets the frames in batches. Otherwise, or when asked to, it lives
//! on the main thread with one event per message (`direct`). Both deliver the same frames in the
//! same order, and a close after the frames before it.

use super::frame::{deliver, Handlers};
use super::socket_worker::WorkerSocket;
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

pub enum Socket {
    Worker(WorkerSocket),
    Direct(DirectSocket),
}

impl Socket {
    /// Opens a socket, in a worker when `in_worker` and the browser allows it. Errors only for a
    /// URL the browser refuses outright; connection failures arrive later as a close (in a
    /// worker, a refused URL does too).
    pub fn open(url: &str, in_worker: bool, handlers: Handlers) -> Result<Socket, String> {
        let handlers = if in_worker {
            match WorkerSocket::open(url, handlers) {
                Ok(socket) => return Ok(Socket::Worker(socket)),
                Err(handlers) => handlers,
            }
        } else {
            handlers
        };
        DirectSocket::open(url, handlers).map(Socket::Direct)
    }

    /// Whether the socket lives in a worker (the browser allowed one).
    pub fn in_worker(&self) -> bool {
        matches!(self, Socket::Worker(_))
    }

    pub fn send(&self, text: &str) {
        match self {
            Socket::Worker(s) => s.send(text),
            Socket::Direct(s) => {
                let _ = s.ws.send_with_str(text);
            }
        }
    }
}

/// The socket on the main thread.
pub struct DirectSocket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl DirectSocket {
    fn open(url: &str, handlers: Handlers) -> Result<DirectSocket, String> {
        let ws = WebSocket::new(url).map_err(|e| format!("{e:?}"))?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let Handlers {
            mut on_open,
            mut on_frame,
            mut on_close,
        } = handlers;
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_: Event| on_open());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            deliver(&mut *on_frame, e.data())
        });
        let on_close =
            Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| on_close(e.code()));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(DirectSocket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }
}

impl Drop for DirectSocket {
    /// Detaches the handlers before closing, so a socket we let go of cannot schedule a
    /// reconnect (the React dashboard's leak).
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
