//! The parts of a run and its series, written and read as their derives do.

use super::access::{as_u32, list, texts_of, texts_to_value, Get, Obj};
use crate::follow::{ExitReason, FollowRecord, QueuePolicy};
use crate::history::series::{MemoryKind, RunSeries, Sample};
use crate::protocol::{Artifact, ArtifactKind, ExecutionError};
use crate::run::{NodeRecord, NodeStatus, RunSource};
use serde_json::Value;

pub(super) fn node_to_value(n: &NodeRecord) -> Value {
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

pub(super) fn node_from_value(v: &Value) -> Option<NodeRecord> {
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

pub(super) fn artifact_to_value(a: &Artifact) -> Value {
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

pub(super) fn artifact_from_value(v: &Value) -> Option<Artifact> {
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

pub(super) fn error_to_value(e: &ExecutionError) -> Value {
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

pub(super) fn error_from_value(v: &Value) -> Option<ExecutionError> {
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

pub(super) fn follow_to_value(f: &FollowRecord) -> Value {
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

pub(super) fn follow_from_value(v: &Value) -> Option<FollowRecord> {
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

pub(super) fn series_to_value(s: &RunSeries) -> Value {
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

pub(super) fn sample_to_value(s: &Sample) -> Value {
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

pub(super) fn sample_from_value(v: &Value) -> Option<Sample> {
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

pub(super) fn source_str(s: RunSource) -> &'static str {
    match s {
        RunSource::Stream => "stream",
        RunSource::Polling => "polling",
        RunSource::History => "history",
        RunSource::Seed => "seed",
    }
}

pub(super) fn source_of(s: &str) -> Option<RunSource> {
    [
        RunSource::Stream,
        RunSource::Polling,
        RunSource::History,
        RunSource::Seed,
    ]
    .into_iter()
    .find(|k| source_str(*k) == s)
}

pub(super) fn node_status_of(s: &str) -> Option<NodeStatus> {
    use NodeStatus::*;
    [Pending, Running, Finished, Cached, Failed, Interrupted]
        .into_iter()
        .find(|k| k.as_str() == s)
}

pub(super) fn artifact_kind_of(s: &str) -> Option<ArtifactKind> {
    use ArtifactKind::*;
    [Image, Video, Audio, Text, Other]
        .into_iter()
        .find(|k| k.as_str() == s)
}
