//! The report's period selector: its presets (every stored run, the last 7, 30 or 90 days) as
//! history filter bounds, and which of them a filter is. A report opened with other bounds (from
//! the history tab's date filters, or a preset chosen on an earlier day) is a custom range, and
//! the selector says so instead of showing a preset the report is not about.
//!
//! Days are UTC days, as in the history filter's dates (`format_date`, `parse_date`).

use crate::history::query::format_date;
use crate::history::HistoryQuery;

const DAY_MS: f64 = 86_400_000.0;

/// One choice of the selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPeriod {
    /// No bounds.
    All,
    /// From midnight `days - 1` days before today's, with no end: today counts as one day.
    LastDays(u32),
    /// Any other bounds.
    Custom,
}

impl ReportPeriod {
    /// The presets, in the selector's order.
    pub const PRESETS: [ReportPeriod; 4] = [
        ReportPeriod::All,
        ReportPeriod::LastDays(7),
        ReportPeriod::LastDays(30),
        ReportPeriod::LastDays(90),
    ];

    /// Which choice the filter's bounds are at `now_ms`.
    pub fn of(q: &HistoryQuery, now_ms: f64) -> ReportPeriod {
        match (q.from_ms, q.to_ms) {
            (None, None) => ReportPeriod::All,
            (Some(from), None) => Self::PRESETS
                .into_iter()
                .find(|p| p.from_ms(now_ms) == Some(from))
                .unwrap_or(ReportPeriod::Custom),
            _ => ReportPeriod::Custom,
        }
    }

    /// The lower bound this choice sets (`None` for all runs, and for custom, which sets none).
    pub fn from_ms(self, now_ms: f64) -> Option<f64> {
        match self {
            ReportPeriod::LastDays(days) if days > 0 => {
                Some((now_ms / DAY_MS).floor() * DAY_MS - f64::from(days - 1) * DAY_MS)
            }
            _ => None,
        }
    }

    /// Sets the filter's bounds to this choice; a custom choice leaves them as they are.
    pub fn apply(self, q: &mut HistoryQuery, now_ms: f64) {
        if self != ReportPeriod::Custom {
            q.from_ms = self.from_ms(now_ms);
            q.to_ms = None;
        }
    }

    /// The `<option>` value: `0` for all runs, the number of days, or `custom`.
    pub fn value(self) -> String {
        match self {
            ReportPeriod::All => "0".to_owned(),
            ReportPeriod::LastDays(days) => days.to_string(),
            ReportPeriod::Custom => "custom".to_owned(),
        }
    }

    /// The choice of an `<option>` value; anything else is custom.
    pub fn parse(value: &str) -> ReportPeriod {
        match value.parse::<u32>() {
            Ok(0) => ReportPeriod::All,
            Ok(days) => ReportPeriod::LastDays(days),
            Err(_) => ReportPeriod::Custom,
        }
    }

    /// What the selector shows for this choice; a custom one names the filter's dates (its
    /// `to` is exclusive, so the last day shown is the one before it, as in the history filter).
    pub fn label(self, q: &HistoryQuery) -> String {
        match self {
            ReportPeriod::All => "All stored runs".to_owned(),
            ReportPeriod::LastDays(days) => format!("Last {days} days"),
            ReportPeriod::Custom => {
                let from = q.from_ms.map(format_date);
                let to = q.to_ms.map(|t| format_date(t - DAY_MS));
                match (from, to) {
                    (Some(f), Some(t)) => format!("Custom: {f} to {t}"),
                    (Some(f), None) => format!("Custom: from {f}"),
                    (None, Some(t)) => format!("Custom: until {t}"),
                    (None, None) => "Custom".to_owned(),
                }
            }
        }
    }
}
