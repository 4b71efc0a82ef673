//! How much the origin stores and may store, for the settings page and for telling a full disk
//! from other aborted writes.

use wasm_bindgen_futures::JsFuture;

/// `(usage, quota)` in bytes from `navigator.storage.estimate()`; `None` where the browser does
/// not say (older Safari, insecure origins).
pub async fn estimate() -> Option<(f64, f64)> {
    let storage = web_sys::window()?.navigator().storage();
    let promise = storage.estimate().ok()?;
    let value: web_sys::StorageEstimate = JsFuture::from(promise).await.ok()?.into();
    Some((value.get_usage()?, value.get_quota()?))
}

/// Whether storage is nearly full. Chrome reports a full disk as an aborted transaction whose
/// `error` is a `QuotaExceededError` (the IndexedDB layer reports that as such), but an abort
/// can also come without any error; this is the best remaining evidence then.
pub async fn nearly_full() -> bool {
    match estimate().await {
        Some((usage, quota)) if quota > 0.0 => usage / quota >= 0.95,
        _ => false,
    }
}
