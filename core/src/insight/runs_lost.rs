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
use super::finding::MAX_EVIDENCE_RUNS;
use super::finding::{fig, pct, Evidence, Finding, Rule, Severity, Subject, SubjectKind, Unit};
use super::stats::{confidence, proportion_above_p, significant};
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
    for (server, runs) in &ctx.servers {
        let server = *server;
        let n = runs.len();
        let lost: Vec<&RunFact> = runs
            .iter()
            .copied()
            .filter(|f| is_lost(f, ctx.now_ms))
            .collect();
        let k = lost.len();
        if k < MIN_LOST {
            continue;
        }
        let p = proportion_above_p(k, n, BASELINE_RATE);
        if !significant(p) {
            continue;
        }
        let stale = lost
            .iter()
            .filter(|f| f.status != RunStatus::Unknown)
            .count();
        let share = k as f64 / n as f64;
        let name = ctx.name(server).to_owned();
        let last = lost[k - 1].start_ms;
        out.push(Finding {
            rule: Rule::RunsLost,
            severity: if share >= 0.2 {
                Severity::Critical
            } else {
                Severity::Warning
            },
            confidence: confidence(p, n),
            message: format!(
                "{k} of {n} runs on {name} ({}) have no end: they went away with the server or never finished (the last started {}). Look in the server's log around those times for crashes, restarts or processes killed for memory.",
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
                runs: lost
                    .iter()
                    .rev()
                    .take(MAX_EVIDENCE_RUNS)
                    .map(|f| ctx.run(f))
                    .collect(),
                figures: vec![
                    fig("lost", k as f64, Unit::Count),
                    fig("runs", n as f64, Unit::Count),
                    fig("share", share, Unit::Share),
                    fig("never_finished", stale as f64, Unit::Count),
                    fig("last_at", last, Unit::EpochMs),
                ],
                sample: n,
                p_value: p,
            },
        });
    }
}
