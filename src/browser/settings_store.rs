//! Settings that survive a reload, in localStorage. Missing or blocked storage (private mode)
//! just means defaults.

const SERVER_KEY: &str = "comfy-dashboard.server";
const POLICY_KEY: &str = "comfy-dashboard.queue-policy";
const NOTIFY_KEY: &str = "comfy-dashboard.notify";
const TRENDS_KEY: &str = "comfy-dashboard.trends-open";
const FLEET_KEY: &str = "comfy-dashboard.fleet";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn load_server() -> Option<String> {
    storage()?
        .get_item(SERVER_KEY)
        .ok()?
        .filter(|s| !s.trim().is_empty())
}

/// `None` forgets the server, so the dashboard goes back to its own origin.
pub fn save_server(server: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match server {
            Some(v) => s.set_item(SERVER_KEY, v),
            None => s.remove_item(SERVER_KEY),
        };
    }
}

/// The `?server=` query parameter of the page, decoded.
pub fn server_from_query() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get("server").filter(|s| !s.trim().is_empty())
}

/// The follow policy a person set; anything unreadable gives the defaults.
pub fn load_policy() -> telemetry_core::follow::QueuePolicy {
    storage()
        .and_then(|s| s.get_item(POLICY_KEY).ok().flatten())
        .and_then(|json| telemetry_core::follow::QueuePolicy::from_json(&json))
        .unwrap_or_default()
}

pub fn save_policy(policy: &telemetry_core::follow::QueuePolicy) {
    if let Some(s) = storage() {
        let _ = s.set_item(POLICY_KEY, &policy.to_json());
    }
}

pub fn load_notify() -> bool {
    storage()
        .and_then(|s| s.get_item(NOTIFY_KEY).ok().flatten())
        .is_some_and(|v| v == "1")
}

pub fn save_notify(on: bool) {
    if let Some(s) = storage() {
        let _ = s.set_item(NOTIFY_KEY, if on { "1" } else { "0" });
    }
}

/// Whether the history tab's trends are shown; open unless a person closed them.
pub fn load_trends_open() -> bool {
    storage()
        .and_then(|s| s.get_item(TRENDS_KEY).ok().flatten())
        .is_none_or(|v| v != "0")
}

pub fn save_trends_open(open: bool) {
    if let Some(s) = storage() {
        let _ = s.set_item(TRENDS_KEY, if open { "1" } else { "0" });
    }
}

const NOTIFIED_KEY: &str = "comfy-dashboard.notified-runs";

/// Run ids already announced by a notification (a JSON array, bounded by the core).
pub fn load_notified_runs() -> Option<String> {
    storage()?.get_item(NOTIFIED_KEY).ok()?
}

pub fn save_notified_runs(json: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(NOTIFIED_KEY, json);
    }
}

/// The fleet's servers, as the core encodes them (checked again when read).
pub fn load_fleet() -> Vec<telemetry_core::fleet::FleetServer> {
    storage()
        .and_then(|s| s.get_item(FLEET_KEY).ok().flatten())
        .map(|t| telemetry_core::fleet::decode(&t))
        .unwrap_or_default()
}

pub fn save_fleet(list: &[telemetry_core::fleet::FleetServer]) {
    if let Some(s) = storage() {
        let _ = s.set_item(FLEET_KEY, &telemetry_core::fleet::encode(list));
    }
}
