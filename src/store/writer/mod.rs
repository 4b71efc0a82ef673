//! Writing runs as they happen, without writing on every progress tick.
//!
//! A live run changes several times a second; each change would be a whole-record rewrite. The
//! writer keeps the latest state per run and writes it once the run's window (`interval_ms`
//! from its first unwritten change) closes, all runs due together in one transaction. A run
//! that just became terminal is written at once: that is the state a reload must not lose.
//! Each write is merged with what the store holds (`RunStore::put_merged`), so a record only
//! gains information, whichever tab or path wrote it before. When IndexedDB falls behind (more
//! than `SPILL_AT` runs pending), ended runs are spilled instead (`overflow`, `store::spill`):
//! what the writer holds stays bounded however long a flood lasts.

mod overflow;

use super::{RunStore, StoreError};
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use telemetry_core::history::record::key_of;
use telemetry_core::history::series::RunSeries;
use telemetry_core::history::StoredRun;
use telemetry_core::run::{Run, RunStatus};
use telemetry_core::str_map::{StrMap, StrSet};

/// Timers fire a little late; entries due this close to the firing go along.
const SLACK_MS: f64 = 50.0;
/// A failed write is retried this many times (unless the run changes again meanwhile).
const MAX_ATTEMPTS: u8 = 3;
/// Writes in flight at most: one for progress, one more for new statuses.
const MAX_IN_FLIGHT: u32 = 2;
/// Runs pending at most: past it IndexedDB is behind (a flood of short runs), and every ended
/// run pending is spilled (`spill.rs`): encoded and handed over in one put, so it leaves wasm
/// memory at once instead of waiting for a merged write that reads every record first.
const SPILL_AT: usize = 128;
/// Deleted keys remembered at most; past it the set starts again (an old deletion is long
/// settled by then).
const MAX_FORGOTTEN: usize = 4096;

#[derive(Clone)]
pub struct StoreWriter {
    state: Rc<RefCell<State>>,
}

struct State {
    store: RunStore,
    interval_ms: f64,
    pending: StrMap<Pending>,
    /// Status last handed to a write, to tell "became terminal" from "still terminal".
    written_status: StrMap<RunStatus>,
    timer: Option<(f64, Timeout)>,
    /// The caller's clock minus `Date.now()`: `note` takes the caller's time, timers run on
    /// the browser's.
    clock_offset: f64,
    stopped: bool,
    last_error: Option<StoreError>,
    listeners: Vec<Rc<dyn Fn(StoreError)>>,
    written: u64,
    /// Writes handed to IndexedDB and not finished. Due progress waits for them: a flood of
    /// short runs (hundreds a second) would otherwise start a transaction per window faster
    /// than IndexedDB ends them, each holding its records and its request listeners (the
    /// benchmark's flood showed hundreds of listeners waiting); waiting, they coalesce into the
    /// next transaction. A new status (a start, an end) takes a second slot rather than wait
    /// behind a progress write: a reload right after a run ends must find its end (a real
    /// ComfyUI e2e lost it to the wait). Never more than [`MAX_IN_FLIGHT`].
    in_flight: u32,
    /// Runs the person deleted while this page was open. A finished run's later notes (the
    /// start-up history read settling it, a details read) would otherwise write it again and
    /// the deleted row would come back; a run still going is written again as it goes on.
    forgotten: StrSet,
    /// Spill entries may be waiting to be folded into `runs`: this page spilled, or a page
    /// before it may have (checked once at the start).
    spilled: bool,
    /// Spills handed to IndexedDB and not finished; folding in waits for them.
    spilling: u32,
}

struct Pending {
    run: Run,
    /// The run's series as the pipeline sampled it, when it was watched live.
    series: Option<RunSeries>,
    due: f64,
    attempts: u8,
    /// A status not written yet (see `State::in_flight`).
    new_status: bool,
}

impl State {
    fn now(&self) -> f64 {
        js_sys::Date::now() + self.clock_offset
    }

