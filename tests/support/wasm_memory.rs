//! The test page's wasm memory, for tests that assert it stays flat.

use wasm_bindgen::JsCast;

/// Bytes of wasm linear memory now (it only grows, by 64 KiB pages).
pub fn wasm_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}
