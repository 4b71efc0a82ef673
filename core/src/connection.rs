//! What the connection indicator shows; decided by [`crate::link::Link`].

pub use crate::refusal::Refusal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    Open,
    Reconnecting,
    /// Every quick reconnect attempt failed (the slow server watch reconnects by itself when
    /// `ConnectionInfo::watch_probes` is set), or the server refused the page.
    Offline,
}

impl ConnectionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Open => "open",
            ConnectionState::Reconnecting => "reconnecting",
            ConnectionState::Offline => "offline",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// Our extension's full stream: every client's runs.
    Telemetry,
    /// Stock ComfyUI's socket: only queue counts for other clients' runs.
    Ws,
    /// A bundled recording played in the page.
    Demo,
}

impl EndpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Telemetry => "telemetry",
            EndpointKind::Ws => "ws",
            EndpointKind::Demo => "demo",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionInfo {
    pub state: ConnectionState,
    /// Reconnect attempts since the last established connection, 0 to `max_attempts`.
    pub attempt: u32,
    pub max_attempts: u32,
    pub endpoint: Option<EndpointKind>,
    /// `/telemetry` was tried and is not there, so we are on `/ws`.
    pub telemetry_missing: bool,
    /// Local epoch ms of the next scheduled attempt, for a countdown.
    pub next_attempt_at_ms: Option<f64>,
    /// The backoff delay before that attempt.
    pub retry_delay_ms: Option<u64>,
    pub last_error: Option<String>,
    /// The server we talk to, for people.
    pub server: String,
    pub client_id: String,
    /// The server refused the page (403): why, and what would allow it. No reconnects until
    /// a person retries.
    pub refused: Option<Refusal>,
    /// Offline and watching for the server's return: probes sent so far (the next one at
    /// `next_attempt_at_ms`).
    pub watch_probes: Option<u32>,
}

impl ConnectionInfo {
    pub fn new(server: &str, client_id: &str, max_attempts: u32) -> ConnectionInfo {
        ConnectionInfo {
            state: ConnectionState::Connecting,
            attempt: 0,
            max_attempts,
            endpoint: None,
            telemetry_missing: false,
            next_attempt_at_ms: None,
            retry_delay_ms: None,
            last_error: None,
            server: server.to_owned(),
            client_id: client_id.to_owned(),
            refused: None,
            watch_probes: None,
        }
    }
}
