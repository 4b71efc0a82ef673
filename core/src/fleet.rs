//! The fleet (`/fleet`, issue #24): several ComfyUI servers on one page. What lives here is what
//! the page decides about them, tested natively: the list of servers a person keeps (a name and
//! an address each, stored as JSON), and the drain estimate across the fleet. Each server gets
//! its own stream in the shell (one `StreamManager` per server, as for the live page); this
//! module knows nothing of streams.

use crate::drain::DrainEstimate;
use crate::endpoint::{ServerBase, ServerUrlError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest server name kept: a card title, not a paragraph.
pub const MAX_NAME: usize = 40;

/// One server of the fleet, as a person named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetServer {
    pub name: String,
    /// Normalised (`ServerBase::label`): `http://host:port`.
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FleetError {
    #[error("a server needs a name")]
    NoName,
    #[error("a server name has at most {MAX_NAME} characters")]
    LongName,
    #[error("{0}")]
    Address(#[from] ServerUrlError),
    #[error("a server named \"{0}\" is already in the fleet")]
    DuplicateName(String),
    #[error("{0} is already in the fleet")]
    DuplicateAddress(String),
}

/// The servers a person keeps, in the order they added them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fleet {
    servers: Vec<FleetServer>,
}

impl Fleet {
    /// Reads a stored list leniently: entries that are not a valid, new server are skipped, so
    /// one bad entry (an older format, a hand edit) never hides the others.
    pub fn from_json(stored: &str) -> Fleet {
        let entries: Vec<serde_json::Value> = serde_json::from_str(stored).unwrap_or_default();
        let mut fleet = Fleet::default();
        for entry in entries {
            let field = |k: &str| entry.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let _ = fleet.add(field("name"), field("address"));
        }
        fleet
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.servers).unwrap_or_else(|_| "[]".to_owned())
    }

    pub fn servers(&self) -> &[FleetServer] {
        &self.servers
    }

    /// Adds a server after checking what a person typed: a name (unique, not too long) and an
    /// address the page may connect to (the same rules as the server setting), not already in
    /// the fleet under another name.
    pub fn add(&mut self, name: &str, address: &str) -> Result<&FleetServer, FleetError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(FleetError::NoName);
        }
        if name.chars().count() > MAX_NAME {
            return Err(FleetError::LongName);
        }
        let address = ServerBase::parse(address)?.label();
        if self.servers.iter().any(|s| s.name == name) {
            return Err(FleetError::DuplicateName(name.to_owned()));
        }
        if self.servers.iter().any(|s| s.address == address) {
            return Err(FleetError::DuplicateAddress(address));
        }
        self.servers.push(FleetServer {
            name: name.to_owned(),
            address,
        });
        Ok(&self.servers[self.servers.len() - 1])
    }

    /// Removes the server with this name; false when there was none.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.servers.len();
        self.servers.retain(|s| s.name != name);
        self.servers.len() != before
    }
}

/// The fleet's drain time: servers work in parallel, so the fleet's queues are empty when the
/// slowest server's is. `servers` holds each connected server's estimate (a server that is down
/// drains nothing and is left out by the caller). Unknown when a server with pending prompts
/// has no estimate, and when no server has any prompt. (A server whose only prompt is running,
/// with no estimate, is not counted: its pending list is empty.)
pub fn fleet_drain<'a>(servers: impl IntoIterator<Item = &'a DrainEstimate>) -> Option<f64> {
    let mut slowest: Option<f64> = None;
    for estimate in servers {
        match estimate.total_ms {
            Some(ms) => slowest = Some(slowest.map_or(ms, |s| s.max(ms))),
            // Prompts waiting (or running) without an estimate: the fleet's is unknown too.
            None if !estimate.starts_ms.is_empty() => return None,
            None => {}
        }
    }
    slowest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_named_validated_and_kept_once() {
        let mut fleet = Fleet::default();
        assert_eq!(
            fleet
                .add("render box", "10.0.0.5:8188")
                .map(|s| s.address.clone()),
            Ok("http://10.0.0.5:8188".to_owned())
        );
        assert_eq!(fleet.add("  ", "10.0.0.6:8188"), Err(FleetError::NoName));
        assert!(matches!(
            fleet.add("evil", "javascript:alert(1)"),
            Err(FleetError::Address(_))
        ));
        assert!(matches!(
            fleet.add("x", "http://user:pw@host:8188"),
            Err(FleetError::Address(_))
        ));
        assert_eq!(
            fleet.add("render box", "10.0.0.7:8188"),
            Err(FleetError::DuplicateName("render box".into()))
        );
        assert_eq!(
            fleet.add("same", "http://10.0.0.5:8188/"),
            Err(FleetError::DuplicateAddress("http://10.0.0.5:8188".into()))
        );
        assert_eq!(fleet.add(&"n".repeat(41), "h:1"), Err(FleetError::LongName));
        assert!(fleet.add("workstation", "https://ws.local/comfy").is_ok());
        assert!(fleet.remove("render box"));
        assert!(!fleet.remove("render box"));
        assert_eq!(fleet.servers().len(), 1);
    }

    #[test]
    fn the_stored_list_round_trips_and_a_bad_entry_hides_nothing() {
        let mut fleet = Fleet::default();
        fleet.add("a", "127.0.0.1:8188").expect("a");
        fleet.add("b", "127.0.0.1:8189").expect("b");
        assert_eq!(Fleet::from_json(&fleet.to_json()), fleet);
        let stored = r#"[{"name":"a","address":"127.0.0.1:8188"},{"name":""},7,
            {"name":"c","address":"javascript:x"},{"name":"b","address":"127.0.0.1:8189"}]"#;
        assert_eq!(Fleet::from_json(stored), fleet);
        assert_eq!(Fleet::from_json("not json"), Fleet::default());
    }

    fn drain(total: Option<f64>, pending: usize) -> DrainEstimate {
        DrainEstimate {
            total_ms: total,
            starts_ms: vec![None; pending],
            basis_runs: 0,
        }
    }

    #[test]
    fn the_fleet_drains_when_its_slowest_server_does() {
        let a = drain(Some(60_000.0), 3);
        let b = drain(Some(90_000.0), 1);
        let idle = drain(None, 0);
        assert_eq!(fleet_drain([&a, &b, &idle]), Some(90_000.0));
        // A busy server without an estimate makes the fleet's unknown, never a guess.
        let unknown = drain(None, 2);
        assert_eq!(fleet_drain([&a, &unknown]), None);
        // Nothing queued anywhere: nothing to estimate.
        assert_eq!(fleet_drain([&idle]), None);
    }
}
