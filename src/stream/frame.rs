//! What a socket reports (its open, each frame, its close), shared by both places a socket can
//! live (`socket`, `socket_worker`).

use wasm_bindgen::{JsCast, JsValue};

pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

/// What the socket reports. Boxed: one copy of each transport's code, whoever listens.
pub struct Handlers {
    pub on_open: Box<dyn FnMut()>,
    pub on_frame: Box<dyn FnMut(Frame)>,
    pub on_close: Box<dyn FnMut(u16)>,
}

/// One received message: text, or an `ArrayBuffer` (anything else is not a frame).
pub(super) fn deliver(on_frame: &mut dyn FnMut(Frame), data: JsValue) {
    if let Some(text) = data.as_string() {
        on_frame(Frame::Text(text));
    } else if let Some(buffer) = data.dyn_ref::<js_sys::ArrayBuffer>() {
        on_frame(Frame::Binary(js_sys::Uint8Array::new(buffer).to_vec()));
    }
}
