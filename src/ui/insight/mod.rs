//! Recommendations in the page: the panel on the history tab and the findings on a run's page.
//! Findings come from the insight aggregates the store keeps as runs are written
//! (`RunStore::with_insight`); the rules themselves are in `telemetry_core::insight`.

mod finding_item;
mod panel;
mod run_findings;
mod style;

pub use finding_item::finding_item;
pub use panel::InsightPanel;
pub use run_findings::RunFindings;
pub use style::InsightStyle;
