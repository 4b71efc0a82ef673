//! Telling "the server refused this page" from "the server is down" or "the extension is not
//! installed", so the page can say why and what would allow it instead of retrying blindly.
//!
//! A browser never shows a page why a WebSocket upgrade failed (a 403 and a dead server both
//! read as close code 1006). After both endpoints failed to open, the shell asks two HTTP
//! questions and this module decides:
//! 1. `GET /telemetry/stats` in CORS mode: the extension answers a refusal with 403 and a JSON
//!    body naming the reason and the setting (with `Access-Control-Allow-Origin` for the refused
//!    origin, so the page can read it); ComfyUI's own origin check answers 403 with no body.
//! 2. `GET /api/system_stats` in `no-cors` mode: resolves whenever the server answered at all,
//!    rejects only when nothing answered. A server that answers here but whose CORS read failed
//!    refuses this page's origin.

use serde_json::{Map, Value};

/// Longest server-given text kept (it is shown to people; the server is untrusted).
const MAX_TEXT: usize = 300;

/// Why the server refused the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// A short machine-readable code (`origin-not-allowed`, `host-not-allowed`, `cross-site`,
    /// `forbidden`).
    pub reason: String,
    /// The setting that would allow the page, when known.
    pub setting: Option<String>,
    /// One sentence a person can act on.
    pub message: String,
}

/// What `GET /telemetry/stats` (CORS mode) gave: the status and body, or a network/CORS error.
pub type StatsProbe = Result<(u16, String), ()>;

/// The extension's JSON 403 body. Read from a `Value` object, not a serde derive: a derive
/// compiles its own field matcher and map loop into the live page's wasm (issue #22), the
/// `Value` reader is there anyway. Same rules as the derive it replaced: an object whose four
/// fields are each absent, `null` or a string; any other value refuses the whole body.
struct RefusalBody {
    error: Option<String>,
    reason: Option<String>,
    setting: Option<String>,
    message: Option<String>,
}

impl RefusalBody {
    fn parse(body: &str) -> Option<RefusalBody> {
        let value = crate::json::parse(body).ok()?;
        let map = value.as_object()?;
        Some(RefusalBody {
            error: text(map, "error")?,
            reason: text(map, "reason")?,
            setting: text(map, "setting")?,
            message: text(map, "message")?,
        })
    }
}

