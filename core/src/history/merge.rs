//! What the store writer writes: the stored record merged with the live one, or nothing.
//!
//! The live tracker does not always hold everything the store has: a run finished before a
//! reload is not restored (only open runs are), so the extension's catch-up or a late socket
//! rebuilds it from a replay that lacks its timings, number, VRAM readings, workflow name or
//! outputs. Writing that copy whole would forget what the store knew. The record written is the
//! stored one merged with the live one ([`Run::merge`]: statuses never move back, server
//! timestamps are kept, nothing known is dropped), and when that gains nothing, no write at all.

use super::record::{StoredRun, RECORD_VERSION};
use crate::run::Run;

impl StoredRun {
    /// The record to write for `live`, given what the store holds for its key (`None`: not
    /// stored yet), or `None` when the stored record already says everything `live` says.
    /// The time of the last update alone is no news: a replay of a stored run touches it and
    /// changes nothing else.
    pub fn merged_with(stored: Option<&StoredRun>, live: &Run) -> Option<StoredRun> {
        let Some(stored) = stored else {
            return Some(StoredRun::from_run(live));
        };
        let mut merged = stored.run.clone();
        merged.merge(live);
        let mut same = merged.clone();
        same.last_update_ms = stored.run.last_update_ms;
        if same == stored.run && stored.version == RECORD_VERSION {
            return None;
        }
        Some(StoredRun::from_run(&merged))
    }
}
