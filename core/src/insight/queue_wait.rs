//! `queue-wait-exceeds-run`: on a server, prompts wait in the queue longer than they run, so
//! the server is the bottleneck; a second server or off-peak scheduling would help.
//!
//! Sample: the server's ended runs whose queue wait (queued to started, both seen) and wall
//! time are known, over the period they span. It fires with at least [`MIN_RUNS`] runs when
//! the median wait exceeds the median run time and a sign test (one-sided binomial test that
//! more than half the runs waited longer than they ran) gives p ≤ 0.05. Confidence uses that p
//! and n = the runs. A warning when the median wait is at least twice the median run time.

use super::duration_shift::when;
use super::facts::RunFact;
use super::finding::MAX_EVIDENCE_RUNS;
use super::finding::{fig, pct, Evidence, Finding, Rule, Severity, Subject, Unit};
use super::stats::{median, proportion_above_p, significant, top_k};
use super::Ctx;
use crate::format::duration_ms;

pub const MIN_RUNS: usize = 10;

pub(super) fn find(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (server, all) in &ctx.servers {
        let server = *server;
        let runs: Vec<&RunFact> = all
            .iter()
            .copied()
            .filter(|f| f.queue_wait_ms.is_some() && f.duration_ms.is_some())
            .collect();
        let n = runs.len();
        if n < MIN_RUNS {
            continue;
        }
        let pairs: Vec<(&RunFact, f64, f64)> = runs
            .iter()
            .filter_map(|f| Some((*f, f.queue_wait_ms?, f.duration_ms?)))
            .collect();
        let waits: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let durations: Vec<f64> = pairs.iter().map(|p| p.2).collect();
        let (Some(med_wait), Some(med_run)) = (median(&waits), median(&durations)) else {
            continue;
        };
        if med_wait <= med_run {
            continue;
        }
        let longer = pairs.iter().filter(|p| p.1 > p.2).count();
        let p = proportion_above_p(longer, n, 0.5);
        if !significant(p) {
            continue;
        }
        let mut by_hour = [0.0f64; 24];
        for (f, w, _) in &pairs {
            // An integer remainder: a float one would bring `fmod` into the page (issue #22).
            let hour = ((f.start_ms / 3_600_000.0).floor() as i64).rem_euclid(24) as usize;
            by_hour[hour.min(23)] += w;
        }
        let peak_hour = by_hour
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(h, _)| h);
        let total_wait: f64 = waits.iter().sum();
        let (from, to) = (pairs[0].0.start_ms, pairs[n - 1].0.start_ms);
        let name = ctx.name(server).to_owned();
        let longest = top_k(pairs.iter().collect(), MAX_EVIDENCE_RUNS, |p| p.1);
        let severity = if med_wait >= 2.0 * med_run {
            Severity::Warning
        } else {
            Severity::Info
        };
        let message = format!(
                "On {name}, prompts waited longer in the queue than they ran: median wait {} against a median run of {} ({} of {n} runs waited longer, {} to {}). A second server, or queueing batch work off-peak (waits were longest around {peak_hour:02}:00 UTC), would help.",
                duration_ms(med_wait),
                duration_ms(med_run),
                pct(longer as f64 / n as f64),
                when(from),
                when(to)
        );
        let evidence = Evidence::of(
            p,
            n,
            longest.iter().map(|(f, _, _)| ctx.run(f)).collect(),
            vec![
                fig("median_wait_ms", med_wait, Unit::Ms),
                fig("median_run_ms", med_run, Unit::Ms),
                fig(
                    "share_waiting_longer",
                    longer as f64 / n as f64,
                    Unit::Share,
                ),
                fig("runs", n as f64, Unit::Count),
                fig("total_wait_ms", total_wait, Unit::Ms),
                fig("period_from", from, Unit::EpochMs),
                fig("period_to", to, Unit::EpochMs),
                fig("peak_hour_utc", peak_hour as f64, Unit::Value),
            ],
        );
        out.push(Finding::new(
            Rule::QueueWaitExceedsRun,
            severity,
            Subject::server(name),
            message,
            evidence,
        ));
    }
}
