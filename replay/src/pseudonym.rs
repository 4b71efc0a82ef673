//! What the replay server publishes instead of a prompt's raw `client_id` on `/telemetry`, like
//! the extension (`comfyui_telemetry/pseudonym.py`): `c-` and 16 hex digits of a keyed hash.
//!
//! Whoever knows a socket id can open `/ws?clientId=<it>` and take that socket's messages over, so
//! the extension never publishes one; the replay server speaks the same protocol and must not
//! either, or a page tested against it would meet raw ids no real extension sends. The key is
//! random per process (SipHash with `RandomState`'s keys): the same client keeps its pseudonym
//! for as long as the server runs, which is all a recording needs.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

/// `c-<16 hex>` for a raw client id.
pub fn pseudonym(client_id: &str) -> String {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    let digest = KEY.get_or_init(RandomState::new).hash_one(client_id);
    format!("c-{digest:016x}")
}

#[cfg(test)]
mod tests {
    use super::pseudonym;

    #[test]
    fn is_stable_distinct_and_hides_the_id() {
        let a = pseudonym("5f27b1b055134f6fa126a306e5108c17");
        assert_eq!(a, pseudonym("5f27b1b055134f6fa126a306e5108c17"));
        assert_ne!(a, pseudonym("ed007ef5108a4b6d9162c37dc1664411"));
        assert!(a.starts_with("c-") && a.len() == 18);
        assert!(a[2..].chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!a.contains("5f27b1b0"));
    }
}
