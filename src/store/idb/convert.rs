//! What requests answer, as the store reads it: plain functions over `JsValue`, shared by the
//! object store and its indexes (no conversion is generic over a result type).

use super::error::IdbError;
use wasm_bindgen::{JsCast, JsValue};

/// `get`'s answer: `undefined` when nothing is stored under the key.
pub(crate) fn optional(value: JsValue) -> Option<JsValue> {
    (!value.is_undefined()).then_some(value)
}

/// `getAll`'s and `getAllKeys`'s answer: an array.
pub(crate) fn list(value: JsValue) -> Result<Vec<JsValue>, IdbError> {
    match value.dyn_into::<js_sys::Array>() {
        Ok(array) => Ok(array.to_vec()),
        Err(other) => Err(IdbError::new(
            "DataError",
            &format!("expected an array, got {other:?}"),
        )),
    }
}

/// `count`'s answer: a whole number (a store never holds more than `u32::MAX` here).
pub(crate) fn count(value: JsValue) -> Result<u32, IdbError> {
    match value.as_f64() {
        Some(n) if n >= 0.0 => Ok(n.min(f64::from(u32::MAX)) as u32),
        _ => Err(IdbError::new(
            "DataError",
            &format!("expected a count, got {value:?}"),
        )),
    }
}
