//! Settings that survive a reload, in localStorage. Missing or blocked storage (private mode)
//! just means defaults.

const SERVER_KEY: &str = "comfy-dashboard.server";

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
