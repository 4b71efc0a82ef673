//! The report's JSON download, written field by field in the order the report's types declare
//! them: byte for byte what `serde_json::to_string_pretty` of their derived `Serialize` wrote
//! (the tests compare the two on every report they build), without serde's serializer in the
//! report page's wasm.

use super::finding::{Evidence, EvidenceRun, Figure, Finding, Subject, SubjectKind, Unit};
use super::report_data::{
    DayPoint, FailureSummary, MemorySummary, NodeSummary, Period, QueueWaitSummary, ReportData,
    ReportRun, Totals, WorkflowSummary,
};
use super::scope::InsightScope;
use crate::json::PrettyWriter;

/// The report as indented JSON.
pub(super) fn report_json(d: &ReportData) -> String {
    let mut w = PrettyWriter::new();
    w.open('{');
    w.f64_field("generated_at_ms", d.generated_at_ms);
    w.key("scope");
    scope(&mut w, &d.scope);
    w.key("period");
    period(&mut w, &d.period);
    w.key("totals");
    totals(&mut w, &d.totals);
    w.opt_f64_field("success_rate", d.success_rate);
    w.list("workflows", &d.workflows, workflow);
    w.list("slowest_nodes", &d.slowest_nodes, node);
    w.list("failures", &d.failures, failure);
    w.list("queue_wait", &d.queue_wait, queue_wait);
    w.list("memory", &d.memory, memory);
    w.list("findings", &d.findings, finding);
    w.list("runs", &d.runs, run);
    w.usize_field("runs_omitted", d.runs_omitted);
    w.close('}');
    w.finish()
}

fn scope(w: &mut PrettyWriter, s: &InsightScope) {
    w.open('{');
    w.opt_str_field("status", s.status.map(|s| s.as_str()));
    w.opt_str_field("exit_reason", s.exit_reason.as_deref());
    w.opt_f64_field("from_ms", s.from_ms);
    w.opt_f64_field("to_ms", s.to_ms);
    w.opt_str_field("gpu", s.gpu.as_deref());
    w.opt_str_field("server", s.server.as_deref());
    w.opt_str_field("workflow", s.workflow.as_deref());
    w.str_field("query", &s.query);
    w.close('}');
}

fn period(w: &mut PrettyWriter, p: &Period) {
    w.open('{');
    w.opt_f64_field("from_ms", p.from_ms);
    w.opt_f64_field("to_ms", p.to_ms);
    w.opt_f64_field("first_run_ms", p.first_run_ms);
    w.opt_f64_field("last_run_ms", p.last_run_ms);
    w.close('}');
}

fn totals(w: &mut PrettyWriter, t: &Totals) {
    w.open('{');
    w.usize_field("runs", t.runs);
    w.usize_field("succeeded", t.succeeded);
    w.usize_field("failed", t.failed);
    w.usize_field("interrupted", t.interrupted);
    w.usize_field("cancelled", t.cancelled);
    w.usize_field("lost", t.lost);
    w.usize_field("running", t.running);
    w.usize_field("queued", t.queued);
    w.f64_field("wall_time_ms", t.wall_time_ms);
    w.close('}');
}

fn workflow(w: &mut PrettyWriter, s: &WorkflowSummary) {
    w.open('{');
    w.str_field("workflow", &s.workflow);
    w.usize_field("runs", s.runs);
    w.usize_field("succeeded", s.succeeded);
    w.opt_f64_field("success_rate", s.success_rate);
    w.opt_f64_field("p50_ms", s.p50_ms);
    w.opt_f64_field("p95_ms", s.p95_ms);
    w.list("trend", &s.trend, day);
    w.close('}');
}

fn day(w: &mut PrettyWriter, d: &DayPoint) {
    w.open('{');
    w.f64_field("day_ms", d.day_ms);
    w.usize_field("runs", d.runs);
    w.f64_field("p50_ms", d.p50_ms);
    w.close('}');
}

fn node(w: &mut PrettyWriter, n: &NodeSummary) {
    w.open('{');
    w.str_field("node_type", &n.node_type);
    w.usize_field("executions", n.executions);
    w.usize_field("cached", n.cached);
    w.f64_field("total_ms", n.total_ms);
    w.opt_f64_field("p50_ms", n.p50_ms);
    w.opt_f64_field("p95_ms", n.p95_ms);
    w.close('}');
}

