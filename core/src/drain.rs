//! How long the queue takes to drain: the running prompt's time left plus each pending prompt's
//! expected duration, from earlier runs of the same workflow on the same server (the median of
//! their durations). A workflow this server has never run gives no number: the whole estimate
//! is then unknown, never a guess.

use crate::eta::median;
use crate::run::{Run, RunStatus};

/// The queue's drain estimate and, for each pending prompt, when it should start.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DrainEstimate {
    /// Until the last pending prompt ends (ms); `None` when some workflow has no earlier run.
    pub total_ms: Option<f64>,
    /// For each pending prompt in queue order: how long until it starts (ms), when known.
    pub starts_ms: Vec<Option<f64>>,
    /// How many earlier runs the estimate rests on.
    pub basis_runs: usize,
}

impl DrainEstimate {
    /// What the estimate says, and on what it rests; never a number without a basis.
    pub fn text(&self) -> String {
        let (ahead, runs) = (self.starts_ms.len(), self.basis_runs);
        match self.total_ms {
            _ if ahead == 0 => "Nothing pending.".to_owned(),
            Some(ms) => format!(
                "{ahead} pending · drains in about {}, from {runs} earlier run{} of these workflows",
                crate::format::duration_ms(ms),
                if runs == 1 { "" } else { "s" }
            ),
            None => format!(
                "{ahead} pending · drain time unknown: this server has not run all of these workflows before"
            ),
        }
    }
}

/// The median duration (ms) of the succeeded runs of `workflow` among `known` (the workflow
/// name the tracker gives every run of the same graph: its node types), and how many there are.
pub fn workflow_median(workflow: &str, known: &[&Run]) -> Option<(f64, usize)> {
    let mut durations: Vec<f64> = known
        .iter()
        .filter(|r| r.status == RunStatus::Succeeded && r.workflow.as_deref() == Some(workflow))
        .filter_map(|r| r.duration_ms(r.ended_at_ms.unwrap_or(0.0)))
        .collect();
    Some((median(&mut durations)?, durations.len()))
}

