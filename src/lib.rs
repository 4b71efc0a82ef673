//! The browser shell of the dashboard: WebSocket and HTTP drivers, state published into Leptos
//! signals, and the views. Everything that can be decided without a browser lives in
//! `telemetry-core`; this crate wires it to the page.

pub mod app;
pub mod browser;
pub mod state;
pub mod store;
pub mod stream;
pub mod ui;

/// Mounts the dashboard on `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
