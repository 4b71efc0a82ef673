//! Records in and out of IndexedDB's structured clone.

use super::StoreError;
use serde::Serialize;
use telemetry_core::history::{HistoryQuery, StoredRun};
use telemetry_core::run::Run;
use wasm_bindgen::JsValue;

/// Plain objects and `null` for `None`, so records look the same whoever wrote them and
/// stay readable by key paths.
pub fn encode(run: &StoredRun) -> Result<JsValue, StoreError> {
    let run = normalize(run.clone());
    Ok(run.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?)
}

/// `None` for a record that no longer reads as a run (written by a broken or far newer build):
/// skipping it keeps the rest of the history usable.
pub fn decode(value: JsValue) -> Option<StoredRun> {
    serde_wasm_bindgen::from_value(value).ok()
}

/// IndexedDB keys cannot be NaN (the record would silently drop out of every index) and treat
/// -0 as 0 while `f64::total_cmp` does not; both would make index order disagree with
/// `HistoryQuery::compare`.
pub fn normalize(mut run: StoredRun) -> StoredRun {
    if run.start_ms.is_nan() {
        run.start_ms = 0.0;
    }
    if run.duration_ms.is_nan() {
        run.duration_ms = -1.0;
    }
    if run.start_ms == 0.0 {
        run.start_ms = 0.0;
    }
    if run.duration_ms == 0.0 {
        run.duration_ms = 0.0;
    }
    run
}

/// The record's `version` field, read without decoding the record: a legacy record may not
/// decode as today's `StoredRun`.
pub fn version_of(value: &JsValue) -> u32 {
    js_sys::Reflect::get(value, &JsValue::from_str("version"))
        .ok()
        .and_then(|v| v.as_f64())
        .map(|v| v as u32)
        .unwrap_or(0)
}

/// The `run` inside a record of any version: `Run` grows with `serde(default)` fields, so old
/// runs still read.
pub fn run_of(value: &JsValue) -> Option<Run> {
    let run = js_sys::Reflect::get(value, &JsValue::from_str("run")).ok()?;
    serde_wasm_bindgen::from_value(run).ok()
}

/// The flat fields of a record, without the run: `HistoryQuery::matches` reads only these, and
/// decoding them costs a fraction of the whole record, so filtered scans decode the run only for
/// records that pass.
#[derive(serde::Deserialize)]
struct Flat {
    key: String,
    server: String,
    prompt_id: String,
    start_ms: f64,
    duration_ms: f64,
    status: String,
    exit_reason: String,
    gpu: String,
    workflow: String,
    search: String,
}

/// Applies a query to raw records. Relies on `HistoryQuery::matches` reading only
/// `StoredRun`'s flat fields (its doc says the store narrows with them); `page` re-checks the
/// fully decoded run, so a later change there could only hide runs, never show wrong ones.
pub struct Matcher<'q> {
    query: &'q HistoryQuery,
    probe: StoredRun,
}

impl<'q> Matcher<'q> {
    pub fn new(query: &'q HistoryQuery) -> Self {
        let run = Run::new("", "", telemetry_core::run::RunSource::Stream, 0.0);
        Matcher {
            query,
            probe: StoredRun::from_run(&run),
        }
    }

    pub fn accepts(&mut self, value: &JsValue) -> bool {
        if self.query.is_empty() {
            return true;
        }
        match serde_wasm_bindgen::from_value::<Flat>(value.clone()) {
            Ok(f) => {
                let p = &mut self.probe;
                (p.key, p.server, p.prompt_id) = (f.key, f.server, f.prompt_id);
                (p.start_ms, p.duration_ms) = (f.start_ms, f.duration_ms);
                (p.status, p.exit_reason, p.gpu) = (f.status, f.exit_reason, f.gpu);
                (p.workflow, p.search) = (f.workflow, f.search);
                self.query.matches(p)
            }
            // A record missing flat fields (legacy): decide on the full decode.
            Err(_) => decode(value.clone()).is_some_and(|r| self.query.matches(&r)),
        }
    }
}
