//! Pages and components. Components read signals from context and hold no logic worth testing
//! on its own: that lives in `telemetry-core`.

pub mod app;
pub mod components;
pub mod history;
pub mod live;
mod server_setting;
pub mod settings;

pub use server_setting::{PolicySetting, ServerSetting};
