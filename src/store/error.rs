//! One error type for every store operation, sorted by what the UI can do about it: nothing
//! (`Unavailable`), ask the person to close another tab (`Blocked`), free space
//! (`QuotaExceeded`), or show the message (`Failed`).

use super::idb::IdbError;
use wasm_bindgen::{JsCast, JsValue};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// No IndexedDB here (private mode, sandboxed frame, disabled storage): history is off.
    #[error("browser storage is unavailable: {0}")]
    Unavailable(String),
    /// Another tab keeps an older version of the database open and does not let go.
    #[error("another dashboard tab is using an older version of the history; close it and reload")]
    Blocked,
    #[error("browser storage is full")]
    QuotaExceeded,
    #[error("history storage failed: {0}")]
    Failed(String),
}

/// Sorts a thrown JS value (normally a `DOMException`) by its `name`, which is the only part
/// browsers agree on; messages differ per engine.
pub fn classify(error: &JsValue) -> StoreError {
    let name = js_string(error, "name");
    let message = js_string(error, "message");
    match (name, message) {
        (Some(name), message) => classify_name(&name, message.as_deref().unwrap_or("")),
        (None, _) => match error.as_string() {
            Some(s) => classify_text(&s),
            None => StoreError::Failed(format!("{error:?}")),
        },
    }
}

fn js_string(value: &JsValue, field: &str) -> Option<String> {
    if let Some(e) = value.dyn_ref::<web_sys::DomException>() {
        return Some(if field == "name" {
            e.name()
        } else {
            e.message()
        });
    }
    if !value.is_object() {
        return None;
    }
    js_sys::Reflect::get(value, &JsValue::from_str(field))
        .ok()
        .and_then(|v| v.as_string())
}

fn classify_name(name: &str, message: &str) -> StoreError {
    match name {
        "QuotaExceededError" => StoreError::QuotaExceeded,
        "SecurityError" => StoreError::Unavailable(format!("{name}: {message}")),
        // The connection was closed under us: another tab upgraded the database.
        "InvalidStateError" => StoreError::Failed(format!(
            "the history database was closed (another tab may have upgraded it; reload): {message}"
        )),
        "VersionError" => StoreError::Failed(
            "a newer dashboard version upgraded the history database; reload this tab".to_owned(),
        ),
        _ => StoreError::Failed(format!("{name}: {message}")),
    }
}

/// The IndexedDB layer keeps the `DOMException`'s name apart from its message, so a failed
/// request is sorted as a thrown one (`rexie` showed only "idb error" and hid the name).
impl From<IdbError> for StoreError {
    fn from(e: IdbError) -> Self {
        classify_name(&e.name, &e.message)
    }
}

fn classify_text(text: &str) -> StoreError {
    for name in [
        "QuotaExceededError",
        "SecurityError",
        "InvalidStateError",
        "VersionError",
    ] {
        if text.contains(name) {
            return classify_name(name, text);
        }
    }
    StoreError::Failed(text.to_owned())
}
