//! When to reconnect: 1, 2, 4, 8, 16 s, then offline until a person asks again.
//!
//! The React dashboard reset its counter on every open, so a server that accepted and then
//! dropped each connection made it reconnect every second forever. Here the counter resets only
//! when the connection is *established* (the server has spoken), which the shell reports.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconnect {
    /// Try again after this many milliseconds; this will be attempt number `attempt`.
    After { delay_ms: u64, attempt: u32 },
    /// Every attempt failed: stay offline until [`Backoff::retry`].
    GiveUp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    base_ms: u64,
    max_attempts: u32,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(1000, 5)
    }
}

impl Backoff {
    /// `base_ms` is the first delay; tests scale it down, the dashboard uses 1000.
    pub fn new(base_ms: u64, max_attempts: u32) -> Backoff {
        Backoff {
            base_ms,
            max_attempts,
            attempt: 0,
        }
    }

    /// Reconnect attempts made since the last established connection (0 to `max_attempts`).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The delay before reconnect attempt `n` (1-based): base × 2^(n−1).
    pub fn delay_for(&self, attempt: u32) -> u64 {
        let shift = attempt.saturating_sub(1).min(30);
        self.base_ms.saturating_mul(1u64 << shift)
    }

    /// The connection failed or dropped.
    pub fn on_failure(&mut self) -> Reconnect {
        if self.attempt >= self.max_attempts {
            return Reconnect::GiveUp;
        }
        self.attempt += 1;
        Reconnect::After {
            delay_ms: self.delay_for(self.attempt),
            attempt: self.attempt,
        }
    }

    /// The server answered on an open connection.
    pub fn on_established(&mut self) {
        self.attempt = 0;
    }

    /// A person pressed retry: start counting again.
    pub fn retry(&mut self) {
        self.attempt = 0;
    }
}
