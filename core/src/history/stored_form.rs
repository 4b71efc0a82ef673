//! The stored record as a plain JSON object, written and read by hand.
//!
//! The shape is exactly the one serde's derives give (field names, `null` for `None`, absent
//! `params` and `server_only` when empty, defaults for fields later builds added), so records
//! written by any build read, and the export and import (which use the derives) agree with
//! the store. The live page reads and writes records this way rather than through the
//! derives: serde's code is compiled once per type and backend, and the record types through
//! `serde_json::Value` were about 50 kB of the live page's wasm; this is a tenth of that.
//! `stored_form_tests.rs` checks it against the derives field for field.
//!
//! Reading follows the derives' rules: a field without a default that is missing, or any field
//! of the wrong type, makes the record unreadable (`None`); a missing `Option` is `None`.

use super::series::{MemoryKind, RunSeries, Sample};
use super::StoredRun;
use crate::follow::{ExitReason, FollowRecord, QueuePolicy};
use crate::protocol::{Artifact, ArtifactKind, ExecutionError};
use crate::run::{NodeRecord, NodeStatus, Run, RunSource, RunStatus};
use serde_json::{Map, Value};

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

fn node_to_value(n: &NodeRecord) -> Value {
    let mut m = Obj::default();
    m.put("id", n.id.as_str());
    m.put("class_type", n.class_type.as_deref());
    m.put("status", n.status.as_str());
    m.put("started_ms", n.started_ms);
    m.put("finished_ms", n.finished_ms);
    m.put("value", n.value);
    m.put("max", n.max);
    m.put("in_prompt", n.in_prompt);
    m.put("copies", n.copies);
    m.put("activity", n.activity.as_deref());
    m.put("server_seconds", n.server_seconds);
    m.put("blocked", n.blocked.as_deref());
    m.done()
}

fn node_from_value(v: &Value) -> Option<NodeRecord> {
    let o = Get(v.as_object()?);
    Some(NodeRecord {
        id: o.text("id")?,
        class_type: o.opt_text("class_type")?,
        status: node_status_of(o.0.get("status")?.as_str()?)?,
        started_ms: o.opt_f64("started_ms")?,
        finished_ms: o.opt_f64("finished_ms")?,
        value: o.opt_f64("value")?,
        max: o.opt_f64("max")?,
        in_prompt: o.flag("in_prompt")?,
        copies: match o.0.get("copies") {
            None => 0,
            Some(v) => as_u32(v)?,
        },
        activity: o.opt_text("activity")?,
        server_seconds: o.opt_f64("server_seconds")?,
        blocked: o.opt_text("blocked")?,
    })
}

fn artifact_to_value(a: &Artifact) -> Value {
    let mut m = Obj::default();
    m.put("node_id", a.node_id.as_str());
    m.put("kind", a.kind.as_str());
    m.put("filename", a.filename.as_str());
    m.put("subfolder", a.subfolder.as_str());
    m.put("folder_type", a.folder_type.as_str());
    m.put("format", a.format.as_deref());
    m.put("text", a.text.as_deref());
    m.put("animated", a.animated);
    m.done()
}

fn artifact_from_value(v: &Value) -> Option<Artifact> {
    let o = Get(v.as_object()?);
    Some(Artifact {
        node_id: o.text("node_id")?,
        kind: artifact_kind_of(o.0.get("kind")?.as_str()?)?,
        filename: o.text("filename")?,
        subfolder: o.text("subfolder")?,
        folder_type: o.text("folder_type")?,
        format: o.opt_text("format")?,
        text: o.opt_text("text")?,
        animated: o.0.get("animated")?.as_bool()?,
    })
}

fn error_to_value(e: &ExecutionError) -> Value {
    let mut m = Obj::default();
    m.put("prompt_id", e.prompt_id.as_str());
    m.put("node_id", e.node_id.as_deref());
    m.put("node_type", e.node_type.as_deref());
    m.put("exception_type", e.exception_type.as_deref());
    m.put("exception_message", e.exception_message.as_deref());
    m.put("traceback", texts_to_value(&e.traceback));
    m.put("executed", texts_to_value(&e.executed));
    m.put("timestamp", e.timestamp);
    m.done()
}

