//! What the rules need of a run, and nothing else: a few hundred bytes instead of the stored
//! record's kilobytes, with repeated names (servers, workflows, node types, node ids) interned
//! once. The aggregates keep one of these per run as runs are written, so the panel's findings
//! never re-read the store.

use super::error_class::{classify, ErrorClass};
use crate::history::series::MemoryKind;
use crate::history::StoredRun;
use crate::run::{NodeStatus, RunStatus};
use crate::str_map::StrSet;

/// An interned name: an index into [`Names`].
pub type Sym = u32;

/// Every distinct name seen, once, numbered in the order first seen (a set never removed from,
/// so a name's position is its symbol). A snapshot keeps the plain list; the lookup is rebuilt.
#[derive(Debug, Clone, Default)]
pub struct Names {
    names: StrSet,
}

impl PartialEq for Names {
    /// The same names with the same symbols.
    fn eq(&self, other: &Names) -> bool {
        self.names.as_slice() == other.names.as_slice()
    }
}

impl From<Vec<String>> for Names {
    /// A snapshot's list. A name listed twice (never written so) is kept once, so the names
    /// after it would be numbered one lower: `from_snapshot` refuses such a list.
    fn from(names: Vec<String>) -> Names {
        Names {
            names: names.into_iter().collect(),
        }
    }
}

impl From<Names> for Vec<String> {
    fn from(n: Names) -> Vec<String> {
        n.names.into_vec()
    }
}

impl Names {
    pub fn intern(&mut self, name: &str) -> Sym {
        self.names.position_or_insert(name) as Sym
    }

