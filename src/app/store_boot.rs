//! The store's part of the boot, in a wasm chunk of its own (issue #22): opening IndexedDB,
//! the writer, continuing the runs that were open when the page closed, the backfill and the
//! stream's store sink are the history's code, not the live view's. The live page renders and
//! connects from the main wasm alone; this chunk is fetched as the app starts, while the page
//! connects, and wires the store into every stream once it has opened (a record only gains
//! information, so what the stream learned first merges with what the store restores).
//!
//! With the `split` feature the jobs below are one split point (`Store`, cut by
//! `scripts/wasm-split.sh`); the store's code reached only from here lands in its chunk, and
//! what the history pages share with it in a chunk the first of them fetches. Without the
//! feature the same jobs run directly.

use super::backfill::{self, BACKFILL_ITEMS};
use crate::state::{StoreState, StoreStatus};
use crate::store::{sink, RunStore, StoreWriter};
use crate::stream::StreamManager;

/// What the boot asks of the store's chunk.
pub enum StoreJob {
    /// Open the store once for the page and set `status` (the live tab works without it).
    Open(StoreState),
    /// The store is open: attach it to this stream.
    Wire(StreamManager, StoreState),
}

impl StoreJob {
    async fn run(self) {
        match self {
            StoreJob::Open(store) => open(store).await,
            StoreJob::Wire(manager, store) => wire(&manager, store).await,
        }
    }
}

/// Waits before each new fetch of the store's chunk when one failed: the packaged node is served
/// by ComfyUI itself, so a server restarting as the page loads is back within them, and the
/// history then works without a reload. The loader keeps no failed fetch, so each try is a new one.
#[cfg(feature = "split")]
const RETRY_MS: [u32; 5] = [1_000, 2_000, 4_000, 8_000, 16_000];

/// Runs `job` from the store's chunk. Opening tries again after each of [`RETRY_MS`] when the
/// chunk cannot be fetched; after the last, the open fails (a tab opened before an update asks
/// for a chunk the new build no longer has), so the history tab says why and the live tab carries
/// on in memory. Wiring comes after an open, when the chunk is here.
#[cfg(feature = "split")]
pub async fn run(job: StoreJob) {
    use futures::future::LocalBoxFuture;
    use leptos::wasm_split::SplitLoaderError;

    #[leptos::wasm_split::wasm_split(Store, wasm_split_path = ::leptos::wasm_split, fallible)]
    fn start(job: StoreJob) -> Result<LocalBoxFuture<'static, ()>, SplitLoaderError> {
        Ok(Box::pin(job.run()))
    }
    let StoreJob::Open(store) = job else {
        if let Ok(job) = start(job).await {
            job.await;
        }
        return;
    };
    for wait in RETRY_MS.map(Some).into_iter().chain([None]) {
        if let Ok(job) = start(StoreJob::Open(store)).await {
            return job.await;
        }
        match wait {
            Some(ms) => gloo_timers::future::TimeoutFuture::new(ms).await,
            None => store
                .status
                .set(StoreStatus::Failed(crate::store::StoreError::Failed(
                    "its code could not be fetched (reload the page)".to_owned(),
                ))),
        }
    }
}

#[cfg(not(feature = "split"))]
pub async fn run(job: StoreJob) {
    job.run().await
}

async fn open(store: StoreState) {
    match RunStore::open().await {
        Ok(runs) => {
            let writer = StoreWriter::new(runs.clone(), 1000);
            let write_error = store.write_error;
            writer.on_error(move |e| write_error.set(Some(e)));
            store.writer.set_value(Some(writer));
            store.store.set_value(Some(runs));
            store.status.set(StoreStatus::Ready);
        }
        Err(e) => store.status.set(StoreStatus::Failed(e)),
    }
}

/// History reads skip what the store holds, its sink takes every run (those the stream
/// already holds first), the runs that were open when the page closed continue, and what ran
/// meanwhile is backfilled.
async fn wire(manager: &StreamManager, store: StoreState) {
    let (Some(runs), Some(writer)) = (store.get(), store.writer.get_value()) else {
        return;
    };
    manager.set_stored_keys(backfill::stored_keys(runs.clone()));
    if let Ok(open) = runs.unfinished().await {
        let server = manager.server().label();
        let (runs, series): (Vec<_>, Vec<_>) = open
            .into_iter()
            .filter(|r| r.server == server)
            .map(|r| (r.run, r.series))
            .unzip();
        if !runs.is_empty() {
            manager.restore(runs, series.into_iter().flatten().collect());
        }
    }
    backfill::durations(manager.clone(), runs.clone());
    sink::attach(manager, writer);
    backfill::read(manager.clone(), BACKFILL_ITEMS);
}