/// `Some(None)` when the field is absent or `null`, `None` when it is not a string.
fn text(map: &Map<String, Value>, key: &str) -> Option<Option<String>> {
    match map.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

fn clip(text: &str) -> String {
    let mut out: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect();
    if text.chars().count() > MAX_TEXT {
        out.push('…');
    }
    out
}

/// Decides from the two probes. `page_origin` is this page's origin and `cross_origin` whether
/// the server is on another one.
pub fn classify(
    stats: &StatsProbe,
    server_answered: bool,
    cross_origin: bool,
    page_origin: &str,
    server: &str,
) -> Option<Refusal> {
    match stats {
        Ok((403, body)) => Some(from_403(body, server)),
        Ok(_) => None,
        Err(()) if server_answered && cross_origin => Some(Refusal {
            reason: "origin-not-allowed".into(),
            setting: Some("--enable-cors-header".into()),
            message: clip(&format!(
                "{server} answers but refuses pages from {page_origin}: start ComfyUI with \
                 --enable-cors-header {page_origin} and, with the telemetry extension, add \
                 {page_origin} to COMFY_TELEMETRY_ALLOWED_ORIGINS."
            )),
        }),
        Err(()) => None,
    }
}

fn from_403(body: &str, server: &str) -> Refusal {
    let parsed = RefusalBody::parse(body);
    match parsed {
        Some(b) if b.error.as_deref() == Some("telemetry-refused") => {
            let reason = b
                .reason
                .filter(|r| !r.is_empty())
                .map(|r| clip(&r))
                .unwrap_or_else(|| "forbidden".into());
            let setting = b.setting.filter(|s| !s.is_empty()).map(|s| clip(&s));
            let message = b
                .message
                .filter(|m| !m.trim().is_empty())
                .map(|m| clip(&m))
                .unwrap_or_else(|| default_message(server, setting.as_deref()));
            Refusal {
                reason,
                setting,
                message,
            }
        }
        _ => Refusal {
            reason: "forbidden".into(),
            setting: None,
            message: default_message(server, None),
        },
    }
}

fn default_message(server: &str, setting: Option<&str>) -> String {
    match setting {
        Some(s) => clip(&format!(
            "{server} refused this page (403). {s} would allow it."
        )),
        None => clip(&format!(
            "{server} refused this page (403 Forbidden). Open the dashboard from the server's own \
             address, or allow this page's origin on the server."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "http://127.0.0.1:8080";
    const SERVER: &str = "127.0.0.1:8188";

    #[test]
    fn an_extension_refusal_names_its_reason_and_setting() {
        let body = r#"{"error":"telemetry-refused","reason":"host-not-allowed","setting":"COMFY_TELEMETRY_ALLOWED_HOSTS","message":"Host rebind.example is not allowed: add it to COMFY_TELEMETRY_ALLOWED_HOSTS."}"#;
        let r = classify(&Ok((403, body.into())), true, false, PAGE, SERVER).unwrap();
        assert_eq!(r.reason, "host-not-allowed");
        assert_eq!(r.setting.as_deref(), Some("COMFY_TELEMETRY_ALLOWED_HOSTS"));
        assert!(r.message.contains("rebind.example"));
    }

    #[test]
    fn a_bare_403_is_still_a_refusal() {
        let r = classify(&Ok((403, String::new())), true, false, PAGE, SERVER).unwrap();
        assert_eq!(r.reason, "forbidden");
        assert!(r.message.contains("403"));
    }

    #[test]
    fn a_server_that_answers_but_fails_cors_refuses_the_origin() {
        let r = classify(&Err(()), true, true, PAGE, SERVER).unwrap();
        assert_eq!(r.reason, "origin-not-allowed");
        assert!(r
            .message
            .contains("--enable-cors-header http://127.0.0.1:8080"));
    }

    #[test]
    fn down_missing_or_allowed_is_not_a_refusal() {
        // Nothing answered: down.
        assert_eq!(classify(&Err(()), false, true, PAGE, SERVER), None);
        // Same origin, the read failed: not a CORS matter.
        assert_eq!(classify(&Err(()), true, false, PAGE, SERVER), None);
        // No extension (404) or an allowed page (200).
        assert_eq!(
            classify(&Ok((404, "".into())), true, true, PAGE, SERVER),
            None
        );
        assert_eq!(
            classify(&Ok((200, "{}".into())), true, true, PAGE, SERVER),
            None
        );
    }

    #[test]
    fn a_body_that_is_not_the_extensions_is_a_plain_refusal() {
        for body in [
            "not json",
            "[]",
            r#""telemetry-refused""#,
            r#"{"error":"telemetry-refused","reason":7}"#,
            r#"{"error":"telemetry-refused","setting":["x"]}"#,
            r#"{"error":"other","reason":"host-not-allowed"}"#,
        ] {
            let r = classify(&Ok((403, body.into())), true, false, PAGE, SERVER).unwrap();
            assert_eq!(r.reason, "forbidden", "{body}");
            assert_eq!(r.setting, None, "{body}");
        }
        // Nulls and unknown fields are fine; empty texts fall back to the defaults.
        let body =
            r#"{"error":"telemetry-refused","reason":"","setting":null,"message":" ","extra":1}"#;
        let r = classify(&Ok((403, body.into())), true, false, PAGE, SERVER).unwrap();
        assert_eq!(r.reason, "forbidden");
        assert_eq!(r.setting, None);
        assert!(r.message.contains("403"));
    }

    #[test]
    fn server_text_is_bounded_and_has_no_control_characters() {
        let long = "x".repeat(5000);
        let body =
            format!(r#"{{"error":"telemetry-refused","reason":"a\u0007b","message":"{long}"}}"#);
        let r = classify(&Ok((403, body)), true, false, PAGE, SERVER).unwrap();
        assert_eq!(r.reason, "ab");
        assert!(r.message.chars().count() <= MAX_TEXT + 1);
    }
}
