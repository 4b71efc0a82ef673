//! Reading single runs and the few the boot needs, by key, prompt id or status: no query, no
//! paging.

use super::asks;
use super::codec;
use super::conn::{bounds, Bounds};
use super::idb::{Direction, TransactionMode};
use super::plan::{Lead, Part, Range};
use super::run_store::{RunStore, KEYS_CHUNK, MAX_CHUNK};
use super::schema::{META, RUNS};
use super::tombstones;
use super::StoreError;
use futures::future::join;
use telemetry_core::history::StoredRun;
use telemetry_core::run::RunStatus;
use wasm_bindgen::JsValue;

impl RunStore {
    pub async fn get(&self, key: &str) -> Result<Option<StoredRun>, StoreError> {
        let (_conn, tx) = self.transaction(TransactionMode::ReadOnly)?;
        let value = tx.store(RUNS)?.get(JsValue::from_str(key)).await?;
        Ok(value.and_then(codec::decode))
    }

    /// The run with this prompt id on any server (ids are UUIDs, so at most one in practice).
    pub async fn find_prompt(&self, prompt_id: &str) -> Result<Option<StoredRun>, StoreError> {
        let (_conn, tx) = self.transaction(TransactionMode::ReadOnly)?;
        let value = tx
            .store(RUNS)?
            .index("prompt_id")?
            .get(JsValue::from_str(prompt_id))
            .await?;
        Ok(value.and_then(codec::decode))
    }

    /// The keys with no stored run, in the order given (an import's "new").
    pub async fn missing(&self, keys: &[String]) -> Result<Vec<String>, StoreError> {
        self.absent(keys, false).await
    }

    /// The keys a history read may add, in the order given: not stored, and not removed by the
    /// person (`tombstones`: ComfyUI's history still lists a run deleted here). A backfill
    /// writes only these, so it never overwrites a fuller record with what `/api/history`
    /// still remembers, and a deleted run does not come back.
    pub async fn to_backfill(&self, keys: &[String]) -> Result<Vec<String>, StoreError> {
        self.absent(keys, true).await
    }

    async fn absent(&self, keys: &[String], removed_too: bool) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(KEYS_CHUNK) {
            let (_conn, tx) = self.transaction_on(&[RUNS, META], TransactionMode::ReadOnly)?;
            let store = tx.store(RUNS)?;
            let meta = tx.store(META)?;
            // All requests go out in the first poll, in one transaction.
            let (found, buried) = join(
                asks::all(
                    chunk
                        .iter()
                        .map(|k| asks::exists(&store, JsValue::from_str(k)))
                        .collect(),
                ),
                async {
                    match removed_too {
                        true => tombstones::buried(&meta, chunk).await,
                        false => Ok(vec![false; chunk.len()]),
                    }
                },
            )
            .await;
            for ((key, exists), buried) in chunk.iter().zip(found).zip(buried?) {
                if exists?.is_none() && !buried {
                    out.push(key.clone());
                }
            }
        }
        Ok(out)
    }

    /// Runs a reload interrupted (queued or running when the page went away), to hand back to
    /// the tracker. Few by nature, so read whole.
    pub async fn unfinished(&self) -> Result<Vec<StoredRun>, StoreError> {
        let mut out = Vec::new();
        for status in [RunStatus::Queued, RunStatus::Running] {
            let range = Range {
                index: "status",
                lead: Lead::Fixed(Part::Text(status.as_str().to_owned())),
                from_ms: None,
                to_ms: None,
                exact: true,
            };
            let key_range = match bounds(range.lower(), range.upper()) {
                Bounds::Range(r) => Some(r),
                _ => continue,
            };
            let (_conn, tx) = self.transaction(TransactionMode::ReadOnly)?;
            let values = tx
                .store(RUNS)?
                .index("status")?
                .get_all(key_range, None)
                .await?;
            out.extend(values.into_iter().filter_map(codec::decode));
        }
        Ok(out)
    }

    /// This server's newest succeeded runs, newest first, at most `limit`: the drain estimate's
    /// start-up read. One walk down the `server` index, so the live page carries none of the
    /// history list's query planning (`page`, in the history page's chunk; issue #22). The same
    /// runs as `page` with a server and a status filter.
    pub async fn newest_succeeded(
        &self,
        server: &str,
        limit: usize,
    ) -> Result<Vec<StoredRun>, StoreError> {
        let mut runs = Vec::new();
        if limit == 0 {
            return Ok(runs);
        }
        let succeeded = RunStatus::Succeeded.as_str();
        let range = Range {
            index: "server",
            lead: Lead::Fixed(Part::Text(server.to_owned())),
            from_ms: None,
            to_ms: None,
            exact: false,
        };
        self.walk(&range, Direction::Prev, None, MAX_CHUNK, |value| {
            // The flat status first, so only succeeded runs are decoded (a legacy record
            // without one is decoded to tell).
            let status = codec::field(&value, "status").and_then(|s| s.as_string());
            if status.is_some_and(|s| s != succeeded) {
                return true;
            }
            if let Some(run) =
                codec::decode(value).filter(|r| r.status == succeeded && r.server == server)
            {
                runs.push(run);
            }
            runs.len() < limit
        })
        .await?;
        Ok(runs)
    }
}
