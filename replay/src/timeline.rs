//! Mapping between wall-clock time since playback start and a position in the scenario list.
//!
//! Both the frame player and the HTTP state answers use this one mapping, so `/queue` and
//! `/history` always agree with what the sockets have been sent.

/// Where playback is. Scenario times are recorded milliseconds (not scaled by speed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Position {
    Playing {
        cycle: u64,
        index: usize,
        scenario_ms: f64,
    },
    /// Between scenario `after` and the next one (or the loop restart).
    Gap {
        cycle: u64,
        after: usize,
    },
    Finished,
}

#[derive(Debug, Clone)]
pub struct Timeline {
    /// Real-time start and length of each scenario within one cycle.
    slots: Vec<(f64, f64)>,
    cycle_ms: f64,
    speed: f64,
    looping: bool,
}

impl Timeline {
    pub fn new(durations_ms: &[f64], speed: f64, gap_ms: f64, looping: bool) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        let gap_ms = gap_ms.max(0.0);
        let mut slots = Vec::with_capacity(durations_ms.len());
        let mut t = 0.0;
        for d in durations_ms {
            let len = d.max(0.0) / speed;
            slots.push((t, len));
            t += len + gap_ms;
        }
        Self {
            slots,
            // A zero-length loop would spin; one millisecond keeps it a loop.
            cycle_ms: t.max(1.0),
            speed,
            looping,
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn looping(&self) -> bool {
        self.looping
    }

    pub fn cycle_ms(&self) -> f64 {
        self.cycle_ms
    }

    /// Real milliseconds since playback start at which a frame recorded at `at_ms` is due.
    pub fn due_ms(&self, cycle: u64, index: usize, at_ms: f64) -> f64 {
        let start = self.slots.get(index).map_or(0.0, |s| s.0);
        cycle as f64 * self.cycle_ms + start + at_ms / self.speed
    }

    pub fn position(&self, elapsed_ms: f64) -> Position {
        if self.slots.is_empty() {
            return Position::Finished;
        }
        let elapsed_ms = elapsed_ms.max(0.0);
        if !self.looping && elapsed_ms >= self.cycle_ms {
            return Position::Finished;
        }
        let cycle = (elapsed_ms / self.cycle_ms).floor();
        let within = elapsed_ms - cycle * self.cycle_ms;
        let cycle = cycle as u64;
        let mut last = 0;
        for (i, (start, len)) in self.slots.iter().enumerate() {
            if within < *start {
                break;
            }
            last = i;
            if within <= start + len {
                return Position::Playing {
                    cycle,
                    index: i,
                    scenario_ms: (within - start) * self.speed,
                };
            }
        }
        if !self.looping && last + 1 == self.slots.len() {
            Position::Finished
        } else {
            Position::Gap { cycle, after: last }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_scenarios_in_order_with_gaps_then_finishes() {
        let t = Timeline::new(&[1000.0, 500.0], 2.0, 100.0, false);
        assert_eq!(
            t.position(250.0),
            Position::Playing {
                cycle: 0,
                index: 0,
                scenario_ms: 500.0
            }
        );
        assert_eq!(t.position(550.0), Position::Gap { cycle: 0, after: 0 });
        assert_eq!(
            t.position(700.0),
            Position::Playing {
                cycle: 0,
                index: 1,
                scenario_ms: 200.0
            }
        );
        assert_eq!(t.position(900.0), Position::Finished);
        assert_eq!(t.position(5000.0), Position::Finished);
    }

    #[test]
    fn loops_restart_from_the_first_scenario() {
        let t = Timeline::new(&[100.0], 1.0, 50.0, true);
        assert_eq!(t.position(120.0), Position::Gap { cycle: 0, after: 0 });
        assert_eq!(
            t.position(160.0),
            Position::Playing {
                cycle: 1,
                index: 0,
                scenario_ms: 10.0
            }
        );
        assert_eq!(t.due_ms(1, 0, 10.0), 160.0);
    }
}
