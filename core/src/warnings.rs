//! Fallback warnings: every degraded path behind the numbers on screen, with a stable code,
//! a severity and what it means for those numbers.
//!
//! The React card guessed from substrings of the exit reason, so every *successful* run showed
//! "Unknown Exit". Here a clean run has no warnings, and each rule reads a fact the dashboard
//! recorded.

use crate::connection::EndpointKind;
use crate::follow::ExitReason;
use crate::run::{Run, RunSource, RunStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub code: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub detail: String,
}

/// Facts about the session that bear on a run's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WarningContext {
    pub endpoint: Option<EndpointKind>,
    pub telemetry_missing: bool,
    pub system_stats_failed: bool,
    pub malformed_frames: u64,
    pub dropped_messages: u64,
}

/// The session-wide warning when the server refused the page: shown even with no run.
pub fn refusal_warning(refusal: &crate::connection::Refusal) -> Warning {
    Warning {
        code: "telemetry-refused",
        severity: Severity::Error,
        title: "Refused by the server",
        detail: match &refusal.setting {
            Some(setting) => format!(
                "{} (reason: {}; setting: {setting})",
                refusal.message, refusal.reason
            ),
            None => format!("{} (reason: {})", refusal.message, refusal.reason),
        },
    }
}

/// Warnings for one run, most severe first.
pub fn warnings_for(run: &Run, ctx: &WarningContext) -> Vec<Warning> {
    let mut w = Vec::new();
    let mut add = |code, severity, title, detail: String| {
        w.push(Warning {
            code,
            severity,
            title,
            detail,
        })
    };
    if ctx.telemetry_missing || ctx.endpoint == Some(EndpointKind::Ws) {
        add(
            "telemetry-endpoint-missing",
            Severity::Warning,
            "Telemetry endpoint missing",
            "Connected through ComfyUI's /ws because /telemetry is not installed: runs queued by other clients send no node or step progress, only queue counts.".into(),
        );
    }
    if run.source == RunSource::Polling
        || (run.source == RunSource::History && run.follow.is_some())
    {
        add(
            "events-not-streamed",
            Severity::Warning,
            "Events not streamed",
            "This run was queued by another client, so its execution events did not reach the dashboard. It was followed by polling the queue and history: node timings and step progress are missing.".into(),
        );
    }
    if run.reconstructed {
        add(
            "reconstructed-from-history",
            Severity::Info,
            "Reconstructed from history",
            "Status, outputs and timestamps were read from ComfyUI's /history after the run ended rather than watched live.".into(),
        );
    }
    if run.status == RunStatus::Lost {
        add(
            "run-lost",
            Severity::Error,
            "Lost with its server",
            format!(
                "This run was open when its server went away, and the server that came back knows neither it in its queue nor in its history ({}). It did not finish as far as anyone can tell.",
                run.lost_reason.as_deref().unwrap_or("no reason given")
            ),
        );
    }
    if run.stream_lost {
        add(
            "stream-lost",
            Severity::Warning,
            "Stream lost during the run",
            "The connection dropped while this run was active; messages sent meanwhile were lost (ComfyUI does not replay them), so progress may have gaps.".into(),
        );
    }
    if ctx.system_stats_failed {
        add(
            "system-stats-unavailable",
            Severity::Warning,
            "System stats unavailable",
            "/system_stats did not answer, so VRAM before, after and delta are missing or stale."
                .into(),
        );
    }
    if let Some(f) = &run.follow {
        let p = &f.policy;
        match f.exit {
            Some(ExitReason::MaxWait) => add(
                "max-wait-exceeded",
                Severity::Error,
                "Max wait exceeded",
                format!("Gave up after {} s without a history entry; the run's outcome is unknown.", p.max_wait_s),
            ),
            Some(ExitReason::AttemptLimit) => add(
                "attempt-limit-reached",
                Severity::Error,
                "Attempt limit reached",
                format!("{} history polls found no entry; the run's outcome is unknown.", f.attempts),
            ),
            Some(ExitReason::PostExecution) => add(
                "post-execution-timeout",
                Severity::Warning,
                "Post-execution timeout",
                format!("Execution finished but its history entry and outputs had not appeared after {} s; outputs may be missing.", p.post_execution_timeout_s),
            ),
            Some(ExitReason::Unknown) => add(
                "history-unavailable",
                Severity::Error,
                "History requests failed",
                format!("/history failed {} time(s), beyond the retry budget of {}.", f.retries + 1, p.retry_budget),
            ),
            _ => {}
        }
    }
    for note in run.notes.iter().filter(|n| !n.trim().is_empty()) {
        add(
            "producer-note",
            Severity::Info,
            "Note from the producer",
            note.trim().to_owned(),
        );
    }
    if ctx.malformed_frames > 0 {
        add(
            "malformed-frames",
            Severity::Warning,
            "Malformed frames received",
            format!("{} frame(s) could not be decoded and were skipped; any figure they carried is missing.", ctx.malformed_frames),
        );
    }
    if ctx.dropped_messages > 0 {
        add(
            "messages-dropped",
            Severity::Warning,
            "Messages dropped by the server",
            format!(
                "The extension dropped {} message(s) because this page read too slowly.",
                ctx.dropped_messages
            ),
        );
    }
    crate::sort::sort_by_key(&mut w, |w| w.severity);
    w
}
