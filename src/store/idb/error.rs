//! The one error of the IndexedDB layer: the `DOMException`'s `name` and `message`, kept apart.
//!
//! The store sorts failures by that name (`QuotaExceededError`, `VersionError`, `AbortError`,
//! …, see `store::error`). `rexie` wrapped it in an error whose text was only "idb error", so
//! the name was lost on the way; here it travels as it came from the browser.

use wasm_bindgen::{JsCast, JsValue};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct IdbError {
    /// The `DOMException`'s name (`QuotaExceededError`, …), or a name of ours for failures
    /// that came without one.
    pub name: String,
    pub message: String,
}

impl IdbError {
    pub(crate) fn new(name: &str, message: &str) -> Self {
        IdbError {
            name: name.to_owned(),
            message: message.to_owned(),
        }
    }

    /// From whatever a web-sys call threw: normally a `DOMException` (a `TypeError` or a plain
    /// value otherwise, kept as text).
    pub(crate) fn from_js(value: &JsValue) -> Self {
        if let Some(e) = value.dyn_ref::<web_sys::DomException>() {
            return Self::from_dom(e);
        }
        if let Some(e) = value.dyn_ref::<js_sys::Error>() {
            return IdbError {
                name: e.name().into(),
                message: e.message().into(),
            };
        }
        let text = value.as_string().unwrap_or_else(|| format!("{value:?}"));
        IdbError::new("Error", &text)
    }

    pub(crate) fn from_dom(e: &web_sys::DomException) -> Self {
        IdbError {
            name: e.name(),
            message: e.message(),
        }
    }
}

/// `.map_err` for web-sys calls: what they throw, as an [`IdbError`].
pub(crate) fn thrown(value: JsValue) -> IdbError {
    IdbError::from_js(&value)
}