    /// Remembers the statuses of runs handed to a write.
    fn handed_over(&mut self, batch: &[Pending]) {
        for p in batch {
            self.written_status
                .insert(key_of(&p.run.server, &p.run.prompt_id), p.run.status);
        }
        // One entry per run ever written would grow without bound on a busy server; ended
        // runs rarely change again, and if one does it is simply written at once.
        if self.written_status.len() > 1000 {
            self.written_status
                .retain(|_, status| !status.is_terminal());
        }
    }
}

impl Pending {
    fn record(&self) -> StoredRun {
        let mut record = StoredRun::from_run(&self.run);
        record.series = self.series.clone();
        record
    }
}

impl StoreWriter {
    pub fn new(store: RunStore, interval_ms: u32) -> Self {
        StoreWriter {
            state: Rc::new(RefCell::new(State {
                store,
                interval_ms: f64::from(interval_ms),
                pending: StrMap::new(),
                written_status: StrMap::new(),
                timer: None,
                clock_offset: 0.0,
                stopped: false,
                last_error: None,
                listeners: Vec::new(),
                written: 0,
                in_flight: 0,
                forgotten: StrSet::new(),
                spilled: true,
                spilling: 0,
            })),
        }
    }

    /// Takes the run's latest state (and its series); cheap enough to call for every change.
    pub fn note(&self, run: &Run, series: Option<&RunSeries>, now_ms: f64) {
        let behind = {
            let mut s = self.state.borrow_mut();
            if s.stopped {
                return;
            }
            s.clock_offset = now_ms - js_sys::Date::now();
            let key = key_of(&run.server, &run.prompt_id);
            if run.status.is_terminal() && s.forgotten.contains(&key) {
                return;
            }
            // A new status (the start, the end) is written at once, so a reload right after a
            // run starts still finds its start; progress in between waits for the interval.
            let status_changed = s.written_status.get(&key) != Some(&run.status);
            let due = if status_changed {
                now_ms
            } else {
                now_ms + s.interval_ms
            };
            match s.pending.get_mut(&key) {
                Some(p) => {
                    p.run = run.clone();
                    if series.is_some() {
                        p.series = series.cloned();
                    }
                    p.due = p.due.min(due);
                    p.attempts = 0;
                    p.new_status |= status_changed;
                }
                None => {
                    s.pending.insert(
                        key,
                        Pending {
                            run: run.clone(),
                            series: series.cloned(),
                            due,
                            attempts: 0,
                            new_status: status_changed,
                        },
                    );
                }
            }
            s.pending.len() >= SPILL_AT
        };
        if behind {
            self.spill_ended();
        }
        self.schedule();
    }

    /// Merges finished records (the server's run log) into the store at once, each folded into
    /// what is stored so it only gains; how many were written.
    pub async fn put_records(&self, records: &[StoredRun]) -> Result<usize, StoreError> {
        let store = self.state.borrow().store.clone();
        let written = store.put_from_server_log(records).await?;
        self.state.borrow_mut().written += written as u64;
        Ok(written)
    }

    /// The person deleted these runs (by key): what is pending for them is dropped, and a
    /// finished one is not written again by this page. Called before the store deletes them.
    pub fn forget(&self, keys: &[String]) {
        let mut s = self.state.borrow_mut();
        if s.forgotten.len() + keys.len() > MAX_FORGOTTEN {
            s.forgotten.clear();
        }
        for key in keys {
            s.pending.remove(key);
            s.written_status.remove(key);
            s.forgotten.insert(key.clone());
        }
    }

    /// The person cleared the store: every finished run pending is dropped (a run still going
    /// is written again as it goes on).
    pub fn forget_all(&self) {
        let mut s = self.state.borrow_mut();
        s.pending.retain(|_, p| !p.run.status.is_terminal());
        s.written_status.clear();
    }

    /// Writes everything pending now, e.g. when the page is being hidden.
    pub fn flush_now(&self) {
        let batch: Vec<Pending> = {
            let mut s = self.state.borrow_mut();
            s.timer = None;
            s.pending.drain().map(|(_, p)| p).collect()
        };
        self.write(batch);
    }

