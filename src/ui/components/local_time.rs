use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// A moment in the reader's own time zone, through the browser's `Intl` (so "5 Dec 2026,
/// 12:04:05 CET", its zone named), with the exact UTC time on hover and in `datetime`. Exports
/// keep UTC: a file is read in other time zones.
#[component]
pub fn LocalTime(
    /// Epoch milliseconds.
    ms: f64,
) -> impl IntoView {
    let iso = iso(ms);
    let utc = format!("{} UTC", iso.replace('T', " ").trim_end_matches('Z'));
    view! { <time datetime=iso title=utc>{local(ms)}</time> }
}

/// The largest time a JavaScript `Date` holds (ms either side of 1970); beyond it (and for NaN)
/// `toISOString` throws, so such a time is shown as nothing rather than aborting the page.
const DATE_LIMIT_MS: f64 = 8.64e15;

/// The UTC time as ISO 8601 (`2026-12-05T11:04:05.000Z`), by the browser's own `Date` (no
/// formatting code of ours in the live page's wasm); empty for a time no `Date` can hold.
fn iso(ms: f64) -> String {
    if ms.abs() <= DATE_LIMIT_MS {
        js_sys::Date::new(&JsValue::from_f64(ms))
            .to_iso_string()
            .into()
    } else {
        String::new()
    }
}

/// The time as the browser formats it for its locale and zone: date and time with the zone's
/// name; the UTC form if `Intl` fails.
pub fn local(ms: f64) -> String {
    local_with(ms, &[("dateStyle", "medium"), ("timeStyle", "long")])
}

/// The date alone in the reader's zone ("5 Dec 2026"), for chart axes.
pub fn local_date(ms: f64) -> String {
    local_with(ms, &[("dateStyle", "medium")])
}

fn local_with(ms: f64, style: &[(&str, &str)]) -> String {
    let options = js_sys::Object::new();
    for (key, value) in style {
        let _ = js_sys::Reflect::set(&options, &(*key).into(), &(*value).into());
    }
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    let text: String = date.to_locale_string("default", &options).into();
    if text.is_empty() || text == "Invalid Date" {
        iso(ms)
    } else {
        text
    }
}
