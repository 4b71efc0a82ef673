//! Records in and out of IndexedDB's structured clone.

use super::StoreError;
use serde::Serialize;
use telemetry_core::history::StoredRun;
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
