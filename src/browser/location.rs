//! Where in the app the page is, and moving within it, without a router crate (issue #22).
//!
//! The dashboard has seven fixed routes and one path parameter. `leptos_router` cost the live
//! page's wasm about 53 kB raw for them (its matcher, `<A>`, the lazy route machinery), so the app
//! keeps the location in one signal instead: read from `window.location`, changed by
//! [`Location::navigate`] (`history.pushState`) and by the browser's back and forward buttons
//! (`popstate`). Clicks on plain `<a href>` links that lead to one of the app's own routes are
//! taken over as leptos_router did (same origin, under the base path, no modifier key, no
//! `target` or `download`); any other link (an image on ComfyUI's `/view`, a download) is left to
//! the browser. `App` picks the page from [`Location::path`].

use crate::browser::base_path::{app_href, base_path};
use crate::state::Live;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The app's location: the path under the base path (`/history/abc`) and the query string
/// without its `?`. Two memos, so a page that reads only the query is not rebuilt by a path
/// change and the router is not re-run by a query change.
#[derive(Clone, Copy)]
pub struct Location {
    url: Live<(String, String)>,
    pub path: Memo<String>,
    pub query: Memo<String>,
}

impl Location {
    /// Opens `to` (a path within the app, with or without a query, e.g. `/history?status=error`)
    /// as a new history entry, at the top of the page.
    pub fn navigate(&self, to: &str) {
        if let Some(w) = web_sys::window() {
            if let Ok(history) = w.history() {
                let _ = history.push_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&app_href(to)),
                );
            }
            w.scroll_to_with_x_and_y(0.0, 0.0);
        }
        self.url.set(split(to));
    }

    /// The value of `key` in the query, decoded (`+` and `%XX` as a form decodes them); tracked.
    pub fn query_value(&self, key: &str) -> Option<String> {
        self.query.with(|q| query_value(q, key))
    }
}

/// The location from the page's context (provided by `App`).
pub fn use_location() -> Location {
    expect_context::<Location>()
}

/// Starts following the page's location: reads it now, follows back and forward, and takes over
/// clicks on links to the app's own routes. `is_route` says which paths are the app's.
pub fn provide_location(is_route: fn(&str) -> bool) -> Location {
    let url = Live::new(current());
    let location = Location {
        url,
        path: Memo::new(move |_| url.with(|u| u.0.clone())),
        query: Memo::new(move |_| url.with(|u| u.1.clone())),
    };
    provide_context(location);
    let pop = window_event_listener(leptos::ev::popstate, move |_| url.set(current()));
    let click = window_event_listener(leptos::ev::click, move |ev| {
        if let Some(to) = link_target(&ev, is_route) {
            ev.prevent_default();
            location.navigate(&to);
        }
    });
    on_cleanup(move || {
        pop.remove();
        click.remove();
    });
    location
}

/// The page's path under the base path, and its query without `?`.
fn current() -> (String, String) {
    let Some(loc) = web_sys::window().map(|w| w.location()) else {
        return ("/".into(), String::new());
    };
    let path = loc.pathname().unwrap_or_default();
    let query = loc.search().unwrap_or_default();
    (
        within_base(&path).unwrap_or("/").to_owned(),
        query.trim_start_matches('?').to_owned(),
    )
}

/// `path` without the base path, or `None` when it is not under it.
fn within_base(path: &str) -> Option<&str> {
    let base = base_path();
    let rest = path.strip_prefix(base.as_str())?;
    match rest {
        "" => Some("/"),
        r if r.starts_with('/') => Some(r),
        _ => None,
    }
}

/// `"/history?x=1"` as its path and query.
fn split(to: &str) -> (String, String) {
    let to = to.split('#').next().unwrap_or_default();
    match to.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (to.to_owned(), String::new()),
    }
}

/// The app path (with query) a click leads to when the app should handle it itself.
fn link_target(ev: &web_sys::MouseEvent, is_route: fn(&str) -> bool) -> Option<String> {
    if ev.default_prevented()
        || ev.button() != 0
        || ev.meta_key()
        || ev.alt_key()
        || ev.ctrl_key()
        || ev.shift_key()
    {
        return None;
    }
    let anchor = ev
        .target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("a[href]")
        .ok()??
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .ok()?;
    if !anchor.target().is_empty() || anchor.has_attribute("download") {
        return None;
    }
    let origin = web_sys::window()?.location().origin().ok()?;
    if anchor.origin() != origin {
        return None;
    }
    let path = within_base(&anchor.pathname())?.to_owned();
    if !is_route(&path) {
        return None;
    }
    let search = anchor.search();
    Some(if search.is_empty() {
        path
    } else {
        format!("{path}{search}")
    })
}

/// The decoded value of `key` in a query string (without `?`).
fn query_value(query: &str, key: &str) -> Option<String> {
    web_sys::UrlSearchParams::new_with_str(query).ok()?.get(key)
}

/// A path segment as it was before percent-encoding; the raw segment when it is not valid.
pub fn decode_segment(segment: &str) -> String {
    js_sys::decode_uri_component(segment)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| segment.to_owned())
}
