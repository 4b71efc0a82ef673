use crate::browser::settings_store;
use leptos::prelude::*;

/// The ComfyUI server the person chose, or `None` for the dashboard's own origin.
#[derive(Clone, Copy)]
pub struct ServerSetting(pub RwSignal<Option<String>>);

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
        ServerSetting(RwSignal::new(value))
    }

    pub fn set(&self, server: Option<String>) {
        settings_store::save_server(server.as_deref());
        self.0.set(server);
    }
}

/// The follow policy for runs that do not stream, remembered across reloads.
#[derive(Clone, Copy)]
pub struct PolicySetting(pub RwSignal<telemetry_core::follow::QueuePolicy>);

impl PolicySetting {
    pub fn load() -> PolicySetting {
        PolicySetting(RwSignal::new(settings_store::load_policy()))
    }

    pub fn set(&self, policy: telemetry_core::follow::QueuePolicy) {
        let policy = policy.sanitized();
        settings_store::save_policy(&policy);
        self.0.set(policy);
    }
}

/// The servers of the fleet page, remembered across reloads.
#[derive(Clone, Copy)]
pub struct FleetSetting(pub RwSignal<Vec<telemetry_core::fleet::FleetServer>>);

impl FleetSetting {
    pub fn load() -> FleetSetting {
        FleetSetting(RwSignal::new(settings_store::load_fleet()))
    }

    pub fn set(&self, list: Vec<telemetry_core::fleet::FleetServer>) {
        settings_store::save_fleet(&list);
        self.0.set(list);
    }
}
