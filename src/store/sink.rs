//! The store's side of the stream: every run a batch changed goes to the writer, with the
//! series the pipeline sampled for it. Runs reach IndexedDB from the pipeline through this
//! sink only, never through the signals; the server's run log comes in here too
//! ([`take_server_runs`]), merged the same way.

use super::{StoreError, StoreWriter};
use crate::stream::{StreamManager, StreamObserver};
use std::rc::Rc;
use telemetry_core::history::StoredRun;
use telemetry_core::pipeline::{Pipeline, UpdateBatch};
use telemetry_core::str_map::StrSet;
use telemetry_core::tracker::Field;

struct StoreSink {
    writer: StoreWriter,
}

impl StreamObserver for StoreSink {
    fn on_batch(&self, pipeline: &Pipeline, batch: &UpdateBatch, now_ms: f64) {
        let mut ids: StrSet = batch
            .fields
            .iter()
            .filter_map(|f| match f {
                Field::Run(id) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        ids.extend(batch.events.iter().map(|e| e.run_id.as_str()));
        for id in &ids {
            if let Some(run) = pipeline.tracker().run(id) {
                self.writer.note(run, pipeline.series(id), now_ms);
            }
        }
    }

    fn on_leave(&self) {
        self.writer.flush_now();
    }
}

/// Sends the stream's runs to `writer` from now on, starting with every run the stream already
/// holds (learned while the store was opening).
pub fn attach(manager: &StreamManager, writer: StoreWriter) {
    let now = crate::browser::clock::now_ms();
    manager.with_pipeline(|p| {
        for run in p.tracker().runs() {
            writer.note(run, p.series(&run.prompt_id), now);
        }
    });
    manager.attach(Rc::new(StoreSink { writer }));
}

/// Runs read from the server's run log, kept in the store so they stay listed after the server
/// forgets them; each is merged with what the stream wrote (a record only gains information).
pub async fn take_server_runs(
    writer: &StoreWriter,
    runs: &[StoredRun],
) -> Result<usize, StoreError> {
    writer.put_records(runs).await
}
