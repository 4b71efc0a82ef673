//! Waiting for an outcome in the browser tests, instead of sleeping a fixed time: on a loaded
//! machine a write or a reconnect can take longer than any fixed sleep, and a test that sleeps
//! races the code it checks.

use gloo_timers::future::TimeoutFuture;

/// Polls `ok` every 20 ms until it holds; fails the test with `what` after `timeout_ms`.
pub async fn wait_for(what: &str, timeout_ms: f64, mut ok: impl FnMut() -> bool) {
    let start = js_sys::Date::now();
    while !ok() {
        assert!(
            js_sys::Date::now() - start < timeout_ms,
            "timed out waiting for {what}"
        );
        TimeoutFuture::new(20).await;
    }
}
