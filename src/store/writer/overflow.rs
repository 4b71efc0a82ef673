//! The writer's side of the spill (`store::spill`): when IndexedDB falls behind, ended runs
//! leave the pending map as a spill at once, and the writer folds the spill into `runs` when it
//! has nothing else to write.

use super::{Pending, StoreWriter};
use telemetry_core::history::StoredRun;

impl StoreWriter {
    /// Spills every ended run pending (see [`SPILL_AT`](super::SPILL_AT)). A failed spill is
    /// reported like a failed write and not tried again: a put that reads nothing fails when the
    /// disk is full or the store closed, and would fail the same way again.
    #[inline(never)]
    pub(super) fn spill_ended(&self) {
        let (store, records) = {
            let mut s = self.state.borrow_mut();
            let keys: Vec<String> = s
                .pending
                .iter()
                .filter(|(_, p)| p.run.status.is_terminal())
                .map(|(k, _)| k.clone())
                .collect();
            let batch: Vec<Pending> = keys.iter().filter_map(|k| s.pending.remove(k)).collect();
            if batch.is_empty() {
                return;
            }
            s.handed_over(&batch);
            s.spilled = true;
            s.spilling += 1;
            let records: Vec<StoredRun> = batch.into_iter().map(|p| p.record()).collect();
            (s.store.clone(), records)
        };
        // Encoded now: the runs leave wasm memory before the put is even answered.
        let spill = store.spill(records);
        let writer = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = spill.await.map(|()| 0);
            writer.state.borrow_mut().spilling -= 1;
            writer.finished(Vec::new(), result, false);
        });
    }

    /// Folds one spill entry into `runs` when nothing is pending or in flight, then looks
    /// again (through `finished`, `schedule`) until none is left.
    #[inline(never)]
    pub(super) fn unspill_when_idle(&self) {
        let store = {
            let mut s = self.state.borrow_mut();
            if !s.spilled || s.stopped || s.in_flight > 0 || s.spilling > 0 || !s.pending.is_empty()
            {
                return;
            }
            s.in_flight += 1;
            s.store.clone()
        };
        let writer = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let deleted = writer.clone();
            let skip = move |r: &StoredRun| {
                r.run.status.is_terminal() && deleted.state.borrow().forgotten.contains(&r.key)
            };
            let result = match store.unspill(skip).await {
                Ok(Some(written)) => Ok(written),
                Ok(None) => {
                    writer.state.borrow_mut().spilled = false;
                    Ok(0)
                }
                Err(e) => {
                    // Left for the next page's writer rather than retried in a loop here.
                    writer.state.borrow_mut().spilled = false;
                    Err(e)
                }
            };
            writer.finished(Vec::new(), result, true);
        });
    }
}
