//! A `web_sys::WebSocket` with its event closures, which must live exactly as long as it does.

use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Opens a socket. Errors only for a URL the browser refuses outright; connection failures
    /// arrive later as a close.
    pub fn open(
        url: &str,
        on_open: impl FnMut() + 'static,
        mut on_frame: impl FnMut(Frame) + 'static,
        mut on_close: impl FnMut(u16) + 'static,
    ) -> Result<Socket, String> {
        let ws = WebSocket::new(url).map_err(|e| format!("{e:?}"))?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let mut on_open = on_open;
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_: Event| on_open());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            if let Some(text) = data.as_string() {
                on_frame(Frame::Text(text));
            } else if let Some(buffer) = data.dyn_ref::<js_sys::ArrayBuffer>() {
                on_frame(Frame::Binary(js_sys::Uint8Array::new(buffer).to_vec()));
            }
        });
        let on_close =
            Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| on_close(e.code()));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    pub fn send(&self, text: &str) {
        let _ = self.ws.send_with_str(text);
    }
}

impl Drop for Socket {
    /// Detaches the handlers before closing, so a socket we let go of cannot schedule a
    /// reconnect (the React dashboard's leak).
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
