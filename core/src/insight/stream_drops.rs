//! `stream-drops`: a server whose live stream often drops while a run is active (the runs'
//! `stream-lost` warning), so runs end up completed from `/api/history` with less detail.
//!
//! Sample: every run of the server. It fires with at least [`MIN_DROPS`] runs marked
//! stream-lost when a one-sided binomial test that their rate exceeds [`BASELINE_RATE`] (2 %)
//! gives p ≤ 0.05. Confidence uses that p and n = the server's runs.

use super::duration_shift::when;
use super::facts::RunFact;
use super::finding::MAX_EVIDENCE_RUNS;
use super::finding::{fig, pct, Evidence, Finding, Rule, Severity, Subject, SubjectKind, Unit};
use super::stats::{confidence, proportion_above_p, significant};
use super::Ctx;

pub const MIN_DROPS: usize = 3;
pub const BASELINE_RATE: f64 = 0.02;

pub(super) fn find(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (server, runs) in &ctx.servers {
        let server = *server;
        let n = runs.len();
        let dropped: Vec<&RunFact> = runs.iter().copied().filter(|f| f.stream_lost).collect();
        let k = dropped.len();
        if k < MIN_DROPS {
            continue;
        }
        let p = proportion_above_p(k, n, BASELINE_RATE);
        if !significant(p) {
            continue;
        }
        let share = k as f64 / n as f64;
        let name = ctx.name(server).to_owned();
        let last = dropped[k - 1].start_ms;
        out.push(Finding {
            rule: Rule::StreamDrops,
            severity: Severity::Warning,
            confidence: confidence(p, n),
            message: format!(
                "The live stream from {name} dropped during {k} of {n} runs ({}, the last on {}): check the network or proxy between this browser and the server (idle WebSocket timeouts) and the server's load. Those runs were completed from the server's history, with fewer details.",
                pct(share),
                when(last)
            ),
            subject: Subject {
                kind: SubjectKind::Server,
                name,
                server: None,
                detail: None,
            },
            evidence: Evidence {
                runs: dropped
                    .iter()
                    .rev()
                    .take(MAX_EVIDENCE_RUNS)
                    .map(|f| ctx.run(f))
                    .collect(),
                figures: vec![
                    fig("dropped", k as f64, Unit::Count),
                    fig("runs", n as f64, Unit::Count),
                    fig("share", share, Unit::Share),
                    fig("last_at", last, Unit::EpochMs),
                ],
                sample: n,
                p_value: p,
            },
        });
    }
}
