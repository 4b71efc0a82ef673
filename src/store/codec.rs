//! Records in and out of IndexedDB's structured clone.
//!
//! Records cross as JSON text (the browser's `JSON.parse`/`JSON.stringify`) and
//! `serde_json::Value`, which the frame decoder needs anyway, written and read by the
//! hand-written `telemetry_core::history::stored_form`, not by serde's derives: their code is
//! compiled per type and backend, and the record types through `Value` were about 50 kB of the
//! live page's wasm. The shape is the derives' own, so every record any build wrote reads.

use super::StoreError;
use serde_json::Value;
use telemetry_core::history::{stored_form, HistoryQuery, StoredRun};
use telemetry_core::run::Run;
use wasm_bindgen::JsValue;

/// Plain objects and `null` for `None`, so records look the same whoever wrote them and
/// stay readable by key paths.
pub fn encode(run: &StoredRun) -> Result<JsValue, StoreError> {
    let value = stored_form::to_value(&normalize(run.clone()));
    js_sys::JSON::parse(&telemetry_core::json::to_string(&value))
        .map_err(|_| StoreError::Failed("record encoding: not JSON".to_owned()))
}

/// Records as one JS array, parsed by the browser at once (a spill entry's): the records are
/// consumed, so nothing is copied to be normalized, and one `JSON.parse` replaces one per
/// record (issue 22, throughput: the spill encodes hundreds of runs a second in a flood).
pub fn encode_all(runs: impl IntoIterator<Item = StoredRun>) -> Result<JsValue, StoreError> {
    let mut text = String::from("[");
    for (i, run) in runs.into_iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        telemetry_core::json::write_value(&mut text, &stored_form::to_value(&normalize(run)));
    }
    text.push(']');
    js_sys::JSON::parse(&text)
        .map_err(|_| StoreError::Failed("record encoding: not JSON".to_owned()))
}

/// `None` for a record that no longer reads as a run (written by a broken or far newer build):
/// skipping it keeps the rest of the history usable.
pub fn decode(value: JsValue) -> Option<StoredRun> {
    stored_form::from_value(&from_js(&value)?)
}

/// A plain JS value as JSON; `None` when it is not one.
fn from_js(value: &JsValue) -> Option<Value> {
    let text = js_sys::JSON::stringify(value).ok()?.as_string()?;
    telemetry_core::json::parse(&text).ok()
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
    field(value, "version")
        .and_then(|v| v.as_f64())
        .map(|v| v as u32)
        .unwrap_or(0)
}

/// The `run` inside a record of any version: `Run` grows with `serde(default)` fields, so old
/// runs still read.
pub fn run_of(value: &JsValue) -> Option<Run> {
    stored_form::run_from_value(&from_js(&field(value, "run")?)?)
}

/// The record's search text: its flat `search` field, or for a record without one (legacy),
/// that of the decoded record. `None` when neither reads.
pub fn search_of(value: &JsValue) -> Option<String> {
    field(value, "search")
        .and_then(|v| v.as_string())
        .or_else(|| decode(value.clone()).map(|r| r.search))
}

/// One field of a record, read without decoding the rest: `HistoryQuery::matches` reads only
/// the flat ones, which cost a fraction of the whole record, so filtered scans decode the run
/// only for records that pass.
pub(super) fn field(value: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(value, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined())
}

fn text_field(value: &JsValue, name: &str, into: &mut String) -> Option<()> {
    *into = field(value, name)?.as_string()?;
    Some(())
}

fn number_field(value: &JsValue, name: &str, into: &mut f64) -> Option<()> {
    *into = field(value, name)?.as_f64()?;
    Some(())
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

    /// The record's flat fields (with an empty run) when it passes, enough to sort and page it
    /// (`HistoryQuery::compare`, `PageCursor`) before decoding the whole record.
    pub fn accepted(&mut self, value: &JsValue) -> Option<StoredRun> {
        match self.flat(value) {
            Some(()) => self.query.matches(&self.probe).then(|| self.probe.clone()),
            None => decode(value.clone()).filter(|r| self.query.matches(r)),
        }
    }

    fn flat(&mut self, value: &JsValue) -> Option<()> {
        let p = &mut self.probe;
        text_field(value, "key", &mut p.key)?;
        text_field(value, "server", &mut p.server)?;
        text_field(value, "prompt_id", &mut p.prompt_id)?;
        number_field(value, "start_ms", &mut p.start_ms)?;
        number_field(value, "duration_ms", &mut p.duration_ms)?;
        text_field(value, "status", &mut p.status)?;
        text_field(value, "exit_reason", &mut p.exit_reason)?;
        text_field(value, "gpu", &mut p.gpu)?;
        text_field(value, "workflow", &mut p.workflow)?;
        text_field(value, "search", &mut p.search)
    }

    pub fn accepts(&mut self, value: &JsValue) -> bool {
        if self.query.is_empty() {
            return true;
        }
        match self.flat(value) {
            Some(()) => self.query.matches(&self.probe),
            // A record missing flat fields (legacy): decide on the full decode.
            None => decode(value.clone()).is_some_and(|r| self.query.matches(&r)),
        }
    }
}
