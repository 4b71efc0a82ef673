//! Which runs a finding or the report covers: the history filter less its free text.

use super::facts::{Names, RunFact};
use crate::history::HistoryQuery;
use crate::run::RunStatus;
use serde::Deserialize;
#[cfg(feature = "serde-reference")]
use serde::Serialize;

/// The part of a history filter the aggregates can answer: everything but free text (a fact
/// does not keep the search text; for a text filter, evaluate the filtered runs with
/// [`super::recommend`] instead).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "serde-reference", derive(Serialize))]
pub struct InsightScope {
    pub status: Option<RunStatus>,
    pub exit_reason: Option<String>,
    pub from_ms: Option<f64>,
    pub to_ms: Option<f64>,
    pub gpu: Option<String>,
    pub server: Option<String>,
    pub workflow: Option<String>,
    /// The history query string it came from, for the report's links.
    #[serde(default)]
    pub query: String,
}

impl InsightScope {
    /// `None` when the query filters on free text, which facts cannot answer.
    pub fn from_query(q: &HistoryQuery) -> Option<InsightScope> {
        if q.text.is_some() {
            return None;
        }
        Some(InsightScope {
            status: q.status,
            exit_reason: q.exit_reason.clone(),
            from_ms: q.from_ms,
            to_ms: q.to_ms,
            gpu: q.gpu.clone(),
            server: q.server.clone(),
            workflow: q.workflow.clone(),
            query: q.to_query_string(),
        })
    }

    /// The same rules as [`HistoryQuery::matches`], on a fact.
    pub fn matches(&self, f: &RunFact, names: &Names) -> bool {
        self.status.is_none_or(|s| f.status == s)
            && self
                .exit_reason
                .as_ref()
                .is_none_or(|e| names.get(f.exit_reason) == e)
            && self.from_ms.is_none_or(|t| f.start_ms >= t)
            && self.to_ms.is_none_or(|t| f.start_ms < t)
            && self
                .gpu
                .as_ref()
                .is_none_or(|g| names.get(f.gpu).eq_ignore_ascii_case(g))
            && self
                .server
                .as_ref()
                .is_none_or(|s| names.get(f.server) == s)
            && self
                .workflow
                .as_ref()
                .is_none_or(|w| names.get(f.workflow) == w)
    }
}
