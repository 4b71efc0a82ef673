//! Where the dashboard talks to: its own origin by default, or a server a person typed in.
//!
//! Pure string work so that it is tested natively; the shell passes in `location.origin`.

use crate::protocol::Artifact;
use thiserror::Error;

/// A query value: everything but RFC 3986's unreserved characters (ASCII letters and digits,
/// `-._~`) is escaped, byte by byte of the UTF-8, as `%XX` in upper-case hex, so a filename with
/// `&`, `#`, `+` or spaces cannot change the request. What `percent-encoding` writes with
/// `NON_ALPHANUMERIC` minus those four (`core/tests/endpoint.rs` checks against it), without its
/// 768-byte table and its `Display` on the live page (issue #22).
pub fn encode(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ServerUrlError {
    #[error("the server address is empty")]
    Empty,
    #[error("only http and https servers are supported, not \"{0}\"")]
    Scheme(String),
    #[error("the server address needs a host name or IP, with an optional :port")]
    NoHost,
    #[error("the server address must not contain spaces, quotes or angle brackets")]
    BadCharacter,
}

/// A ComfyUI server's base address, normalised: scheme, host, port and an optional path prefix
/// (for a server behind a reverse proxy), without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBase {
    secure: bool,
    /// `host[:port]` plus any path prefix.
    rest: String,
}

impl ServerBase {
    /// Accepts what a person types: `127.0.0.1:8188`, `http://host:8188/`, `https://x/comfy`,
    /// or a `ws://` address copied from somewhere.
    pub fn parse(input: &str) -> Result<ServerBase, ServerUrlError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(ServerUrlError::Empty);
        }
        if input
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
        {
            return Err(ServerUrlError::BadCharacter);
        }
        let (secure, rest) = match input.split_once("://") {
            Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
                "http" | "ws" => (false, rest),
                "https" | "wss" => (true, rest),
                other => return Err(ServerUrlError::Scheme(other.to_owned())),
            },
            None => (false, input),
        };
        // Drop any query or fragment, and a trailing `/ws` or `/api` someone pasted.
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let mut rest = rest.trim_end_matches('/').to_owned();
        for suffix in ["/ws", "/api", "/telemetry"] {
            if let Some(stripped) = rest.strip_suffix(suffix) {
                rest = stripped.trim_end_matches('/').to_owned();
            }
        }
        let authority = rest.split('/').next().unwrap_or("");
        if !valid_authority(authority) {
            return Err(ServerUrlError::NoHost);
        }
        Ok(ServerBase { secure, rest })
    }

    /// The page's own origin, e.g. `http://127.0.0.1:8080`.
    pub fn from_origin(origin: &str) -> Result<ServerBase, ServerUrlError> {
        ServerBase::parse(origin)
    }

    pub fn http(&self) -> String {
        format!(
            "{}://{}",
            if self.secure { "https" } else { "http" },
            self.rest
        )
    }

    fn ws(&self) -> String {
        format!("{}://{}", if self.secure { "wss" } else { "ws" }, self.rest)
    }

    /// `…/api/<path>`; every ComfyUI route also exists under `/api`, and using it keeps the
    /// root free for this app when both share an origin.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/{}", self.http(), path.trim_start_matches('/'))
    }

    pub fn telemetry_socket(&self, client_id: &str) -> String {
        format!("{}/telemetry?clientId={}", self.ws(), encode(client_id))
    }

    pub fn comfy_socket(&self, client_id: &str) -> String {
        format!("{}/ws?clientId={}", self.ws(), encode(client_id))
    }

    /// The `/api/view` address of an output file.
    pub fn view(&self, artifact: &Artifact) -> String {
        self.api(&format!(
            "view?filename={}&subfolder={}&type={}",
            encode(&artifact.filename),
            encode(&artifact.subfolder),
            encode(if artifact.folder_type.is_empty() {
                "output"
            } else {
                &artifact.folder_type
            })
        ))
    }

    pub fn history_entry(&self, prompt_id: &str) -> String {
        self.api(&format!("history/{}", encode(prompt_id)))
    }

    /// A label for people and for the run's `server` key.
    pub fn label(&self) -> String {
        self.http()
    }
}

/// `host[:port]` where host is a name, an IPv4 address or a bracketed IPv6 address. Anything
/// else (a `javascript:` string, user info, an empty host) is refused before it becomes a URL.
fn valid_authority(authority: &str) -> bool {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, rest))
                if !addr.is_empty()
                    && addr
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') =>
            {
                (addr, rest.strip_prefix(':'))
            }
            _ => return false,
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && (authority.starts_with('[')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'));
    let port_ok = match port {
        None => true,
        Some(p) => !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()),
    };
    host_ok && port_ok
}