    pub fn last_error(&self) -> Option<StoreError> {
        self.state.borrow().last_error.clone()
    }

    pub fn on_error(&self, f: impl Fn(StoreError) + 'static) {
        self.state.borrow_mut().listeners.push(Rc::new(f));
    }

    /// Runs written so far (a diagnostic, and how tests see coalescing).
    pub fn written(&self) -> u64 {
        self.state.borrow().written
    }

    /// Writes started and not finished: at most two while the writer's timer drives them.
    pub fn writes_in_flight(&self) -> u32 {
        self.state.borrow().in_flight
    }

    /// Arms the timer for the earliest due entry, unless it is already armed for that or
    /// earlier.
    fn schedule(&self) {
        let weak: Weak<RefCell<State>> = Rc::downgrade(&self.state);
        let mut s = self.state.borrow_mut();
        let Some(due) = s.pending.values().map(|p| p.due).min_by(f64::total_cmp) else {
            s.timer = None;
            drop(s);
            self.unspill_when_idle();
            return;
        };
        if s.timer.as_ref().is_some_and(|(at, _)| *at <= due) {
            return;
        }
        let delay = (due - s.now()).clamp(0.0, f64::from(u32::MAX)) as u32;
        let timeout = Timeout::new(delay, move || {
            if let Some(state) = weak.upgrade() {
                StoreWriter { state }.flush_due();
            }
        });
        s.timer = Some((due, timeout));
    }

    fn flush_due(&self) {
        let batch: Vec<Pending> = {
            let mut s = self.state.borrow_mut();
            s.timer = None;
            // While a write is in flight only new statuses go (scheduled again when it ends).
            let busy = s.in_flight > 0;
            if s.in_flight >= MAX_IN_FLIGHT {
                return;
            }
            let limit = s.now() + SLACK_MS;
            let due: Vec<String> = s
                .pending
                .iter()
                .filter(|(_, p)| p.due <= limit && (!busy || p.new_status))
                .map(|(k, _)| k.clone())
                .collect();
            due.iter().filter_map(|k| s.pending.remove(k)).collect()
        };
        self.write(batch);
        self.schedule();
    }

    fn write(&self, batch: Vec<Pending>) {
        if batch.is_empty() {
            return;
        }
        let (store, records) = {
            let mut s = self.state.borrow_mut();
            s.in_flight += 1;
            s.handed_over(&batch);
            let records: Vec<StoredRun> = batch.iter().map(Pending::record).collect();
            (s.store.clone(), records)
        };
        let writer = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = store.put_merged(&records).await;
            drop(records);
            writer.finished(batch, result, true);
        });
    }

    /// A write, spill or fold ended; `slot`: it held one of the [`MAX_IN_FLIGHT`] slots.
    fn finished(&self, batch: Vec<Pending>, result: Result<usize, StoreError>, slot: bool) {
        let listeners = {
            let mut s = self.state.borrow_mut();
            if slot {
                s.in_flight = s.in_flight.saturating_sub(1);
            }
            let error = match result {
                Ok(written) => {
                    s.written += written as u64;
                    drop(s);
                    self.schedule();
                    return;
                }
                Err(e) => e,
            };
            s.last_error = Some(error.clone());
            if error == StoreError::QuotaExceeded {
                // Retrying would fail the same way and keep the disk pinned at full.
                s.stopped = true;
                s.pending.clear();
                s.timer = None;
            } else {
                let due = s.now() + s.interval_ms;
                for p in batch {
                    let key = key_of(&p.run.server, &p.run.prompt_id);
                    s.written_status.remove(&key);
                    if p.attempts + 1 < MAX_ATTEMPTS && !s.pending.contains_key(&key) {
                        s.pending.insert(
                            key,
                            Pending {
                                due,
                                attempts: p.attempts + 1,
                                ..p
                            },
                        );
                    }
                }
            }
            s.listeners.clone()
        };
        if let Some(e) = self.last_error() {
            for f in listeners {
                f(e.clone());
            }
        }
        self.schedule();
    }
}
