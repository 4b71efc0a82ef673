//! The server-side view of the queue and history at the current playback position.
//!
//! This is a pure function of the clock, so HTTP answers need no bookkeeping from the player and
//! can never drift from what the sockets were sent.

use std::collections::HashMap;

use crate::history::PromptRun;
use crate::timeline::Position;
use crate::App;

pub fn position(app: &App) -> Option<Position> {
    app.playback
        .elapsed_ms()
        .map(|ms| app.timeline.position(ms))
}

pub struct Queue<'a> {
    pub running: Vec<&'a PromptRun>,
    pub pending: Vec<&'a PromptRun>,
}

impl Queue<'_> {
    pub fn remaining(&self) -> usize {
        self.running.len() + self.pending.len()
    }
}

pub fn queue(app: &App) -> Queue<'_> {
    let mut q = Queue {
        running: Vec::new(),
        pending: Vec::new(),
    };
    let Some(Position::Playing {
        index, scenario_ms, ..
    }) = position(app)
    else {
        return q;
    };
    for run in app.runs.get(index).into_iter().flatten() {
        if run.queued_ms <= scenario_ms && scenario_ms < run.started_ms {
            q.pending.push(run);
        } else if run.started_ms <= scenario_ms && scenario_ms < run.ended_ms {
            q.running.push(run);
        }
    }
    q.pending.sort_by(|a, b| a.number.total_cmp(&b.number));
    q
}

/// Finished prompts, oldest first. With `--loop`, prompts of scenarios not yet replayed in this
/// cycle stay in history from the previous cycle, as they would on a long-running server.
pub fn finished(app: &App) -> Vec<&PromptRun> {
    let Some(pos) = position(app) else {
        return Vec::new();
    };
    let mut keyed: HashMap<&str, ((u64, usize, f64), &PromptRun)> = HashMap::new();
    for (j, runs) in app.runs.iter().enumerate() {
        for run in runs {
            let key = match pos {
                Position::Finished => Some(0),
                Position::Playing {
                    cycle,
                    index,
                    scenario_ms,
                } => {
                    if j < index || (j == index && run.ended_ms <= scenario_ms) {
                        Some(cycle)
                    } else {
                        cycle.checked_sub(1)
                    }
                }
                Position::Gap { cycle, after } => {
                    if j <= after {
                        Some(cycle)
                    } else {
                        cycle.checked_sub(1)
                    }
                }
            };
            if let Some(cycle) = key {
                let k = (cycle, j, run.ended_ms);
                let newer = keyed
                    .get(run.prompt_id.as_str())
                    .is_none_or(|(old, _)| old.0 < k.0 || (old.0 == k.0 && old.1 <= k.1));
                if newer {
                    keyed.insert(&run.prompt_id, (k, run));
                }
            }
        }
    }
    let mut out: Vec<_> = keyed.into_values().collect();
    out.sort_by(|a, b| {
        (a.0 .0, a.0 .1)
            .cmp(&(b.0 .0, b.0 .1))
            .then(a.0 .2.total_cmp(&b.0 .2))
    });
    out.into_iter().map(|(_, r)| r).collect()
}
