//! The path the app is served under, and links that stay under it.
//!
//! Trunk writes its public URL into `<base href>`, and the extension rewrites it to
//! `/telemetry/ui/` when it serves the dashboard. Leptos' router strips that base when it
//! matches routes and `navigate` adds it back, but `<A href="/history">` renders the absolute
//! path as it is: under `/telemetry/ui/` it would lead to ComfyUI's own `/history` JSON.
//! Every in-app link therefore goes through [`app_href`].

use std::cell::OnceCell;

thread_local! {
    static BASE: OnceCell<String> = const { OnceCell::new() };
}

/// The base path without its trailing slash: `""` at the root, `"/telemetry/ui"` under the
/// extension. Read once: `<base href>` does not change while the page lives.
pub fn base_path() -> String {
    BASE.with(|b| b.get_or_init(read_base_path).clone())
}

/// `path` (absolute within the app, e.g. `/history/abc`) as a link under the base path.
pub fn app_href(path: &str) -> String {
    format!("{}{path}", base_path())
}

fn read_base_path() -> String {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .unwrap_or_default();
    path_of(&base)
}

/// The path of an absolute URL, without its trailing slash.
fn path_of(url: &str) -> String {
    url.split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_owned()))
        .map(|p| p.split(['?', '#']).next().unwrap_or_default().to_owned())
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned()
}
