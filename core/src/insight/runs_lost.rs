//! `runs-lost`: runs on a server that never got an end: lost with the server (`unknown`), or
//! still "running" or "queued" long after anything was heard of them.
//!
//! Sample: every run of the server. A run counts as lost when its status is `unknown`, or it is
//! `running`/`queued` and nothing was heard of it for [`STALE_MS`]. It fires with at least
//! [`MIN_LOST`] lost runs when a one-sided binomial test that the lost rate exceeds
//! [`BASELINE_RATE`] (1 %) gives p ≤ 0.05. Confidence uses that p and n = the server's runs.
//! Critical when a fifth of the runs are lost.

use super::duration_shift::when;
use super::facts::RunFact;
use super::finding::{fig, pct, Finding, Rule, Severity, Subject, Unit};
use super::server_rate;
use super::Ctx;
use crate::run::RunStatus;

pub const STALE_MS: f64 = 6.0 * 3_600_000.0;
pub const MIN_LOST: usize = 2;
pub const BASELINE_RATE: f64 = 0.01;

/// Lost, or left unfinished for longer than [`STALE_MS`] before `now_ms`.
pub fn is_lost(f: &RunFact, now_ms: f64) -> bool {
    match f.status {
        RunStatus::Unknown => true,
        RunStatus::Running | RunStatus::Queued => now_ms - f.last_ms > STALE_MS,
        _ => false,
    }
}

pub(super) fn find(ctx: &Ctx, out: &mut Vec<Finding>) {
    for rate in server_rate::flagged(ctx, MIN_LOST, BASELINE_RATE, |f| is_lost(f, ctx.now_ms)) {
        let (k, n, share) = (rate.k(), rate.n, rate.share());
        let stale = rate
            .flagged
            .iter()
            .filter(|f| f.status != RunStatus::Unknown)
            .count();
        let message = format!(
            "{k} of {n} runs on {} ({}) have no end: they went away with the server or never finished (the last started {}). Look in the server's log around those times for crashes, restarts or processes killed for memory.",
            rate.name,
            pct(share),
            when(rate.last_ms())
        );
        let evidence = rate.evidence(
            ctx,
            "lost",
            &[fig("never_finished", stale as f64, Unit::Count)],
        );
        let severity = if share >= 0.2 {
            Severity::Critical
        } else {
            Severity::Warning
        };
        out.push(Finding::new(
            Rule::RunsLost,
            severity,
            Subject::server(rate.name),
            message,
            evidence,
        ));
    }
}
