//! Pages and components. Components read signals from context and hold no logic worth testing
//! on its own: that lives in `telemetry-core`.

pub mod components;
pub mod effect;
pub mod fleet;
pub mod handler;
pub mod history;
pub mod insight;
pub mod live;
pub mod load;
pub mod report;
pub mod settings;
pub mod text;
