//! After the socket's backoff gives up: a slow, cheap watch for the server coming back.
//!
//! Five attempts (1, 2, 4, 8, 16 s) cover a dropped connection, not a ComfyUI restart, which
//! often takes longer than those 31 s. Instead of staying offline until a person presses retry,
//! the page asks a cheap HTTP route (`/api/system_stats`) every 30 s, and at once when the
//! browser comes back online or the tab becomes visible again (timers are throttled in
//! background tabs, and a laptop waking up should not wait). When the server answers, the page
//! reconnects by itself. This is the decision; the shell owns the timers and listeners.

/// The dashboard's probe interval.
pub const WATCH_INTERVAL_MS: f64 = 30_000.0;
/// Wake-ups closer together than this share one probe (a burst of visibility changes).
const WAKE_GAP_MS: f64 = 1_000.0;

/// What the shell does next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WatchStep {
    /// The server answered: reconnect the socket (the watch has ended).
    Reconnect,
    /// Probe again at this local time (epoch ms).
    ProbeAt(f64),
    /// Not watching (the socket came back meanwhile, or the page stopped): do nothing.
    Idle,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerWatch {
    interval_ms: f64,
    watching: bool,
    next_probe_ms: Option<f64>,
    in_flight: bool,
    last_probe_ms: Option<f64>,
    /// Probes sent since the watch began (for "checked N times").
    probes: u32,
}

impl Default for ServerWatch {
    fn default() -> Self {
        ServerWatch::new(WATCH_INTERVAL_MS)
    }
}

impl ServerWatch {
    /// `interval_ms` between probes; tests scale it down, the dashboard uses 30 s.
    pub fn new(interval_ms: f64) -> ServerWatch {
        ServerWatch {
            interval_ms: interval_ms.max(1.0),
            watching: false,
            next_probe_ms: None,
            in_flight: false,
            last_probe_ms: None,
            probes: 0,
        }
    }

    pub fn is_watching(&self) -> bool {
        self.watching
    }

    /// When the next timed probe goes out, while watching and none is in flight.
    pub fn next_probe_at(&self) -> Option<f64> {
        self.next_probe_ms.filter(|_| self.watching)
    }

    pub fn probes(&self) -> u32 {
        self.probes
    }

    /// The backoff gave up: watch from now, first probe one interval later (the last attempt
    /// has just failed, asking again at once would tell nothing new).
    pub fn begin(&mut self, now_ms: f64) -> WatchStep {
        if self.watching {
            return self
                .next_probe_at()
                .map_or(WatchStep::Idle, WatchStep::ProbeAt);
        }
        self.watching = true;
        self.in_flight = false;
        self.probes = 0;
        let at = now_ms + self.interval_ms;
        self.next_probe_ms = Some(at);
        WatchStep::ProbeAt(at)
    }

    /// The socket is being reconnected some other way (retry button, new server): stop.
    pub fn end(&mut self) {
        self.watching = false;
        self.next_probe_ms = None;
        self.in_flight = false;
    }

    /// The timer fired: true when a probe should go out now (the caller sends it and reports
    /// the answer to [`ServerWatch::answered`]). Early or duplicate timers send nothing.
    pub fn due(&mut self, now_ms: f64) -> bool {
        let due = self.next_probe_at().is_some_and(|at| now_ms >= at);
        due && self.send(now_ms)
    }

    /// The browser came back online or the tab became visible: probe now, unless a probe is
    /// already out or one went out a moment ago.
    pub fn wake(&mut self, now_ms: f64) -> bool {
        let recent = self
            .last_probe_ms
            .is_some_and(|t| now_ms - t < WAKE_GAP_MS && now_ms >= t);
        self.watching && !recent && self.send(now_ms)
    }

    fn send(&mut self, now_ms: f64) -> bool {
        if self.in_flight {
            return false;
        }
        self.in_flight = true;
        self.next_probe_ms = None;
        self.last_probe_ms = Some(now_ms);
        self.probes = self.probes.saturating_add(1);
        true
    }

    /// The probe's outcome: `true` when the server answered (any 2xx).
    pub fn answered(&mut self, ok: bool, now_ms: f64) -> WatchStep {
        if !self.watching || !self.in_flight {
            return WatchStep::Idle;
        }
        self.in_flight = false;
        if ok {
            self.end();
            return WatchStep::Reconnect;
        }
        let at = now_ms + self.interval_ms;
        self.next_probe_ms = Some(at);
        WatchStep::ProbeAt(at)
    }
}
