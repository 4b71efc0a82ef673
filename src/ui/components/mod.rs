//! Components shared by the live tab and a past run's page. Each takes the run as a signal, so
//! the same card shows a live run or a stored one.

mod artifact_viewer;
mod fallback_warnings_card;
mod gpu_status;
mod line_chart;
mod local_time;
mod node_timeline;
mod queue_policy_card;
mod rows;
mod run_chart;
mod run_error;
mod show;
mod telemetry_badges;
mod text_row;

pub use artifact_viewer::ArtifactViewer;
pub use fallback_warnings_card::FallbackWarningsCard;
pub use gpu_status::{GpuDevices, GpuStatus};
pub use line_chart::LineChart;
pub use local_time::LocalTime;
pub use node_timeline::NodeTimeline;
pub use queue_policy_card::QueuePolicyCard;
pub use rows::Rows;
pub use run_chart::RunChart;
pub use run_error::RunError;
pub use show::Show;
pub use telemetry_badges::TelemetryBadges;
pub use text_row::{text_row, LastCell};
