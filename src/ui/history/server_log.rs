//! The history tab's use of the server's run log (the extension's `/telemetry/runs`), when the
//! connected server keeps one: found by asking for it (a 404 means no log), never from a version.
//! Its newest runs are merged into this browser's store through the store sink, so a fresh
//! profile lists runs it never saw live and keeps them after the server forgets them; which
//! runs the log lists now says where each row came from. Deleting a run deletes it there too.

use crate::browser::http::{get_text, post_json, HttpError};
use crate::state::{use_live, use_store, Live};
use crate::store::sink::take_server_runs;
use crate::ui::load::Load;
use crate::ui::text::part;
use leptos::prelude::*;
use telemetry_core::connection::EndpointKind;
use telemetry_core::endpoint::{encode, ServerBase};
use telemetry_core::history::server_log::{decode_page, decode_run};
use telemetry_core::str_map::StrSet;
use wasm_bindgen::JsValue;

/// Runs read per request, and requests per visit: the newest 1 000 runs of the log.
const PAGE: usize = 250;
const PAGES: usize = 4;

#[derive(Debug, Clone, PartialEq)]
pub enum LogState {
    /// The server's run log has not answered yet.
    Checking,
    /// The server keeps a run log; `read` runs of it were merged into the store.
    Present { read: usize },
    /// No run log there (stock ComfyUI, an older extension, the demo), or it could not be read.
    Absent(String),
}

/// Shared by the history tab's parts: whether the log is there and which runs it lists.
#[derive(Clone, Copy)]
pub struct ServerLog {
    /// A `Load` rather than an effect: the page's one type-erased reader costs no new code.
    pub state: Load<LogState>,
    pub listed: Live<StrSet>,
    pub server: Live<Option<ServerBase>>,
}

impl ServerLog {
    pub fn present(&self) -> bool {
        self.state
            .with(|s| matches!(s, Some(LogState::Present { .. })))
    }

    /// Deletes runs from the server's log, so they do not come back at the next read.
    pub async fn delete(&self, ids: &[String]) -> Result<(), HttpError> {
        let Some(server) = self.server.get_untracked() else {
            return Ok(());
        };
        // The browser's JSON writes the ids (escaped) without serde's `Value` in this page.
        let list: js_sys::Array = ids.iter().map(|id| JsValue::from_str(id)).collect();
        let list = js_sys::JSON::stringify(&list)
            .map(String::from)
            .unwrap_or_default();
        let body = format!("{{\"prompt_ids\":{list}}}");
        post_json(&server.api("telemetry/runs/delete"), &body).await?;
        _ = self
            .listed
            .try_update(|l| ids.iter().for_each(|id| _ = l.remove(id)));
        Ok(())
    }
}

pub fn use_server_log() -> ServerLog {
    expect_context::<ServerLog>()
}

/// Provides [`ServerLog`] and reads the log once the server and the store are there.
pub fn provide_server_log() -> ServerLog {
    let live = use_live();
    let store = use_store();
    let listed = Live::new(StrSet::new());
    let state = Load::new(move || {
        let server = live.server.get();
        store.status.track();
        let writer = store.writer.get_value();
        let demo = live
            .connection
            .with_untracked(|c| c.endpoint == Some(EndpointKind::Demo));
        async move {
            match (server, writer) {
                _ if demo => LogState::Absent("the demo has no server".into()),
                (Some(server), Some(writer)) => {
                    let outcome = read(&server, &writer, listed).await;
                    store.bump();
                    outcome
                }
                _ => LogState::Checking,
            }
        }
    });
    let log = ServerLog {
        state,
        listed,
        server: live.server,
    };
    provide_context(log);
    log
}

async fn read(
    server: &ServerBase,
    writer: &crate::store::StoreWriter,
    listed_now: Live<StrSet>,
) -> LogState {
    let label = server.label();
    let mut cursor: Option<String> = None;
    let mut read = 0;
    let mut listed = StrSet::new();
    for _ in 0..PAGES {
        let mut url = server.api(&format!("telemetry/runs?limit={PAGE}"));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={}", encode(c)));
        }
        let body = match get_text(&url).await {
            Ok(body) => body,
            Err(HttpError::Status(404)) if read == 0 => {
                return LogState::Absent("this server keeps no run log".into())
            }
            Err(e) if read == 0 => {
                return LogState::Absent(format!("its run log could not be read ({e})"))
            }
            Err(_) => break,
        };
        let Some(page) = decode_page(&body, &label) else {
            if read == 0 {
                return LogState::Absent("this server keeps no run log".into());
            }
            break;
        };
        listed.extend(page.runs.iter().map(|r| r.prompt_id.clone()));
        read += page.runs.len();
        if let Err(e) = take_server_runs(writer, &page.runs).await {
            _ = listed_now.try_set(listed);
            return LogState::Absent(format!("its runs could not be stored ({e})"));
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    _ = listed_now.try_set(listed);
    LogState::Present { read }
}

/// One run from the server's log into the store (a link to a run this browser never saw);
/// whether it was found there.
pub async fn read_one(server: &ServerBase, writer: &crate::store::StoreWriter, id: &str) -> bool {
    let url = server.api(&format!("telemetry/runs/{}", encode(id)));
    let Ok(body) = get_text(&url).await else {
        return false;
    };
    let run = telemetry_core::json::parse(&body)
        .ok()
        .and_then(|v| decode_run(v, &server.label()));
    match run {
        Some(run) => take_server_runs(writer, &[run]).await.is_ok_and(|n| n > 0),
        None => false,
    }
}

/// What the history is made of (`history-source`).
#[component]
pub fn HistorySource() -> impl IntoView {
    let log = use_server_log();
    part(move || {
        let (yes, text) = match log.state.get().as_deref().cloned() {
            None | Some(LogState::Checking) => return ().into_any(),
            Some(LogState::Present { read }) => (
                "yes",
                format!("This server's run log ({read} newest runs) merged with the runs this browser keeps."),
            ),
            Some(LogState::Absent(why)) => (
                "no",
                format!("Runs this browser keeps; {why}."),
            ),
        };
        view! { <p class="muted small" data-testid="history-source" data-server-log=yes>{text}</p> }
            .into_any()
    })
}
