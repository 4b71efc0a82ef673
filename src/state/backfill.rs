//! Backfill: on load and after every reconnect, runs that ComfyUI's `/api/history` knows and the
//! store does not (they finished while the page was closed or the stream was down) are added,
//! reconstructed from history. Runs already stored are skipped, so nothing is stored twice and
//! a streamed record is never replaced by a poorer reconstruction.

use super::StoreState;
use crate::browser::http::get_text;
use crate::stream::StreamManager;
use telemetry_core::history::record::key_of;
use telemetry_core::protocol::http::decode_history;

/// How many recent entries to ask for; ComfyUI returns everything (up to 10 000 full prompts)
/// without a limit.
const MAX_ITEMS: u32 = 200;

pub async fn backfill(manager: StreamManager, store: StoreState) {
    let Some(runs) = store.get() else {
        return;
    };
    let server = manager.server();
    let Ok(body) = get_text(&server.api(&format!("history?max_items={MAX_ITEMS}"))).await else {
        return;
    };
    let Ok(entries) = decode_history(&body) else {
        return;
    };
    let label = server.label();
    let keys: Vec<String> = entries
        .iter()
        .map(|e| key_of(&label, &e.prompt_id))
        .collect();
    let Ok(missing) = runs.missing(&keys).await else {
        return;
    };
    let known_in_memory = |id: &str| manager.with_pipeline(|p| p.tracker.run(id).is_some());
    let fresh: Vec<_> = entries
        .into_iter()
        .filter(|e| {
            missing.contains(&key_of(&label, &e.prompt_id)) && !known_in_memory(&e.prompt_id)
        })
        .collect();
    if !fresh.is_empty() {
        manager.apply_history(fresh);
    }
}
