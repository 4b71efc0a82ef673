//! What the page shows or keeps of another client's id.
//!
//! Stock ComfyUI's `/api/queue` and `/api/history` list every prompt's raw `client_id`, and
//! ComfyUI's own front end uses its socket id as that id: whoever holds it can open
//! `/ws?clientId=…` and take over that client's progress and results. The page therefore never
//! keeps, displays or exports a raw id it reads there. It keeps a short label that groups a
//! client's runs and cannot be turned back into the id. The extension's pseudonyms (`c-…`,
//! already keyed hashes) are kept as they are.

/// A short, non-reversible label for a client id read from the server.
pub fn client_label(raw: &str) -> String {
    let hex_after = |prefix: &str| {
        raw.strip_prefix(prefix).is_some_and(|h| {
            !h.is_empty() && h.len() <= 22 && h.bytes().all(|b| b.is_ascii_hexdigit())
        })
    };
    // Already a label (ours, `c~…`) or the extension's pseudonym (`c-…`): kept, so applying
    // this twice changes nothing.
    if hex_after("c-") || hex_after("c~") {
        return raw.to_owned();
    }
    // FNV-1a, 32 bits: enough to tell a handful of clients apart, far too little to recover a
    // 122-bit UUID from.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in raw.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("c~{hash:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_id_becomes_a_short_stable_label_without_the_id() {
        let raw = "8f2b6c1e-4d1a-4a57-9b1e-2c3d4e5f6a7b";
        let label = client_label(raw);
        assert_eq!(label, client_label(raw), "stable: a client's runs group");
        assert_ne!(label, client_label("another-client"));
        assert!(label.starts_with("c~") && label.len() == 10);
        assert!(!label.contains("8f2b6c1e"));
    }

    #[test]
    fn the_extensions_pseudonyms_stay_as_they_are() {
        assert_eq!(client_label("c-0123456789abcdef"), "c-0123456789abcdef");
        let label = client_label("8f2b6c1e-4d1a");
        assert_eq!(client_label(&label), label, "idempotent");
        // Not a pseudonym, whatever it starts with.
        assert!(client_label("c-not-hex-at-all").starts_with("c~"));
    }
}