/// The drain estimate for the prompts `running` now and `pending` (in queue order), at
/// `now_ms`, from the earlier runs in `known`.
pub fn estimate<'a>(
    running: &[&'a Run],
    pending: &[&'a Run],
    known: &[&Run],
    now_ms: f64,
) -> DrainEstimate {
    // A queue holds few workflows: each is looked up once.
    let mut seen: Vec<(&'a str, Option<(f64, usize)>)> = Vec::new();
    let mut expected = |run: &'a Run| -> Option<f64> {
        let workflow = run.workflow.as_deref()?;
        let at = match seen.iter().position(|(w, _)| *w == workflow) {
            Some(at) => at,
            None => {
                seen.push((workflow, workflow_median(workflow, known)));
                seen.len() - 1
            }
        };
        seen[at].1.map(|(median, _)| median)
    };
    // The running prompt's time left: its median less what it has run, never below zero.
    let mut at: Option<f64> = Some(0.0);
    for run in running {
        let left = expected(run).map(|m| (m - run.duration_ms(now_ms).unwrap_or(0.0)).max(0.0));
        at = at.zip(left).map(|(a, l)| a + l);
    }
    let mut starts_ms = Vec::with_capacity(pending.len());
    for run in pending {
        starts_ms.push(at);
        at = at.zip(expected(run)).map(|(a, d)| a + d);
    }
    DrainEstimate {
        total_ms: at.filter(|_| !(running.is_empty() && pending.is_empty())),
        starts_ms,
        basis_runs: seen.iter().filter_map(|(_, m)| m.map(|(_, n)| n)).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::RunSource;

    fn run(id: &str, workflow: &str, status: RunStatus, start: i64, ms: i64) -> Run {
        let mut r = Run::new("s", id, RunSource::Stream, 0.0);
        r.workflow = Some(workflow.to_owned());
        r.status = status;
        r.server_started_ms = Some(start);
        if status.is_terminal() {
            r.server_ended_ms = Some(start + ms);
        }
        r
    }

    fn refs(runs: &[Run]) -> Vec<&Run> {
        runs.iter().collect()
    }

    fn queued(id: &str, workflow: &str) -> Run {
        let mut r = Run::new("s", id, RunSource::Polling, 0.0);
        r.workflow = Some(workflow.to_owned());
        r.status = RunStatus::Queued;
        r
    }

    #[test]
    fn unknown_while_the_server_has_no_earlier_run_of_a_pending_workflow() {
        let past = [run("p1", "A", RunStatus::Succeeded, 0, 10_000)];
        let medians = refs(&past);
        let (a, b) = (queued("q1", "A"), queued("q2", "B"));
        let e = estimate(&[], &[&a, &b], &medians, 0.0);
        assert_eq!(e.total_ms, None);
        assert_eq!(e.starts_ms, vec![Some(0.0), Some(10_000.0)]);
        // Nothing at all known: unknown, not zero.
        let e = estimate(&[], &[&b], &[], 0.0);
        assert_eq!((e.total_ms, e.basis_runs), (None, 0));
    }

    #[test]
    fn failed_and_unfinished_runs_are_no_basis() {
        let past = [
            run("f", "A", RunStatus::Failed, 0, 1_000),
            run("i", "A", RunStatus::Interrupted, 0, 2_000),
            run("r", "A", RunStatus::Running, 0, 0),
        ];
        let a = queued("q", "A");
        assert_eq!(estimate(&[], &[&a], &refs(&past), 0.0).total_ms, None);
    }

    #[test]
    fn sum_of_per_workflow_medians_plus_what_the_running_prompt_has_left() {
        let past = [
            run("a1", "A", RunStatus::Succeeded, 0, 9_000),
            run("a2", "A", RunStatus::Succeeded, 0, 10_000),
            run("a3", "A", RunStatus::Succeeded, 0, 60_000),
            run("b1", "B", RunStatus::Succeeded, 0, 4_000),
        ];
        let medians = refs(&past);
        let mut now = run("r", "A", RunStatus::Running, 1_000, 0);
        now.started_at_ms = Some(1_000.0);
        now.server_started_ms = None;
        let (q1, q2, q3) = (queued("q1", "B"), queued("q2", "A"), queued("q3", "B"));
        // 4 s into a 10 s median: 6 s left, then B (4 s), A (10 s), B (4 s).
        let e = estimate(&[&now], &[&q1, &q2, &q3], &medians, 5_000.0);
        assert_eq!(
            e.starts_ms,
            vec![Some(6_000.0), Some(10_000.0), Some(20_000.0)]
        );
        assert_eq!(e.total_ms, Some(24_000.0));
        assert_eq!(e.basis_runs, 4);
        // Overdue: the running prompt counts nothing more, never less than zero.
        let e = estimate(&[&now], &[], &medians, 100_000.0);
        assert_eq!(e.total_ms, Some(0.0));
        // An empty queue has nothing to estimate.
        assert_eq!(estimate(&[], &[], &medians, 0.0).total_ms, None);
    }

    #[test]
    fn a_running_prompt_of_an_unknown_workflow_makes_the_drain_unknown() {
        let past = [run("a", "A", RunStatus::Succeeded, 0, 1_000)];
        let medians = refs(&past);
        let mut now = run("r", "Z", RunStatus::Running, 0, 0);
        now.started_at_ms = Some(0.0);
        let q = queued("q", "A");
        let e = estimate(&[&now], &[&q], &medians, 10.0);
        assert_eq!((e.total_ms, e.starts_ms), (None, vec![None]));
    }

    /// A small deterministic generator: durations that vary like real runs do.
    fn jitter(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
    }

    #[test]
    fn within_half_of_the_actual_drain_once_ten_runs_are_known() {
        for seed in 1..200u64 {
            let mut s = seed;
            // Runs of one workflow: 20 s ± 25 %, with an occasional 2x straggler.
            let duration = |s: &mut u64| {
                let base = 20_000.0 * (1.0 + 0.25 * jitter(s));
                if jitter(s) > 0.9 {
                    base * 2.0
                } else {
                    base
                }
            };
            let past: Vec<Run> = (0..10)
                .map(|i| {
                    let d = duration(&mut s) as i64;
                    run(&format!("p{i}"), "A", RunStatus::Succeeded, 0, d)
                })
                .collect();
            let pending: Vec<Run> = (0..5).map(|i| queued(&format!("q{i}"), "A")).collect();
            let queue: Vec<&Run> = pending.iter().collect();
            let actual: f64 = (0..5).map(|_| duration(&mut s)).sum();
            let e = estimate(&[], &queue, &refs(&past), 0.0);
            let est = e.total_ms.expect("known workflow");
            assert!(
                (est - actual).abs() <= 0.5 * actual,
                "seed {seed}: estimated {est}, actual {actual}"
            );
            assert_eq!(e.basis_runs, 10);
        }
    }
}
