//! The I/O leaf: performs what the pipeline asks of the server and hands the answer to a
//! callback, tied to the request that asked for it. It knows nothing of who asked: it never
//! imports the driver, so answers cannot re-enter the caller behind its back.

use crate::browser::http::{get_text, post_json, HttpError};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use telemetry_core::endpoint::ServerBase;
use telemetry_core::history::record::key_of;
use telemetry_core::input::Reply;
use telemetry_core::protocol::http::{decode_history, HistoryEntry};
use telemetry_core::str_map::StrSet;
use telemetry_core::tracker::Request;

/// Which of these run keys the page's store already holds. `None` while the store is still
/// opening (every key counts as held: the backfill adds the rest once it is ready); an empty
/// list when there is no store (nothing is held, everything is added).
pub type StoredKeys = Rc<dyn Fn(Vec<String>) -> Pin<Box<dyn Future<Output = Vec<String>>>>>;

/// Everything a request needs: the server, and the store for history reads.
#[derive(Clone)]
pub struct Io {
    pub server: ServerBase,
    pub stored: Option<StoredKeys>,
}

fn failed(error: HttpError) -> Reply {
    Reply::Failed {
        status: match error {
            HttpError::Status(s) => Some(s),
            HttpError::Network(_) => None,
        },
    }
}

fn url(server: &ServerBase, request: &Request) -> Option<String> {
    Some(match request {
        Request::ReadQueue => server.api("queue"),
        Request::ReadHistory { max_items, offset } => server.api(&match offset {
            Some(o) => format!("history?max_items={max_items}&offset={o}"),
            None => format!("history?max_items={max_items}"),
        }),
        Request::ReadDetailsPage { max_items } => {
            server.api(&format!("history?max_items={max_items}"))
        }
        Request::ReadHistoryEntry(id) | Request::ReadHistoryDetails(id) => server.history_entry(id),
        Request::ReadFeatures => server.api("features"),
        Request::ReadJobs => server.api("jobs"),
        Request::ReadSystemStats => server.api("system_stats"),
        Request::DeleteQueued(_) | Request::ClearQueue => server.api("queue"),
        // Folded into the tick's cadence by the core; never performed.
        Request::ReadGpuSoon => return None,
    })
}

/// The JSON body of a request that writes (`POST /api/queue`), `None` for reads.
fn write_body(request: &Request) -> Option<String> {
    Some(match request {
        Request::DeleteQueued(ids) => {
            // `{"delete":[ids]}`, written as `serde_json::json!` wrote it.
            let mut body = String::from("{\"delete\":[");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                telemetry_core::json::write_str(&mut body, id);
            }
            body.push_str("]}");
            body
        }
        Request::ClearQueue => r#"{"clear":true}"#.to_owned(),
        _ => return None,
    })
}

/// Performs `request` in the background and calls `done` with its answer.
pub fn perform(io: &Io, request: Request, done: impl FnOnce(Request, Reply) + 'static) {
    let Some(url) = url(&io.server, &request) else {
        return;
    };
    let io = io.clone();
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(body) = write_body(&request) {
            let reply = match post_json(&url, &body).await {
                Ok(()) => Reply::Body(String::new()),
                Err(e) => failed(e),
            };
            return done(request, reply);
        }
        let reply = match get_text(&url).await {
            Ok(body) => match &request {
                Request::ReadHistory { .. } => history_reply(&io, body).await,
                _ => Reply::Body(body),
            },
            Err(e) => failed(e),
        };
        done(request, reply);
    });
}

/// A history list with the store's answer to "which of these do you hold", so the core adds
/// only runs the page lacks and still settles the open ones it holds.
async fn history_reply(io: &Io, body: String) -> Reply {
    if io.stored.is_none() {
        return Reply::Body(body);
    }
    match decode_history(&body) {
        Ok(entries) => {
            let stored = held(io, &entries).await;
            Reply::History { entries, stored }
        }
        Err(_) => Reply::Failed { status: None },
    }
}

/// `GET /api/history?max_items=N` outside the pipeline's requests (the start-up backfill): the
/// entries and which of them the store holds.
pub async fn read_history(io: &Io, max_items: u32) -> Option<(Vec<HistoryEntry>, Vec<String>)> {
    let request = Request::ReadHistory {
        max_items,
        offset: None,
    };
    let body = get_text(&url(&io.server, &request)?).await.ok()?;
    let entries = decode_history(&body).ok()?;
    let stored = held(io, &entries).await;
    Some((entries, stored))
}

/// The prompt ids of `entries` that the store holds (none without a store).
async fn held(io: &Io, entries: &[HistoryEntry]) -> Vec<String> {
    let Some(lookup) = &io.stored else {
        return Vec::new();
    };
    let label = io.server.label();
    let keys: Vec<String> = entries
        .iter()
        .map(|e| key_of(&label, &e.prompt_id))
        .collect();
    let held: StrSet = lookup(keys).await.into_iter().collect();
    entries
        .iter()
        .filter(|e| held.contains(&key_of(&label, &e.prompt_id)))
        .map(|e| e.prompt_id.clone())
        .collect()
}
