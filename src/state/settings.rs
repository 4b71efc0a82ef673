use super::{Kept, Live};
use crate::browser::settings_store;

/// The ComfyUI server the person chose, or `None` for the dashboard's own origin.
#[derive(Clone, Copy)]
pub struct ServerSetting(pub Live<Option<String>>);

impl ServerSetting {
    /// `?server=` wins and is remembered; otherwise what was remembered last time.
    pub fn load() -> ServerSetting {
        let value = match settings_store::server_from_query() {
            Some(server) => {
                settings_store::save_server(Some(&server));
                Some(server)
            }
            None => settings_store::load_server(),
        };
        ServerSetting(Live::new(value))
    }

    pub fn set(&self, server: Option<String>) {
        settings_store::save_server(server.as_deref());
        self.0.set(server);
    }
}

/// The follow policy for runs that do not stream, remembered across reloads.
#[derive(Clone, Copy)]
pub struct PolicySetting(pub Live<telemetry_core::follow::QueuePolicy>);

impl PolicySetting {
    pub fn load() -> PolicySetting {
        PolicySetting(Live::new(settings_store::load_policy()))
    }

    pub fn set(&self, policy: telemetry_core::follow::QueuePolicy) {
        let policy = policy.sanitized();
        settings_store::save_policy(&policy);
        self.0.set(policy);
    }
}

/// The servers of the fleet page, remembered across reloads. Read from the browser's storage
/// the first time a page that shows them asks ([`FleetSetting::loaded`]): only the fleet and
/// settings pages do, so the reading stays in their chunks, not in the live page's wasm.
#[derive(Clone, Copy)]
pub struct FleetSetting(
    pub Live<Vec<telemetry_core::fleet::FleetServer>>,
    Kept<bool>,
);

impl FleetSetting {
    /// Not read yet: empty until a page calls [`FleetSetting::loaded`].
    pub fn unread() -> FleetSetting {
        FleetSetting(Live::new(Vec::new()), Kept::new(false))
    }

    /// The setting from context, read from storage on the first call.
    pub fn loaded() -> FleetSetting {
        let setting = super::handles().fleet;
        if !setting.1.get_value() {
            setting.1.set_value(true);
            setting.0.set(settings_store::load_fleet());
        }
        setting
    }

    pub fn set(&self, list: Vec<telemetry_core::fleet::FleetServer>) {
        settings_store::save_fleet(&list);
        self.1.set_value(true);
        self.0.set(list);
    }
}
