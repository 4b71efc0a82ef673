//! Numbers kept in the `meta` store as `{name, value}` entries (the search store's epoch, its
//! floor and readiness, tombstones' times, insight touches): how one is read and written. Its
//! own module so the search store's writers and its removal markers both use it without
//! importing each other.

use super::StoreError;
use wasm_bindgen::JsValue;

/// The `value` of a meta entry read with `get`, or 0 when there is none (or it is not a number).
pub(super) fn meta_number(value: Option<JsValue>) -> f64 {
    value
        .and_then(|v| js_sys::Reflect::get(&v, &JsValue::from_str("value")).ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// A meta entry `{name, value}` to `put`.
pub(super) fn meta_entry(name: &str, value: f64) -> Result<JsValue, StoreError> {
    let obj = js_sys::Object::new();
    let set = |k: &str, v: JsValue| js_sys::Reflect::set(&obj, &JsValue::from_str(k), &v);
    set("name", JsValue::from_str(name))
        .and_then(|_| set("value", JsValue::from_f64(value)))
        .map_err(|_| StoreError::Failed("building a meta entry".to_owned()))?;
    Ok(obj.into())
}
