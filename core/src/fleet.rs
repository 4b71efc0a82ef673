//! The fleet: the ComfyUI servers a person watches together on `/fleet`, each a name and an
//! address entered in Settings and kept in the browser, and what each server's card says.
//! Every server has its own stream (one manager, one backoff each), so the card is built from
//! that stream's own connection, queue and current run, and one server going away changes only
//! its card.

use crate::connection::ConnectionInfo;
use crate::drain::DrainEstimate;
use crate::endpoint::{ServerBase, ServerUrlError};
use crate::run::{Run, RunStatus};
use crate::tracker::QueueState;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Servers beyond this are not kept: each one is a socket and a poll loop in this tab.
pub const MAX_SERVERS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetServer {
    pub name: String,
    /// The normalised address (`ServerBase::label`), so one server is never listed twice.
    pub address: String,
}

#[derive(Debug, Error, PartialEq)]
pub enum FleetError {
    #[error(transparent)]
    Address(#[from] ServerUrlError),
    #[error("{0} is already in the fleet")]
    Duplicate(String),
    #[error("the fleet holds at most {MAX_SERVERS} servers")]
    Full,
}

/// The list with one server added; the name defaults to the address's host and port.
pub fn add(
    list: &[FleetServer],
    name: &str,
    address: &str,
) -> Result<Vec<FleetServer>, FleetError> {
    let base = ServerBase::parse(address)?;
    let address = base.label();
    if list.iter().any(|s| s.address == address) {
        return Err(FleetError::Duplicate(address));
    }
    if list.len() >= MAX_SERVERS {
        return Err(FleetError::Full);
    }
    let name = name.trim();
    let name = if name.is_empty() {
        address.split("://").nth(1).unwrap_or(&address).to_owned()
    } else {
        name.chars().take(60).collect()
    };
    let mut out = list.to_vec();
    out.push(FleetServer { name, address });
    Ok(out)
}

/// The list without the server at `address`.
pub fn remove(list: &[FleetServer], address: &str) -> Vec<FleetServer> {
    list.iter()
        .filter(|s| s.address != address)
        .cloned()
        .collect()
}

/// What was stored, read leniently (stored text is input): an entry that is not a valid, new
/// server is skipped, so one bad entry (an older format, a hand edit) never hides the others.
pub fn decode(text: &str) -> Vec<FleetServer> {
    // Through `Value` (a `Vec<Value>` would be its own deserializer): anything but an array
    // holds no server.
    let stored = crate::json::parse(text).unwrap_or_default();
    let entries = stored.as_array().map(Vec::as_slice).unwrap_or_default();
    entries.iter().fold(Vec::new(), |list, entry| {
        let field = |k: &str| entry.get(k).and_then(|v| v.as_str()).unwrap_or("");
        add(&list, field("name"), field("address")).unwrap_or(list)
    })
}

pub fn encode(list: &[FleetServer]) -> String {
    // Written by hand, as the `Serialize` derive writes it (fields in declaration order).
    let mut out = String::from("[");
    for (i, server) in list.iter().enumerate() {
        out.push_str(if i > 0 { ",{\"name\":" } else { "{\"name\":" });
        crate::json::write_str(&mut out, &server.name);
        out.push_str(",\"address\":");
        crate::json::write_str(&mut out, &server.address);
        out.push('}');
    }
    out.push(']');
    out
}

/// The fleet's drain time: servers work in parallel, so the fleet's queues are empty when the
/// slowest server's is. `servers` holds each connected server's estimate (a server that is down
/// drains nothing and is left out by the caller). Unknown when a server with pending prompts
/// has no estimate, and when no server has any prompt.
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

/// The line above the cards: the fleet's drain time over the `connected` servers' estimates,
/// saying how many of the `configured` servers it leaves out because they do not answer.
pub fn fleet_text(connected: &[&DrainEstimate], configured: usize) -> String {
    let down = configured.saturating_sub(connected.len());
    let plural = |n: usize| if n == 1 { "server" } else { "servers" };
    let left_out = match down {
        0 => String::new(),
        n => format!(
            " {n} {} not connected {} not counted.",
            plural(n),
            if n == 1 { "is" } else { "are" }
        ),
    };
    match fleet_drain(connected.iter().copied()) {
        Some(ms) => format!("The fleet drains in about {}.{left_out}", crate::format::duration_ms(ms)),
        None if connected.iter().all(|e| e.starts_ms.is_empty()) => match down {
            0 => "Nothing pending on the fleet.".to_owned(),
            _ if connected.is_empty() => "No server of the fleet is connected: its queues are unknown.".to_owned(),
            _ => format!("Nothing pending on the {} connected {}.{left_out}", connected.len(), plural(connected.len())),
        },
        None => format!("Fleet drain time unknown: a server has prompts of workflows it has not run before.{left_out}"),
    }
}

/// The card's queue line: what a connected server reported, or that it is unknown.
pub fn queue_text(running: Option<u32>, pending: Option<u32>) -> String {
    match (running, pending) {
        (Some(r), Some(p)) => format!("{r} running · {p} pending"),
        (Some(r), None) => format!("{r} running · pending unknown"),
        (None, Some(p)) => format!("{p} pending"),
        (None, None) => "queue unknown".to_owned(),
    }
}

/// What one server's card shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub state: &'static str,
    pub endpoint: &'static str,
    pub running: Option<u32>,
    pub pending: Option<u32>,
    /// The running run's id, empty when idle.
    pub run_id: String,
    /// "running · 3 of 5 nodes", or how the last run ended.
    pub run_text: String,
    pub progress: Option<f64>,
    /// Why the server is not connected, when it is not.
    pub problem: Option<String>,
}

