//! The tick's cadence (1 s ticks from the shell): how often to read VRAM and the queue.
//!
//! - `/api/system_stats` every 2 s while a run is active, every 10 s when idle, none while the
//!   page is hidden. A run starting or ending asks for a reading "soon" (the tracker's
//!   `ReadGpuSoon`): it is folded into the next tick, never sooner than 1 s after the previous
//!   reading, however many runs a busy server starts (a read per boundary flooded the network).
//! - `/api/queue` at the follow policy's interval while runs are followed by polling.
//!
//! Copied from the shell's `housekeeping.rs`, where only a browser could test it.

/// The shell's tick interval.
pub const TICK_MS: f64 = 1000.0;
pub const STATS_ACTIVE_MS: f64 = 2_000.0;
pub const STATS_IDLE_MS: f64 = 10_000.0;
/// A "read soon" never comes sooner than this after the previous reading.
pub const STATS_SOON_MS: f64 = 1_000.0;

#[derive(Debug, Clone, Default)]
pub struct Cadence {
    next_stats_ms: f64,
    last_stats_ms: f64,
    next_queue_ms: f64,
}

impl Cadence {
    /// A run started or ended: read VRAM on the next tick, but not within 1 s of the last read.
    pub fn stats_soon(&mut self) {
        self.next_stats_ms = self.next_stats_ms.min(self.last_stats_ms + STATS_SOON_MS);
    }

    /// On a tick: whether to read system stats now. `busy` when a read is still in flight (the
    /// cadence then waits for it).
    pub fn stats_due(&mut self, now_ms: f64, hidden: bool, active: bool, busy: bool) -> bool {
        if hidden || busy || now_ms < self.next_stats_ms {
            return false;
        }
        self.last_stats_ms = now_ms;
        self.next_stats_ms = now_ms
            + if active {
                STATS_ACTIVE_MS
            } else {
                STATS_IDLE_MS
            };
        true
    }

    /// On a tick: whether the follow policy's queue poll is due (`interval_ms` apart, only while
    /// runs are followed).
    pub fn queue_due(&mut self, now_ms: f64, following: bool, interval_ms: f64) -> bool {
        if !following || now_ms < self.next_queue_ms {
            return false;
        }
        self.next_queue_ms = now_ms + interval_ms;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ticks every second from `from` to `to` (inclusive); the times a read was due.
    fn reads(c: &mut Cadence, from: u32, to: u32, hidden: bool, active: bool) -> Vec<u32> {
        (from..=to)
            .filter(|s| c.stats_due(*s as f64 * 1000.0, hidden, active, false))
            .collect()
    }

    #[test]
    fn every_two_seconds_while_active_ten_when_idle() {
        let mut c = Cadence::default();
        assert_eq!(reads(&mut c, 0, 6, false, true), vec![0, 2, 4, 6]);
        let mut c = Cadence::default();
        assert_eq!(reads(&mut c, 0, 25, false, false), vec![0, 10, 20]);
    }

    #[test]
    fn none_while_hidden_and_at_once_when_shown_again() {
        let mut c = Cadence::default();
        assert!(reads(&mut c, 0, 30, true, true).is_empty());
        assert_eq!(reads(&mut c, 31, 31, false, true), vec![31]);
    }

    #[test]
    fn a_read_in_flight_holds_the_cadence() {
        let mut c = Cadence::default();
        assert!(c.stats_due(0.0, false, true, false));
        assert!(!c.stats_due(2000.0, false, true, true));
        assert!(c.stats_due(3000.0, false, true, false));
    }

    #[test]
    fn soon_is_the_next_tick_but_not_within_a_second_of_the_last_read() {
        let mut c = Cadence::default();
        assert!(c.stats_due(0.0, false, false, false));
        // Idle: next read at 10 s. A run starts at 0.5 s: read on the tick at 1 s.
        c.stats_soon();
        assert!(!c.stats_due(500.0, false, false, false));
        assert!(c.stats_due(1000.0, false, true, false));
        // Many boundaries at once still cost one read per second at most.
        c.stats_soon();
        c.stats_soon();
        assert!(!c.stats_due(1500.0, false, true, false));
        assert!(c.stats_due(2000.0, false, true, false));
    }

    #[test]
    fn queue_polls_at_the_policy_interval_only_while_following() {
        let mut c = Cadence::default();
        assert!(!c.queue_due(0.0, false, 2000.0));
        assert!(c.queue_due(1000.0, true, 2000.0));
        assert!(!c.queue_due(2000.0, true, 2000.0));
        assert!(c.queue_due(3000.0, true, 2000.0));
    }
}
