//! Opt-in desktop notifications when a run ends. Nothing is shown unless the person turned it
//! on and the browser granted permission.

use wasm_bindgen::JsCast;
use web_sys::{Notification, NotificationOptions, NotificationPermission};

pub fn supported() -> bool {
    web_sys::window()
        .map(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false))
        .unwrap_or(false)
}

pub fn granted() -> bool {
    supported() && Notification::permission() == NotificationPermission::Granted
}

/// Asks for permission; resolves to whether it was granted.
pub async fn request() -> bool {
    if !supported() {
        return false;
    }
    let Ok(promise) = Notification::request_permission() else {
        return false;
    };
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(v) => v.as_string().as_deref() == Some("granted"),
        Err(_) => false,
    }
}

pub fn show(title: &str, body: &str) {
    if !granted() {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag("comfy-dashboard-run");
    if let Ok(n) = Notification::new_with_options(title, &options) {
        let _ = n.dyn_into::<Notification>();
    }
}