fn error_from_value(v: &Value) -> Option<ExecutionError> {
    let o = Get(v.as_object()?);
    Some(ExecutionError {
        prompt_id: o.text("prompt_id")?,
        node_id: o.opt_text("node_id")?,
        node_type: o.opt_text("node_type")?,
        exception_type: o.opt_text("exception_type")?,
        exception_message: o.opt_text("exception_message")?,
        traceback: texts_of(o.0.get("traceback")?)?,
        executed: texts_of(o.0.get("executed")?)?,
        timestamp: o.opt("timestamp", Value::as_i64)?,
    })
}

fn follow_to_value(f: &FollowRecord) -> Value {
    let p = &f.policy;
    let mut policy = Obj::default();
    policy.put("max_wait_s", p.max_wait_s);
    policy.put("poll_interval_s", p.poll_interval_s);
    policy.put("max_attempts", p.max_attempts);
    policy.put("post_execution_timeout_s", p.post_execution_timeout_s);
    policy.put("retry_budget", p.retry_budget);
    let mut m = Obj::default();
    m.put("policy", policy.done());
    m.put("started_ms", f.started_ms);
    m.put("attempts", f.attempts);
    m.put("retries", f.retries);
    m.put("waited_ms", f.waited_ms);
    m.put("execution_done_ms", f.execution_done_ms);
    m.put("exit", f.exit.map(ExitReason::as_str));
    m.done()
}

fn follow_from_value(v: &Value) -> Option<FollowRecord> {
    let o = Get(v.as_object()?);
    let p = Get(o.0.get("policy")?.as_object()?);
    Some(FollowRecord {
        policy: QueuePolicy {
            max_wait_s: p.u32("max_wait_s")?,
            poll_interval_s: p.u32("poll_interval_s")?,
            max_attempts: p.u32("max_attempts")?,
            post_execution_timeout_s: p.u32("post_execution_timeout_s")?,
            retry_budget: p.u32("retry_budget")?,
        },
        started_ms: o.f64("started_ms")?,
        attempts: o.u32("attempts")?,
        retries: o.u32("retries")?,
        waited_ms: o.opt_f64("waited_ms")?,
        execution_done_ms: o.opt_f64("execution_done_ms")?,
        exit: o.opt("exit", |v| ExitReason::parse(v.as_str()?))?,
    })
}

fn series_to_value(s: &RunSeries) -> Value {
    let mut m = Obj::default();
    m.put("prompt_id", s.prompt_id.as_str());
    m.put("start_ms", s.start_ms);
    m.put(
        "samples",
        s.samples.iter().map(sample_to_value).collect::<Vec<_>>(),
    );
    m.put("memory", s.memory.as_str());
    m.put("mem_total_mb", s.mem_total_mb);
    m.put("peak_mb", s.peak_mb);
    m.put("peak_t_ms", s.peak_t_ms);
    m.put("interval_ms", s.interval_ms);
    m.done()
}

/// A run's series, as the store and the extension's run log keep it.
pub fn series_from_value(v: &Value) -> Option<RunSeries> {
    let o = Get(v.as_object()?);
    Some(RunSeries {
        prompt_id: o.text("prompt_id")?,
        start_ms: o.f64("start_ms")?,
        samples: list(o.0.get("samples")?, sample_from_value)?,
        memory: match o.0.get("memory") {
            None => MemoryKind::default(),
            Some(v) => match v.as_str()? {
                "vram" => MemoryKind::Vram,
                "ram" => MemoryKind::Ram,
                _ => return None,
            },
        },
        mem_total_mb: o.opt_f64("mem_total_mb")?,
        peak_mb: o.opt_f64("peak_mb")?,
        peak_t_ms: o.opt_f64("peak_t_ms")?,
        interval_ms: match o.0.get("interval_ms") {
            None => RunSeries::new("", 0.0).interval_ms,
            Some(v) => v.as_f64()?,
        },
    })
}