pub fn card(conn: &ConnectionInfo, queue: &QueueState, current: Option<&Run>) -> Card {
    let running_run = current.filter(|r| r.status == RunStatus::Running);
    let run_text = match current {
        None => "no run seen yet".to_owned(),
        Some(r) if r.status == RunStatus::Running => {
            let total = r.node_total.map_or("?".to_owned(), |t| t.to_string());
            format!("running · {} of {total} nodes", r.nodes_done())
        }
        Some(r) => format!("last run {}", r.status.as_str()),
    };
    let problem = match (&conn.refused, conn.state.as_str()) {
        (Some(refusal), _) => Some(refusal.message.clone()),
        (None, "open") => None,
        (None, _) => conn.last_error.clone(),
    };
    Card {
        state: conn.state.as_str(),
        endpoint: conn.endpoint.map_or("", |e| e.as_str()),
        running: queue.running,
        pending: queue.pending,
        run_id: running_run.map(|r| r.prompt_id.clone()).unwrap_or_default(),
        run_text,
        progress: running_run.and_then(Run::progress),
        problem,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_what_the_derive_encodes() {
        let list = [
            FleetServer {
                name: "a \"quoted\" \u{1} name é".into(),
                address: "http://127.0.0.1:8188".into(),
            },
            FleetServer {
                name: String::new(),
                address: "x\\y".into(),
            },
        ];
        for n in 0..=list.len() {
            assert_eq!(
                encode(&list[..n]),
                serde_json::to_string(&list[..n]).unwrap()
            );
        }
    }

    use super::*;
    use crate::connection::{ConnectionState, EndpointKind};
    use crate::run::RunSource;

    #[test]
    fn the_fleet_line_says_which_servers_it_leaves_out() {
        let idle = DrainEstimate::default();
        let busy = drain(Some(90_000.0), 1);
        let unknown = drain(None, 1);
        assert_eq!(
            fleet_text(&[&idle, &idle], 2),
            "Nothing pending on the fleet."
        );
        assert_eq!(
            fleet_text(&[&idle, &idle, &idle], 4),
            "Nothing pending on the 3 connected servers. 1 server not connected is not counted."
        );
        assert_eq!(
            fleet_text(&[], 2),
            "No server of the fleet is connected: its queues are unknown."
        );
        assert_eq!(
            fleet_text(&[&idle, &busy], 4),
            "The fleet drains in about 1m 30s. 2 servers not connected are not counted."
        );
        assert!(fleet_text(&[&busy, &unknown], 2).starts_with("Fleet drain time unknown"));
        assert_eq!(queue_text(Some(1), Some(0)), "1 running · 0 pending");
        assert_eq!(queue_text(None, None), "queue unknown");
    }

    #[test]
    fn servers_are_added_once_normalised_and_bad_addresses_refused() {
        let one = add(&[], "render box", "192.168.1.5:8188").unwrap();
        assert_eq!(one[0].address, "http://192.168.1.5:8188");
        assert_eq!(
            add(&one, "again", "http://192.168.1.5:8188/"),
            Err(FleetError::Duplicate("http://192.168.1.5:8188".into()))
        );
        assert!(matches!(
            add(&one, "x", "javascript:alert(1)"),
            Err(FleetError::Address(_))
        ));
        let two = add(&one, "  ", "https://gpu.example:443/comfy").unwrap();
        assert_eq!(two[1].name, "gpu.example:443/comfy");
        assert_eq!(remove(&two, "http://192.168.1.5:8188"), two[1..].to_vec());
        let full =
            (0..MAX_SERVERS).fold(Vec::new(), |l, i| add(&l, "", &format!("h{i}:1")).unwrap());
        assert_eq!(add(&full, "", "h99:1"), Err(FleetError::Full));
    }

    #[test]
    fn stored_text_round_trips_and_bad_entries_are_dropped() {
        let list = add(&[], "a", "127.0.0.1:8188").unwrap();
        assert_eq!(decode(&encode(&list)), list);
        let text = r#"[{"name":"ok","address":"h:1"},{"name":"bad","address":"ftp://x"},{"name":"dup","address":"http://h:1"},{"nope":1},7]"#;
        assert_eq!(
            decode(text),
            vec![FleetServer {
                name: "ok".into(),
                address: "http://h:1".into()
            }]
        );
        assert_eq!(decode("not json"), vec![]);
    }

    #[test]
    fn stored_text_reads_as_a_vec_of_values_read_it() {
        // The reader before it went through `Value`, as the oracle.
        let through_vec = |text: &str| {
            let stored: Vec<serde_json::Value> = serde_json::from_str(text).unwrap_or_default();
            stored.iter().fold(Vec::new(), |list, entry| {
                let field = |k: &str| entry.get(k).and_then(|v| v.as_str()).unwrap_or("");
                add(&list, field("name"), field("address")).unwrap_or(list)
            })
        };
        for text in [
            "",
            " ",
            "null",
            "{}",
            r#"{"name":"a","address":"h:1"}"#,
            r#""[]""#,
            "[]",
            " [ ] ",
            "[] x",
            "[{\"name\":\"a\",\"address\":\"h:1\"}",
            r#"[{"name":"a","address":"h:1"},[{"name":"b","address":"h:2"}],{"name":"c","address":"h:3"}]"#,
            r#"[{"name":"\u0041","address":"h\u003a1"}, null, 1, "x"]"#,
            &format!("{}{}", "[".repeat(200), "]".repeat(200)),
        ] {
            assert_eq!(decode(text), through_vec(text), "{text:?}");
        }
    }

    fn drain(total: Option<f64>, pending: usize) -> DrainEstimate {
        DrainEstimate {
            total_ms: total,
            starts_ms: vec![None; pending],
            ..DrainEstimate::default()
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
        assert_eq!(fleet_drain([&idle]), None, "nothing queued anywhere");
    }

    #[test]
    fn a_card_says_state_queue_and_the_running_run() {
        let mut conn = ConnectionInfo::new("http://h:1", "c", 5);
        conn.state = ConnectionState::Open;
        conn.endpoint = Some(EndpointKind::Telemetry);
        let queue = QueueState {
            running: Some(1),
            pending: Some(2),
            ..QueueState::default()
        };
        let mut run = Run::new("http://h:1", "P", RunSource::Stream, 0.0);
        run.status = RunStatus::Running;
        run.node_total = Some(5);
        let c = card(&conn, &queue, Some(&run));
        assert_eq!(
            (c.state, c.endpoint, c.run_id.as_str()),
            ("open", "telemetry", "P")
        );
        assert_eq!((c.running, c.pending), (Some(1), Some(2)));
        assert_eq!(c.run_text, "running · 0 of 5 nodes");
        run.status = RunStatus::Failed;
        let c = card(&conn, &queue, Some(&run));
        assert_eq!(
            (c.run_id.as_str(), c.run_text.as_str()),
            ("", "last run failed")
        );
        conn.state = ConnectionState::Offline;
        conn.last_error = Some("connection refused".into());
        assert_eq!(
            card(&conn, &queue, None).problem.as_deref(),
            Some("connection refused")
        );
    }
}
