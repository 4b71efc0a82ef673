use crate::state::{LiveState, PreviewImage};
use crate::stream::StreamObserver;
use std::cell::{Cell, RefCell};
use telemetry_core::connection::ConnectionInfo;
use telemetry_core::lifecycle_feed::FeedNumbering;
use telemetry_core::pipeline::{Pipeline, UpdateBatch};
use telemetry_core::tracker::{preview_shown, Field};

/// The page's lifecycle feed keeps this many events; consumers read it by `seq`
/// (see `super::lifecycle_feed`), so the bound never hides a new event from them.
const LIFECYCLE_KEPT: usize = 100;

/// Copies each coalesced batch into the signals. Only fields named in the batch are touched.
/// It only reads the pipeline: runs reach the store through the store's own sink.
pub struct SignalObserver {
    state: LiveState,
    preview_url: RefCell<Option<String>>,
    /// The preview last published (its `seq`) and whether it had an image.
    published_preview: Cell<Option<(u64, bool)>>,
    last_log_seq: RefCell<(u64, u32)>,
    /// This tracker numbers its events from 1; the page's feed outlives it (a new server
    /// setting makes a new tracker), so its events continue the page's numbering.
    numbering: FeedNumbering,
}

impl SignalObserver {
    pub fn new(state: LiveState) -> SignalObserver {
        SignalObserver {
            state,
            preview_url: RefCell::new(None),
            published_preview: Cell::new(None),
            last_log_seq: RefCell::new((0, 0)),
            numbering: state
                .lifecycle
                .with_untracked(|l| FeedNumbering::continuing(l)),
        }
    }

    /// Publishes the latest preview. Its image (a `Blob` and an object URL, each a call into
    /// the browser's process) is made only while the page shows it: a preview of a run other
    /// than the current one is published without one (the page hides it, as it always did), and
    /// gets its image if that run becomes the current one. The previous URL is revoked so
    /// previews do not leak. `new`: the tracker has a new preview (a new tracker numbers its
    /// previews from 1 again, so `seq` alone does not tell).
    fn set_preview(&self, pipeline: &Pipeline, new: bool) {
        let Some(latest) = &pipeline.tracker().preview else {
            return;
        };
        let current = self
            .state
            .current
            .with_untracked(|c| c.as_ref().map(|r| r.prompt_id.clone()));
        let shown = preview_shown(latest.run_id.as_deref(), current.as_deref());
        // Published already: this preview, with its image or not shown.
        let published = self.published_preview.get();
        if !new && published.is_some_and(|(seq, image)| seq == latest.seq && (image || !shown)) {
            return;
        }
        let url = if shown {
            let bytes = js_sys::Uint8Array::from(latest.preview.bytes.as_slice());
            let parts = js_sys::Array::of1(&bytes);
            let options = web_sys::BlobPropertyBag::new();
            options.set_type(latest.preview.mime.as_str());
            let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
            else {
                return;
            };
            let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
                return;
            };
            Some(url)
        } else {
            None
        };
        self.published_preview
            .set(Some((latest.seq, url.is_some())));
        if let Some(old) = self.preview_url.replace(url.clone()) {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        self.state.preview.set(Some(PreviewImage {
            url,
            run_id: latest.run_id.clone(),
            node_id: latest.node_id.clone(),
            seq: latest.seq,
        }));
    }
}

impl Drop for SignalObserver {
    fn drop(&mut self) {
        if let Some(old) = self.preview_url.take() {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
    }
}

impl StreamObserver for SignalObserver {
    fn on_connection(&self, info: &ConnectionInfo) {
        self.state.connection.set(info.clone());
    }

    fn on_batch(&self, pipeline: &Pipeline, batch: &UpdateBatch, now_ms: f64) {
        let tracker = pipeline.tracker();
        let mut runs_changed = !batch.events.is_empty();
        let mut changed_ids = Vec::new();
        for field in &batch.fields {
            match field {
                Field::Queue => self.state.queue.set(tracker.queue.clone()),
                Field::Run(id) => {
                    runs_changed = true;
                    changed_ids.push(id.clone());
                }
                Field::Preview => {}
                Field::Gpu => self.state.gpu.set(tracker.gpu.clone()),
                Field::Counters => self.state.counters.set(tracker.counters.clone()),
                Field::Connection => {
                    if self
                        .state
                        .extension
                        .with_untracked(|e| e != &tracker.extension)
                    {
                        self.state.extension.set(tracker.extension.clone());
                    }
                }
            }
        }
        if runs_changed {
            self.state.runs.update(|runs| {
                for id in &changed_ids {
                    if let Some(run) = tracker.run(id) {
                        match runs.iter_mut().find(|r| r.prompt_id == *id) {
                            Some(slot) => *slot = run.clone(),
                            None => runs.insert(0, run.clone()),
                        }
                    }
                }
                // Only what the tracker still holds (it keeps a bounded number of runs; the
                // store keeps the rest), so memory stays flat however long the page is open.
                if runs.len() > tracker.run_count() {
                    runs.retain(|r| tracker.run(&r.prompt_id).is_some());
                }
            });
            let current = tracker.current_run().cloned();
            if self
                .state
                .current
                .with_untracked(|c| c.as_ref() != current.as_ref())
            {
                self.state.current.set(current);
            }
        }
        // After the current run: whether the preview is shown depends on it.
        let preview_changed = batch.fields.iter().any(|f| matches!(f, Field::Preview));
        if preview_changed || runs_changed {
            self.set_preview(pipeline, preview_changed);
        }
        let queue_changed = batch.fields.iter().any(|f| matches!(f, Field::Queue));
        if runs_changed || queue_changed {
            let queue = tracker.pending_queue(now_ms);
            if self.state.pending.with_untracked(|p| *p != queue.items) {
                self.state.pending.set(queue.items);
            }
            if self.state.drain.with_untracked(|d| *d != queue.drain) {
                self.state.drain.set(queue.drain);
            }
        }
        // The chart shows the current run's own series, or none: never another run's.
        let gpu_changed = batch.fields.iter().any(|f| matches!(f, Field::Gpu));
        if runs_changed || gpu_changed {
            let series = tracker
                .current_run()
                .and_then(|r| pipeline.series(&r.prompt_id));
            if self.state.series.with_untracked(|s| s.as_ref() != series) {
                self.state.series.set(series.cloned());
            }
        }
        if !batch.events.is_empty() {
            self.state.lifecycle.update(|l| {
                l.extend(batch.events.iter().map(|e| self.numbering.page_event(e)));
                let excess = l.len().saturating_sub(LIFECYCLE_KEPT);
                l.drain(..excess);
            });
        }
        let newest = pipeline
            .log()
            .lines()
            .next_back()
            .map(|l| (l.seq, l.repeat));
        if let Some(newest) = newest {
            if newest != *self.last_log_seq.borrow() {
                self.last_log_seq.replace(newest);
                self.state
                    .log
                    .set(pipeline.log().lines().cloned().collect());
            }
        }
        self.state.last_update_ms.set(Some(now_ms));
    }
}