fn failure(w: &mut PrettyWriter, f: &FailureSummary) {
    w.open('{');
    w.str_field("class", f.class.as_str());
    w.str_field("label", &f.label);
    w.usize_field("count", f.count);
    w.f64_field("share", f.share);
    w.list("workflows", &f.workflows, |w, s| w.str(s));
    w.str_field("example", &f.example);
    w.list("runs", &f.runs, evidence_run);
    w.close('}');
}

fn queue_wait(w: &mut PrettyWriter, q: &QueueWaitSummary) {
    w.open('{');
    w.str_field("server", &q.server);
    w.usize_field("runs", q.runs);
    w.opt_f64_field("p50_ms", q.p50_ms);
    w.opt_f64_field("p95_ms", q.p95_ms);
    w.f64_field("max_ms", q.max_ms);
    w.f64_field("total_ms", q.total_ms);
    w.close('}');
}

fn memory(w: &mut PrettyWriter, m: &MemorySummary) {
    w.open('{');
    w.str_field("server", &m.server);
    w.str_field("device", &m.device);
    w.str_field("kind", m.kind.as_str());
    w.usize_field("runs", m.runs);
    w.f64_field("total_bytes", m.total_bytes);
    w.opt_f64_field("peak_p50_bytes", m.peak_p50_bytes);
    w.opt_f64_field("peak_p95_bytes", m.peak_p95_bytes);
    w.f64_field("peak_max_bytes", m.peak_max_bytes);
    w.close('}');
}

fn run(w: &mut PrettyWriter, r: &ReportRun) {
    w.open('{');
    w.str_field("prompt_id", &r.prompt_id);
    w.str_field("server", &r.server);
    w.str_field("workflow", &r.workflow);
    w.str_field("status", r.status.as_str());
    w.f64_field("start_ms", r.start_ms);
    w.opt_f64_field("duration_ms", r.duration_ms);
    w.opt_f64_field("queue_wait_ms", r.queue_wait_ms);
    w.opt_str_field("error_class", r.error_class.map(|c| c.as_str()));
    w.opt_f64_field("peak_bytes", r.peak_bytes);
    w.close('}');
}

fn finding(w: &mut PrettyWriter, f: &Finding) {
    w.open('{');
    w.str_field("rule", f.rule.as_str());
    w.str_field("severity", f.severity.as_str());
    w.f64_field("confidence", f.confidence);
    w.key("subject");
    subject(w, &f.subject);
    w.str_field("message", &f.message);
    w.key("evidence");
    evidence(w, &f.evidence);
    w.close('}');
}

fn subject(w: &mut PrettyWriter, s: &Subject) {
    w.open('{');
    let kind = match s.kind {
        SubjectKind::Workflow => "workflow",
        SubjectKind::Server => "server",
        SubjectKind::Device => "device",
    };
    w.str_field("kind", kind);
    w.str_field("name", &s.name);
    w.opt_str_field("server", s.server.as_deref());
    w.opt_str_field("detail", s.detail.as_deref());
    w.close('}');
}

fn evidence(w: &mut PrettyWriter, e: &Evidence) {
    w.open('{');
    w.list("runs", &e.runs, evidence_run);
    w.list("figures", &e.figures, figure);
    w.usize_field("sample", e.sample);
    w.f64_field("p_value", e.p_value);
    w.close('}');
}

fn evidence_run(w: &mut PrettyWriter, r: &EvidenceRun) {
    w.open('{');
    w.str_field("prompt_id", &r.prompt_id);
    w.str_field("server", &r.server);
    w.f64_field("start_ms", r.start_ms);
    w.close('}');
}

fn figure(w: &mut PrettyWriter, f: &Figure) {
    w.open('{');
    w.str_field("name", &f.name);
    w.f64_field("value", f.value);
    let unit = match f.unit {
        Unit::Ms => "ms",
        Unit::EpochMs => "epoch_ms",
        Unit::Share => "share",
        Unit::Count => "count",
        Unit::Bytes => "bytes",
        Unit::Ratio => "ratio",
        Unit::Value => "value",
    };
    w.str_field("unit", unit);
    w.close('}');
}
