//! The start-up backfill: runs that ComfyUI's `/api/history` knows and the page does not (they
//! finished while the page was closed, or never streamed to us) are added, reconstructed from
//! history, and runs the page believes open are settled. Reconnects need no help from here:
//! the core asks for the newest history on every connect, through the same store lookup.

use crate::store::RunStore;
use crate::stream::{StoredKeys, StreamManager};
use std::rc::Rc;

/// How many recent history entries the backfill reads once the store is ready (ComfyUI returns
/// everything, up to 10 000 full prompts, without a limit).
pub const BACKFILL_ITEMS: u32 = 200;

/// How many of this server's newest succeeded runs the drain estimate reads at start-up: one
/// page of the store, so a large history costs no more.
const DURATION_RUNS: usize = 500;

/// Gives the drain estimate the durations of this server's newest stored succeeded runs, so
/// after a reload it rests on what ran before, not only on what this page has seen.
pub fn durations(manager: StreamManager, runs: RunStore) {
    leptos::task::spawn_local(async move {
        let server = manager.server().label();
        if let Ok(found) = runs.newest_succeeded(&server, DURATION_RUNS).await {
            let found = found.into_iter();
            manager.stored_durations(
                found
                    .map(|r| (r.workflow, r.prompt_id, r.duration_ms))
                    .collect(),
            );
        }
    });
}

/// "Which of these keys does the store hold", for history reads. A lookup that fails counts
/// every key as held: adding nothing is better than storing a run twice.
pub fn stored_keys(runs: RunStore) -> StoredKeys {
    Rc::new(move |keys: Vec<String>| {
        let runs = runs.clone();
        Box::pin(async move {
            match runs.to_backfill(&keys).await {
                Ok(missing) => keys.into_iter().filter(|k| !missing.contains(k)).collect(),
                Err(_) => keys,
            }
        })
    })
}

/// Reads the newest `max_items` entries and hands them to the stream with the store's answer.
pub fn read(manager: StreamManager, max_items: u32) {
    leptos::task::spawn_local(async move {
        if let Some((entries, stored)) = manager.read_history(max_items).await {
            manager.backfill(entries, stored);
        }
    });
}
