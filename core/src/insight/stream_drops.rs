//! `stream-drops`: a server whose live stream often drops while a run is active (the runs'
//! `stream-lost` warning), so runs end up completed from `/api/history` with less detail.
//!
//! Sample: every run of the server. It fires with at least [`MIN_DROPS`] runs marked
//! stream-lost when a one-sided binomial test that their rate exceeds [`BASELINE_RATE`] (2 %)
//! gives p ≤ 0.05. Confidence uses that p and n = the server's runs.

use super::duration_shift::when;
use super::finding::{pct, Finding, Rule, Severity, Subject};
use super::server_rate;
use super::Ctx;

pub const MIN_DROPS: usize = 3;
pub const BASELINE_RATE: f64 = 0.02;

pub(super) fn find(ctx: &Ctx, out: &mut Vec<Finding>) {
    for rate in server_rate::flagged(ctx, MIN_DROPS, BASELINE_RATE, |f| f.stream_lost) {
        let message = format!(
            "The live stream from {} dropped during {} of {} runs ({}, the last on {}): check the network or proxy between this browser and the server (idle WebSocket timeouts) and the server's load. Those runs were completed from the server's history, with fewer details.",
            rate.name,
            rate.k(),
            rate.n,
            pct(rate.share()),
            when(rate.last_ms())
        );
        let evidence = rate.evidence(ctx, "dropped", &[]);
        out.push(Finding::new(
            Rule::StreamDrops,
            Severity::Warning,
            Subject::server(rate.name),
            message,
            evidence,
        ));
    }
}
