//! A finding: what a rule concluded, how sure it is, and what it rests on. Serialized as the
//! report's JSON and read by the panel (`recommendation` items of the UI contract).

use super::stats::confidence;
use crate::history::StoredRun;
use serde::Deserialize;
#[cfg(feature = "serde-reference")]
use serde::Serialize;

/// Stable rule ids (`data-rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    WorkflowSlower,
    WorkflowFaster,
    NodeDominates,
    FailureCluster,
    CacheMiss,
    QueueWaitExceedsRun,
    VramHeadroom,
    RunsLost,
    StreamDrops,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::WorkflowSlower => "workflow-slower",
            Rule::WorkflowFaster => "workflow-faster",
            Rule::NodeDominates => "node-dominates",
            Rule::FailureCluster => "failure-cluster",
            Rule::CacheMiss => "cache-miss",
            Rule::QueueWaitExceedsRun => "queue-wait-exceeds-run",
            Rule::VramHeadroom => "vram-headroom",
            Rule::RunsLost => "runs-lost",
            Rule::StreamDrops => "stream-drops",
        }
    }
}

/// Ordered: `Critical` > `Warning` > `Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Workflow,
    Server,
    /// One GPU (or the RAM of a CPU-only server) of one server.
    Device,
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct Subject {
    pub kind: SubjectKind,
    /// The workflow, server or device name.
    pub name: String,
    /// The server, for a device.
    #[serde(default)]
    pub server: Option<String>,
    /// What within it the finding names: the node type, the error class, the node.
    #[serde(default)]
    pub detail: Option<String>,
}

impl Subject {
    pub(crate) fn workflow(name: String) -> Subject {
        Subject::of(SubjectKind::Workflow, name)
    }

    pub(crate) fn server(name: String) -> Subject {
        Subject::of(SubjectKind::Server, name)
    }

    /// One device of `server`.
    pub(crate) fn device(name: String, server: String) -> Subject {
        Subject {
            server: Some(server),
            ..Subject::of(SubjectKind::Device, name)
        }
    }

    /// The same subject on one server (a workflow's cache misses are per server).
    pub(crate) fn on(mut self, server: String) -> Subject {
        self.server = Some(server);
        self
    }

    pub(crate) fn detail(mut self, detail: impl Into<String>) -> Subject {
        self.detail = Some(detail.into());
        self
    }

    fn of(kind: SubjectKind, name: String) -> Subject {
        Subject {
            kind,
            name,
            server: None,
            detail: None,
        }
    }
}

/// A run a finding rests on (linked as `/history/{prompt_id}`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct EvidenceRun {
    pub prompt_id: String,
    pub server: String,
    pub start_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A duration in milliseconds.
    Ms,
    /// A moment, epoch milliseconds.
    EpochMs,
    /// A fraction 0–1.
    Share,
    Count,
    Bytes,
    /// A multiplier (after / before).
    Ratio,
    /// A parameter's own value.
    Value,
}

/// One number of the evidence, machine-readable: a stable snake_case name, a value, a unit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: Unit,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct Evidence {
    /// Example runs, at most [`MAX_EVIDENCE_RUNS`], the most telling first.
    pub runs: Vec<EvidenceRun>,
    pub figures: Vec<Figure>,
    /// Runs (or failures) the test counted.
    pub sample: usize,
    /// The rule's one-sided p-value.
    pub p_value: f64,
}

pub const MAX_EVIDENCE_RUNS: usize = 8;

impl Evidence {
    /// What a rule's test rests on: its one-sided p-value over `sample`, the runs and numbers.
    pub(crate) fn of(
        p_value: f64,
        sample: usize,
        runs: Vec<EvidenceRun>,
        figures: Vec<Figure>,
    ) -> Evidence {
        Evidence {
            runs,
            figures,
            sample,
            p_value,
        }
    }

    pub fn figure(&self, name: &str) -> Option<f64> {
        self.figures
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// 0–1, see the module's doc comment.
    pub confidence: f64,
    pub subject: Subject,
    /// One or two plain-text sentences: what was found and what to do.
    pub message: String,
    pub evidence: Evidence,
}

impl Finding {
    /// How every rule states a finding: its confidence follows from the evidence's p-value and
    /// sample (see the module's doc comment), so no rule can claim more than its test gives.
    pub(crate) fn new(
        rule: Rule,
        severity: Severity,
        subject: Subject,
        message: String,
        evidence: Evidence,
    ) -> Finding {
        Finding {
            rule,
            severity,
            confidence: confidence(evidence.p_value, evidence.sample),
            subject,
            message,
            evidence,
        }
    }

    /// Whether the finding concerns this run: it is one of the evidence runs, or the finding is
    /// about the run's workflow, server or device (for the run page).
    pub fn concerns(&self, r: &StoredRun) -> bool {
        let listed = self
            .evidence
            .runs
            .iter()
            .any(|e| e.prompt_id == r.prompt_id && e.server == r.server);
        listed
            || match self.subject.kind {
                SubjectKind::Workflow => !r.workflow.is_empty() && self.subject.name == r.workflow,
                SubjectKind::Server => self.subject.name == r.server,
                SubjectKind::Device => {
                    self.subject.name == r.gpu
                        && self.subject.server.as_deref() == Some(r.server.as_str())
                }
            }
    }

    /// The evidence runs' prompt ids, comma-separated (`data-runs`).
    pub fn run_ids(&self) -> String {
        let ids: Vec<&str> = self
            .evidence
            .runs
            .iter()
            .map(|r| r.prompt_id.as_str())
            .collect();
        ids.join(",")
    }
}

/// Builds a finding's evidence numbers tersely.
pub(crate) fn fig(name: &str, value: f64, unit: Unit) -> Figure {
    Figure {
        name: name.to_owned(),
        value,
        unit,
    }
}

/// "42%" for a share.
pub(crate) fn pct(share: f64) -> String {
    format!("{}%", (share * 100.0).round() as i64)
}
