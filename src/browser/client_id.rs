//! Our own ComfyUI client id. It must never equal another client's: ComfyUI keeps one socket per
//! id, so reusing the ComfyUI tab's id would silence that tab.

/// 32 hex digits like ComfyUI's own ids, from the browser's CSPRNG when there is one.
pub fn new_client_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        // No crypto (very old browser): mix the clock and Math.random; uniqueness, not secrecy.
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = ((js_sys::Math::random() * 256.0) as u8)
                ^ ((js_sys::Date::now() as u64 >> (i % 8)) as u8);
        }
    }
    let mut id = String::from("dash");
    for b in &bytes[2..] {
        id.push_str(&format!("{b:02x}"));
    }
    id
}
