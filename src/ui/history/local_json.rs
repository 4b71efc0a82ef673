//! The history tab's small settings in local storage (filter presets, retention), as JSON
//! arrays read and written by the browser's own `JSON`, not serde: serde's code for each stored
//! type was the history page's own (about 4 kB raw, issue #22), and the browser's parser is
//! already there. Missing or blocked storage (private mode), or a value that is not an array,
//! reads as nothing.

use js_sys::{Array, JSON};
use wasm_bindgen::{JsCast, JsValue};

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// `v` when it is an array.
pub fn array(v: &JsValue) -> Option<Array> {
    Array::is_array(v).then(|| v.clone().unchecked_into())
}

/// The array stored under `key`.
pub fn read(key: &str) -> Option<Array> {
    let text = storage()?.get_item(key).ok()??;
    array(&JSON::parse(&text).ok()?)
}

/// Stores `value` under `key` as JSON (best effort, as a setting).
pub fn write(key: &str, value: &Array) {
    if let (Some(s), Ok(text)) = (storage(), JSON::stringify(value)) {
        let _ = s.set_item(key, &String::from(text));
    }
}