    pub fn get(&self, s: Sym) -> &str {
        self.names.at(s as usize).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn lookup(&self, name: &str) -> Option<Sym> {
        self.names.position(name).map(|s| s as Sym)
    }
}

/// Facts that are not in the stored record yet but may be supplied by the caller: the run's
/// parameters (from the server run log, when it exists) and a hash of its prompt graph. The
/// defaults know nothing, and every rule works without them.
pub trait RunExtras {
    /// Numeric parameters of the run (`batch_size`, `width`, `steps`, ...), for failure ranges.
    fn params(&self, _run: &StoredRun) -> Vec<(String, f64)> {
        Vec::new()
    }
    /// A hash of the prompt's nodes and inputs: equal hashes mean unchanged inputs.
    fn graph_hash(&self, _run: &StoredRun) -> Option<u64> {
        None
    }
}

/// The caller knows no parameters and no graph hashes.
pub struct NoExtras;
impl RunExtras for NoExtras {}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeFact {
    /// The prompt's node id (interned).
    pub id: Sym,
    /// Its class type (interned; the empty name when unknown).
    pub class: Sym,
    /// Time it ran, ms; `None` when cached or not measured.
    pub ms: Option<f32>,
    pub cached: bool,
    /// Ran to completion (finished, not cached).
    pub executed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryFact {
    /// Largest device memory in use during the run, bytes.
    pub peak: f64,
    /// Device size, bytes.
    pub total: f64,
    pub kind: MemoryKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorFact {
    pub class: ErrorClass,
    /// Node type that raised (interned; empty when unknown).
    pub node_type: Sym,
    /// Exception type and message, at most 200 characters.
    pub text: Box<str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunFact {
    pub prompt_id: Box<str>,
    pub server: Sym,
    pub workflow: Sym,
    pub gpu: Sym,
    pub exit_reason: Sym,
    pub start_ms: f64,
    /// The last time anything about the run was heard (epoch ms).
    pub last_ms: f64,
    pub status: RunStatus,
    /// Wall time of an ended run, ms.
    pub duration_ms: Option<f64>,
    pub queue_wait_ms: Option<f64>,
    pub memory: Option<MemoryFact>,
    pub stream_lost: bool,
    pub error: Option<ErrorFact>,
    pub nodes: Box<[NodeFact]>,
    pub params: Box<[(Sym, f64)]>,
    pub graph_hash: Option<u64>,
    /// Every node was cached: a re-run that did no work.
    pub fully_cached: bool,
}

const MAX_ERROR_TEXT: usize = 200;

/// A memory reading worth comparing: a peak of zero or more on a device of some size.
fn finite_size(peak: f64, total: f64) -> bool {
    peak.is_finite() && total.is_finite() && peak >= 0.0 && total > 0.0
}

fn node_ms(n: &crate::run::NodeRecord) -> Option<f32> {
    if n.status != NodeStatus::Finished {
        return None;
    }
    let ms = n.server_seconds.map(|s| s * 1000.0).or_else(|| {
        n.started_ms
            .zip(n.finished_ms)
            .map(|(s, f)| (f - s).max(0.0))
    })?;
    ms.is_finite().then_some(ms as f32)
}

impl RunFact {
    pub fn of(r: &StoredRun, extras: &dyn RunExtras, names: &mut Names) -> RunFact {
        let run = &r.run;
        let status = RunStatus::parse(&r.status).unwrap_or(run.status);
        let memory = match (run.vram_peak_used, run.vram_total) {
            (Some(peak), Some(total)) if finite_size(peak, total) => Some(MemoryFact {
                peak,
                total,
                kind: if run.cpu_only {
                    MemoryKind::Ram
                } else {
                    MemoryKind::Vram
                },
            }),
            _ => r.series.as_ref().and_then(|s| {
                let (peak, total) = (s.peak_mb?, s.mem_total_mb?);
                finite_size(peak, total).then_some(MemoryFact {
                    peak: peak * crate::format::MIB,
                    total: total * crate::format::MIB,
                    kind: s.memory,
                })
            }),
        };
        let error = run.error.as_ref().map(|e| {
            let text = [e.exception_type.as_deref(), e.exception_message.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            ErrorFact {
                class: classify(e),
                node_type: names.intern(e.node_type.as_deref().unwrap_or("")),
                text: text.chars().take(MAX_ERROR_TEXT).collect::<String>().into(),
            }
        });
        let nodes = run
            .nodes
            .iter()
            .map(|n| NodeFact {
                id: names.intern(&n.id),
                class: names.intern(n.class_type.as_deref().unwrap_or("")),
                ms: node_ms(n),
                cached: n.status == NodeStatus::Cached,
                executed: n.status == NodeStatus::Finished,
            })
            .collect();
        let params = extras
            .params(r)
            .into_iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, v)| (names.intern(&k), v))
            .collect();
        RunFact {
            prompt_id: r.prompt_id.as_str().into(),
            server: names.intern(&r.server),
            workflow: names.intern(&r.workflow),
            gpu: names.intern(&r.gpu),
            exit_reason: names.intern(&r.exit_reason),
            start_ms: r.start_ms,
            last_ms: run.last_update_ms.max(run.ended_at_ms.unwrap_or(0.0)),
            status,
            duration_ms: (status.is_terminal()
                && r.duration_ms >= 0.0
                && r.duration_ms.is_finite())
            .then_some(r.duration_ms),
            queue_wait_ms: run.queue_wait_ms().filter(|w| w.is_finite() && *w >= 0.0),
            memory,
            stream_lost: run.stream_lost,
            error,
            nodes,
            params,
            graph_hash: extras.graph_hash(r),
            fully_cached: !run.nodes.is_empty()
                && run.nodes.iter().all(|n| n.status == NodeStatus::Cached),
        }
    }

    /// Succeeded with a known wall time, and at least one node actually ran (a fully cached
    /// re-run says nothing about how long the work takes).
    pub fn timed_success(&self) -> Option<f64> {
        (self.status == RunStatus::Succeeded && !self.fully_cached)
            .then_some(self.duration_ms)
            .flatten()
    }

    pub fn param(&self, name: Sym) -> Option<f64> {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }
}
