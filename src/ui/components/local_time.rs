use leptos::prelude::*;
use telemetry_core::history::query::format_iso;
use wasm_bindgen::JsValue;

/// A moment in the reader's own time zone, through the browser's `Intl` (so "5 Dec 2026,
/// 12:04:05 CET", its zone named), with the exact UTC time on hover and in `datetime`. Exports
/// keep UTC: a file is read in other time zones.
#[component]
pub fn LocalTime(
    /// Epoch milliseconds.
    ms: f64,
) -> impl IntoView {
    let iso = format_iso(ms);
    let utc = format!("{} UTC", iso.replace('T', " ").trim_end_matches('Z'));
    view! { <time datetime=iso title=utc>{local(ms)}</time> }
}

/// The time as the browser formats it for its locale and zone; the UTC form if `Intl` fails.
pub fn local(ms: f64) -> String {
    let options = js_sys::Object::new();
    for (key, value) in [("dateStyle", "medium"), ("timeStyle", "long")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    let text: String = date.to_locale_string("default", &options).into();
    if text.is_empty() || text == "Invalid Date" {
        format_iso(ms)
    } else {
        text
    }
}