fn sample_to_value(s: &Sample) -> Value {
    let mut m = Obj::default();
    m.put("t_ms", s.t_ms);
    m.put("nodes_done", s.nodes_done);
    m.put("nodes_total", s.nodes_total);
    m.put("step", s.step);
    m.put("steps", s.steps);
    m.put("step_rate", s.step_rate);
    m.put("mem_mb", s.mem_mb);
    m.put("progress", s.progress);
    for (k, v) in [
        ("gpu2_mb", s.gpu2_mb),
        ("gpu3_mb", s.gpu3_mb),
        ("gpu4_mb", s.gpu4_mb),
    ] {
        if v.is_some() {
            m.put(k, v);
        }
    }
    m.done()
}

fn sample_from_value(v: &Value) -> Option<Sample> {
    let o = Get(v.as_object()?);
    Some(Sample {
        t_ms: o.f64("t_ms")?,
        nodes_done: o.u32("nodes_done")?,
        nodes_total: o.opt("nodes_total", as_u32)?,
        step: o.opt_f64("step")?,
        steps: o.opt_f64("steps")?,
        step_rate: o.opt_f64("step_rate")?,
        mem_mb: o.opt_f64("mem_mb")?,
        progress: o.opt_f64("progress")?,
        gpu2_mb: o.opt_f64("gpu2_mb")?,
        gpu3_mb: o.opt_f64("gpu3_mb")?,
        gpu4_mb: o.opt_f64("gpu4_mb")?,
    })
}

fn source_str(s: RunSource) -> &'static str {
    match s {
        RunSource::Stream => "stream",
        RunSource::Polling => "polling",
        RunSource::History => "history",
        RunSource::Seed => "seed",
    }
}

fn source_of(s: &str) -> Option<RunSource> {
    [
        RunSource::Stream,
        RunSource::Polling,
        RunSource::History,
        RunSource::Seed,
    ]
    .into_iter()
    .find(|k| source_str(*k) == s)
}

fn node_status_of(s: &str) -> Option<NodeStatus> {
    use NodeStatus::*;
    [Pending, Running, Finished, Cached, Failed, Interrupted]
        .into_iter()
        .find(|k| k.as_str() == s)
}

fn artifact_kind_of(s: &str) -> Option<ArtifactKind> {
    use ArtifactKind::*;
    [Image, Video, Audio, Text, Other]
        .into_iter()
        .find(|k| k.as_str() == s)
}

fn texts_to_value(texts: &[String]) -> Value {
    Value::Array(texts.iter().map(|t| Value::from(t.as_str())).collect())
}

fn texts_of(v: &Value) -> Option<Vec<String>> {
    list(v, |t| t.as_str().map(str::to_owned))
}

fn list<T>(v: &Value, item: fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    v.as_array()?.iter().map(item).collect()
}

fn as_u32(v: &Value) -> Option<u32> {
    u32::try_from(v.as_u64()?).ok()
}

/// An object being written.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl Obj {
    fn put(&mut self, key: &str, value: impl Into<Value>) {
        self.0.insert(key.to_owned(), value.into());
    }

    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// An object being read; each getter is `None` when the field does not read.
pub(crate) struct Get<'a>(pub(crate) &'a Map<String, Value>);

impl Get<'_> {
    fn text(&self, key: &str) -> Option<String> {
        self.0.get(key)?.as_str().map(str::to_owned)
    }

    fn f64(&self, key: &str) -> Option<f64> {
        self.0.get(key)?.as_f64()
    }

    fn u32(&self, key: &str) -> Option<u32> {
        as_u32(self.0.get(key)?)
    }

    /// A `bool` with `serde(default)`: absent is `false`.
    fn flag(&self, key: &str) -> Option<bool> {
        match self.0.get(key) {
            None => Some(false),
            Some(v) => v.as_bool(),
        }
    }

    /// An optional field: absent or `null` is `Some(None)`, a value that does not read `None`.
    pub(crate) fn opt<T>(
        &self,
        key: &str,
        read: impl Fn(&Value) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(v) => read(v).map(Some),
        }
    }

    fn opt_f64(&self, key: &str) -> Option<Option<f64>> {
        self.opt(key, Value::as_f64)
    }

    pub(crate) fn opt_text(&self, key: &str) -> Option<Option<String>> {
        self.opt(key, |v| v.as_str().map(str::to_owned))
    }
}

#[cfg(test)]
#[path = "stored_form_tests.rs"]
mod tests;
