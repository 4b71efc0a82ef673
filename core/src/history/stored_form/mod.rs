//! The stored record as a plain JSON object, written and read by hand.
//!
//! The shape is exactly the one serde's derives give (field names, `null` for `None`, absent
//! `params` and `server_only` when empty, defaults for fields later builds added), so records
//! written by any build read, and the export and import (which use the derives) agree with
//! the store. The live page reads and writes records this way rather than through the
//! derives: serde's code is compiled once per type and backend, and the record types through
//! `serde_json::Value` were about 50 kB of the live page's wasm; this is a tenth of that.
//! `tests.rs` checks it against the derives field for field.
//!
//! Reading follows the derives' rules: a field without a default that is missing, or any field
//! of the wrong type, makes the record unreadable (`None`); a missing `Option` is `None`.

mod access;
mod parts;

use self::access::{as_u32, list, texts_of, texts_to_value, Obj};
use self::parts::*;
pub(crate) use access::Get;
pub use parts::series_from_value;

use super::StoredRun;
use crate::run::{Run, RunStatus};
use serde_json::Value;

/// The record as the store keeps it.
pub fn to_value(r: &StoredRun) -> Value {
    let mut m = Obj::default();
    m.put("key", r.key.as_str());
    m.put("server", r.server.as_str());
    m.put("prompt_id", r.prompt_id.as_str());
    m.put("start_ms", r.start_ms);
    m.put("duration_ms", r.duration_ms);
    m.put("status", r.status.as_str());
    m.put("exit_reason", r.exit_reason.as_str());
    m.put("gpu", r.gpu.as_str());
    m.put("workflow", r.workflow.as_str());
    m.put("search", r.search.as_str());
    m.put("version", r.version);
    m.put("run", run_to_value(&r.run));
    m.put("series", r.series.as_ref().map(series_to_value));
    if let Some(p) = &r.params {
        m.put("params", Value::Object(p.clone()));
    }
    if r.server_only {
        m.put("server_only", true);
    }
    m.done()
}

/// A stored record; `None` when it does not read as one (see the module doc).
pub fn from_value(v: &Value) -> Option<StoredRun> {
    let o = Get(v.as_object()?);
    Some(StoredRun {
        key: o.text("key")?,
        server: o.text("server")?,
        prompt_id: o.text("prompt_id")?,
        start_ms: o.f64("start_ms")?,
        duration_ms: o.f64("duration_ms")?,
        status: o.text("status")?,
        exit_reason: o.text("exit_reason")?,
        gpu: o.text("gpu")?,
        workflow: o.text("workflow")?,
        search: o.text("search")?,
        version: o.u32("version")?,
        run: run_from_value(o.0.get("run")?)?,
        series: o.opt("series", series_from_value)?,
        params: o.opt("params", |v| v.as_object().cloned())?,
        server_only: o.flag("server_only")?,
    })
}

/// A run as the store and the JSON backup write it.
pub fn run_to_value(r: &Run) -> Value {
    let mut m = Obj::default();
    m.put("server", r.server.as_str());
    m.put("prompt_id", r.prompt_id.as_str());
    m.put("number", r.number);
    m.put("client_id", r.client_id.as_deref());
    m.put("status", r.status.as_str());
    m.put("source", source_str(r.source));
    m.put("first_seen_ms", r.first_seen_ms);
    m.put("queued_at_ms", r.queued_at_ms);
    m.put("started_at_ms", r.started_at_ms);
    m.put("ended_at_ms", r.ended_at_ms);
    m.put("server_started_ms", r.server_started_ms);
    m.put("server_ended_ms", r.server_ended_ms);
    m.put("server_queued_ms", r.server_queued_ms);
    m.put(
        "nodes",
        r.nodes.iter().map(node_to_value).collect::<Vec<_>>(),
    );
    m.put("node_total", r.node_total);
    m.put("current_node", r.current_node.as_deref());
    m.put(
        "outputs",
        r.outputs.iter().map(artifact_to_value).collect::<Vec<_>>(),
    );
    m.put("error", r.error.as_ref().map(error_to_value));
    m.put("interrupted_node", r.interrupted_node.as_deref());
    m.put("workflow", r.workflow.as_deref());
    m.put("progress_text", r.progress_text.as_deref());
    m.put("last_update_ms", r.last_update_ms);
    m.put("reconstructed", r.reconstructed);
    m.put("history_attempts", r.history_attempts);
    m.put("gpu_name", r.gpu_name.as_deref());
    m.put("reported_vram_delta", r.reported_vram_delta);
    m.put("reported_duration_s", r.reported_duration_s);
    m.put("vram_total", r.vram_total);
    m.put("vram_free_before", r.vram_free_before);
    m.put("vram_free_after", r.vram_free_after);
    m.put("vram_peak_used", r.vram_peak_used);
    m.put("cpu_only", r.cpu_only);
    m.put("stream_lost", r.stream_lost);
    m.put("follow", r.follow.as_ref().map(follow_to_value));
    m.put("notes", texts_to_value(&r.notes));
    m.put("server_node_states", r.server_node_states);
    m.put("lost_reason", r.lost_reason.as_deref());
    m.done()
}

/// The `run` of a record of any version.
pub fn run_from_value(v: &Value) -> Option<Run> {
    let o = Get(v.as_object()?);
    Some(Run {
        server: o.text("server")?,
        prompt_id: o.text("prompt_id")?,
        number: o.opt("number", Value::as_i64)?,
        client_id: o.opt_text("client_id")?,
        status: RunStatus::parse(o.0.get("status")?.as_str()?)?,
        source: source_of(o.0.get("source")?.as_str()?)?,
        first_seen_ms: o.f64("first_seen_ms")?,
        queued_at_ms: o.opt_f64("queued_at_ms")?,
        started_at_ms: o.opt_f64("started_at_ms")?,
        ended_at_ms: o.opt_f64("ended_at_ms")?,
        server_started_ms: o.opt("server_started_ms", Value::as_i64)?,
        server_ended_ms: o.opt("server_ended_ms", Value::as_i64)?,
        server_queued_ms: o.opt("server_queued_ms", Value::as_i64)?,
        nodes: list(o.0.get("nodes")?, node_from_value)?,
        node_total: o.opt("node_total", as_u32)?,
        current_node: o.opt_text("current_node")?,
        outputs: list(o.0.get("outputs")?, artifact_from_value)?,
        error: o.opt("error", error_from_value)?,
        interrupted_node: o.opt_text("interrupted_node")?,
        workflow: o.opt_text("workflow")?,
        progress_text: o.opt_text("progress_text")?,
        last_update_ms: o.f64("last_update_ms")?,
        reconstructed: o.flag("reconstructed")?,
        history_attempts: o.opt("history_attempts", as_u32)?,
        gpu_name: o.opt_text("gpu_name")?,
        reported_vram_delta: o.opt_f64("reported_vram_delta")?,
        reported_duration_s: o.opt_f64("reported_duration_s")?,
        vram_total: o.opt_f64("vram_total")?,
        vram_free_before: o.opt_f64("vram_free_before")?,
        vram_free_after: o.opt_f64("vram_free_after")?,
        vram_peak_used: o.opt_f64("vram_peak_used")?,
        cpu_only: o.flag("cpu_only")?,
        stream_lost: o.flag("stream_lost")?,
        follow: o.opt("follow", follow_from_value)?,
        notes: match o.0.get("notes") {
            None => Vec::new(),
            Some(v) => texts_of(v)?,
        },
        server_node_states: o.flag("server_node_states")?,
        lost_reason: o.opt_text("lost_reason")?,
    })
}

#[cfg(test)]
mod tests;
