//! The app's history reader: runs that ComfyUI's `/api/history` knows and the page does not
//! (they finished while the page was closed, the stream was down, or they never streamed to
//! us) are added, reconstructed from history, and runs the page believes active are settled.
//! The pipeline asks for it (`Request::ReadHistory`) on every (re)connect and whenever the queue
//! changed without the page knowing which prompt. Runs the store already has are skipped, so
//! nothing is stored twice, nothing ended is announced again, and a streamed record is never
//! replaced by a poorer reconstruction.

use super::{StoreState, StoreStatus};
use crate::browser::http::get_text;
use crate::stream::StreamManager;
use leptos::prelude::GetUntracked;
use std::rc::Rc;
use telemetry_core::history::record::key_of;
use telemetry_core::protocol::http::{decode_history, HistoryEntry};

/// Makes `backfill` the manager's history reader.
pub fn install_history_reader(manager: &StreamManager, store: StoreState) {
    let m = manager.clone();
    manager.set_history_reader(Rc::new(move |max_items| {
        leptos::task::spawn_local(backfill(m.clone(), store, max_items));
    }));
}

/// Reads the newest `max_items` entries and applies those the page lacks; always tells the
/// manager when done, so the next read can go.
pub async fn backfill(manager: StreamManager, store: StoreState, max_items: u32) {
    let fresh = read_fresh(&manager, store, max_items).await;
    if !fresh.is_empty() {
        manager.apply_history(fresh);
    }
    manager.history_read_done();
}

async fn read_fresh(
    manager: &StreamManager,
    store: StoreState,
    max_items: u32,
) -> Vec<HistoryEntry> {
    let server = manager.server();
    let Ok(body) = get_text(&server.api(&format!("history?max_items={max_items}"))).await else {
        return Vec::new();
    };
    let Ok(entries) = decode_history(&body) else {
        return Vec::new();
    };
    // Known to the page and not settled: the entry settles it, whatever the store holds.
    let open =
        |id: &str| manager.with_pipeline(|p| p.tracker.run(id).map(|r| !r.status.is_settled()));
    let label = server.label();
    // Which unknown prompts may be added: those the store lacks; none while it is still opening
    // (the backfill runs again once it is ready); all when there is no store at all.
    let missing = match (store.get(), store.status.get_untracked()) {
        (Some(runs), _) => {
            let keys: Vec<String> = entries
                .iter()
                .map(|e| key_of(&label, &e.prompt_id))
                .collect();
            Some(runs.missing(&keys).await.unwrap_or_default())
        }
        (None, StoreStatus::Failed(_)) => None,
        (None, _) => Some(Vec::new()),
    };
    entries
        .into_iter()
        .filter(|e| match open(&e.prompt_id) {
            Some(unsettled) => unsettled,
            None => missing
                .as_ref()
                .is_none_or(|m| m.contains(&key_of(&label, &e.prompt_id))),
        })
        .collect()
}
