//! Which index a query walks and over which key range. Kept apart from the IndexedDB calls so
//! the choice reads as the reasoning it is:
//!
//! - Every walkable index key is `[lead, start_ms, key]` (or `[start_ms, key]`), so walking it
//!   forwards is `HistoryQuery::compare` ascending and backwards is descending.
//! - An equality filter on an indexed field becomes a key prefix, and a date range becomes
//!   bounds on the `start_ms` part after it: one index then narrows by both.
//! - Whatever the range does not express is left to `HistoryQuery::matches`.

use super::idb::Direction;
use telemetry_core::history::{HistoryQuery, SortKey, StoredRun};
use wasm_bindgen::JsValue;

/// One component of an index key.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Num(f64),
    Text(String),
}

impl Part {
    fn to_js(&self) -> JsValue {
        match self {
            Part::Num(n) => JsValue::from_f64(*n),
            Part::Text(s) => JsValue::from_str(s),
        }
    }
}

/// Where the last run shown sits in the list: enough to rebuild its key in any of our indexes.
#[derive(Clone, Debug, PartialEq)]
pub struct PageCursor {
    pub(crate) sort: Part,
    pub(crate) start_ms: f64,
    pub(crate) key: String,
}

impl PageCursor {
    pub(crate) fn of(query: &HistoryQuery, run: &StoredRun) -> PageCursor {
        PageCursor {
            sort: sort_value(query.sort, run),
            start_ms: run.start_ms,
            key: run.key.clone(),
        }
    }

    /// Whether `run` comes strictly after this cursor in the query's order; the same order as
    /// `HistoryQuery::compare`, rebuilt from the three values a cursor keeps.
    pub(crate) fn is_before(&self, query: &HistoryQuery, run: &StoredRun) -> bool {
        let ord = match (&self.sort, sort_value(query.sort, run)) {
            (Part::Num(a), Part::Num(b)) => a.total_cmp(&b),
            (Part::Text(a), Part::Text(b)) => a.as_str().cmp(b.as_str()),
            (Part::Num(_), Part::Text(_)) => std::cmp::Ordering::Less,
            (Part::Text(_), Part::Num(_)) => std::cmp::Ordering::Greater,
        }
        .then_with(|| self.start_ms.total_cmp(&run.start_ms))
        .then_with(|| self.key.as_str().cmp(run.key.as_str()));
        if query.ascending {
            ord.is_lt()
        } else {
            ord.is_gt()
        }
    }
}

fn sort_value(sort: SortKey, run: &StoredRun) -> Part {
    match sort {
        SortKey::StartTime => Part::Num(run.start_ms),
        SortKey::Duration => Part::Num(run.duration_ms),
        SortKey::Status => Part::Text(run.status.clone()),
    }
}

/// What comes before `start_ms, key` in the walked index's key.
#[derive(Debug, Clone, PartialEq)]
pub enum Lead {
    /// The `start_ms` index: nothing.
    None,
    /// An equality filter's value, the same for every entry in the range.
    Fixed(Part),
    /// The sort value (duration or status) of each run.
    SortValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub index: &'static str,
    pub lead: Lead,
    /// Inclusive / exclusive bounds on the `start_ms` part; only with `Lead::None`/`Fixed`.
    pub from_ms: Option<f64>,
    pub to_ms: Option<f64>,
    /// The range alone selects exactly what `matches` accepts.
    pub exact: bool,
}

impl Range {
    /// Reads fewer entries than the whole index.
    pub fn is_narrow(&self) -> bool {
        matches!(self.lead, Lead::Fixed(_)) || self.from_ms.is_some() || self.to_ms.is_some()
    }

    fn prefix(&self) -> Vec<JsValue> {
        match &self.lead {
            Lead::Fixed(v) => vec![v.to_js()],
            _ => Vec::new(),
        }
    }

    /// The index key of the run a cursor points at.
    pub fn key_of(&self, cursor: &PageCursor) -> JsValue {
        let mut parts = match &self.lead {
            Lead::None => Vec::new(),
            Lead::Fixed(v) => vec![v.to_js()],
            Lead::SortValue => vec![cursor.sort.to_js()],
        };
        parts.push(JsValue::from_f64(cursor.start_ms));
        parts.push(JsValue::from_str(&cursor.key));
        array(parts)
    }

    /// Lower bound (value, open) of the range.
    pub fn lower(&self) -> Option<(JsValue, bool)> {
        let mut parts = self.prefix();
        match self.from_ms {
            Some(f) => parts.push(JsValue::from_f64(f)),
            None if parts.is_empty() => return None,
            None => {}
        }
        Some((array(parts), false))
    }

    /// Upper bound (value, open) of the range. `[v, []]` sorts after every `[v, number, …]`
    /// because arrays sort after numbers.
    pub fn upper(&self) -> Option<(JsValue, bool)> {
        let mut parts = self.prefix();
        match self.to_ms {
            Some(t) => {
                parts.push(JsValue::from_f64(t));
                Some((array(parts), true))
            }
            None if parts.is_empty() => None,
            None => {
                parts.push(js_sys::Array::new().into());
                Some((array(parts), false))
            }
        }
    }
}

fn array(parts: Vec<JsValue>) -> JsValue {
    parts.into_iter().collect::<js_sys::Array>().into()
}

/// The narrowest start-ordered range the filters allow. The equality index is picked by how
/// selective the field usually is (workflows are many, statuses few), not by counting: counting
/// costs an index pass per candidate on every call.
pub fn filter_range(q: &HistoryQuery) -> Range {
    let fixed: [(&'static str, Option<String>); 4] = [
        ("workflow", q.workflow.clone()),
        ("exit_reason", q.exit_reason.clone()),
        ("server", q.server.clone()),
        ("status", q.status.map(|s| s.as_str().to_owned())),
    ];
    let chosen = fixed
        .iter()
        .find_map(|(i, v)| v.as_ref().map(|v| (*i, v.clone())));
    let (index, lead) = match chosen {
        Some((i, v)) => (i, Lead::Fixed(Part::Text(v))),
        None => ("start_ms", Lead::None),
    };
    let unresolved_fixed = fixed
        .iter()
        .filter(|(i, v)| v.is_some() && *i != index)
        .count();
    Range {
        index,
        lead,
        from_ms: q.from_ms,
        to_ms: q.to_ms,
        exact: unresolved_fixed == 0 && q.gpu.is_none() && q.text.is_none(),
    }
}

/// The direction to walk a `sort_range` in: the query's order.
pub fn direction(query: &HistoryQuery) -> Direction {
    if query.ascending {
        Direction::Next
    } else {
        Direction::Prev
    }
}

/// The range to walk to get runs in the query's order.
pub fn sort_range(q: &HistoryQuery) -> Range {
    match q.sort {
        SortKey::StartTime => filter_range(q),
        SortKey::Duration => Range {
            index: "duration_ms",
            lead: Lead::SortValue,
            from_ms: None,
            to_ms: None,
            exact: q.is_empty(),
        },
        SortKey::Status => match q.status {
            // One status: its entries are already in start order, which is the tie-break.
            Some(s) => Range {
                index: "status",
                lead: Lead::Fixed(Part::Text(s.as_str().to_owned())),
                from_ms: q.from_ms,
                to_ms: q.to_ms,
                exact: HistoryQuery {
                    status: None,
                    from_ms: None,
                    to_ms: None,
                    ..q.clone()
                }
                .is_empty(),
            },
            None => Range {
                index: "status",
                lead: Lead::SortValue,
                from_ms: None,
                to_ms: None,
                exact: q.is_empty(),
            },
        },
    }
}
