//! The connection to one server as a state machine: which socket to open, when to try again,
//! when to give up the quick backoff for the slow server watch, and when to stop because the
//! server refused the page.
//!
//! The shell owns the socket, the one timer and the HTTP probes; every decision is here, so it
//! is tested natively. Each call returns the [`LinkAction`]s to carry out, in order, and the
//! shell publishes [`Link::info`] afterwards. Socket events carry the generation of the socket
//! they belong to: events of a socket that was replaced are ignored by construction.

use crate::backoff::{Backoff, Reconnect};
use crate::connection::{ConnectionInfo, ConnectionState, EndpointKind, Refusal};
use crate::server_watch::{ServerWatch, WatchStep};

/// What the shell does next.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkAction {
    /// Drop any socket and open one to this endpoint; its events carry `generation`.
    Open {
        endpoint: EndpointKind,
        generation: u64,
    },
    /// Drop the socket (stopped, or refused): nothing reconnects.
    Close,
    /// Arm the single timer for this local time (replacing any armed one); call
    /// [`Link::timer_fired`] when it fires.
    ArmTimer(f64),
    /// Cancel the timer.
    CancelTimer,
    /// The socket opened: tell the pipeline (it reconciles everything that ran meanwhile).
    Connected(EndpointKind),
    /// An open socket dropped: tell the pipeline (its open runs are in doubt).
    Lost,
    /// Ask the server's cheap route whether it is back ([`Link::probe_answered`]).
    ProbeAlive,
    /// Both endpoints failed to open: find out whether the server refused the page
    /// ([`Link::refusal_checked`]).
    CheckRefusal,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Waiting {
    Nothing,
    /// The backoff's delay before the next attempt.
    Backoff,
    /// The slow watch's next probe.
    Watch,
}

#[derive(Debug, Clone)]
pub struct Link {
    info: ConnectionInfo,
    backoff: Backoff,
    watch: ServerWatch,
    prefer_telemetry: bool,
    current: EndpointKind,
    /// `/telemetry` did not open on this attempt: `/ws` is tried next, same attempt.
    telemetry_failed: bool,
    opened: bool,
    established: bool,
    stopped: bool,
    generation: u64,
    waiting: Waiting,
}

impl Link {
    pub fn new(info: ConnectionInfo, backoff: Backoff, watch: ServerWatch, prefer: bool) -> Link {
        Link {
            info,
            backoff,
            watch,
            prefer_telemetry: prefer,
            current: EndpointKind::Ws,
            telemetry_failed: false,
            opened: false,
            established: false,
            stopped: true,
            generation: 0,
            waiting: Waiting::Nothing,
        }
    }

    pub fn info(&self) -> &ConnectionInfo {
        &self.info
    }

    pub fn is_watching(&self) -> bool {
        self.watch.is_watching()
    }

    /// Events of this socket still count (it was not replaced, nothing stopped).
    pub fn is_current(&self, generation: u64) -> bool {
        !self.stopped && generation == self.generation
    }

    /// Connect now (the first time).
    pub fn start(&mut self) -> Vec<LinkAction> {
        self.stopped = false;
        self.open()
    }

    /// A person pressed retry: attempts count from zero, a refusal is asked about again.
    pub fn retry(&mut self) -> Vec<LinkAction> {
        self.stopped = false;
        self.backoff.retry();
        self.watch.end();
        self.telemetry_failed = false;
        self.info.attempt = 0;
        self.info.refused = None;
        self.info.watch_probes = None;
        self.open()
    }

    /// Nothing reconnects after this (a new server setting, a recording playing instead).
    pub fn stop(&mut self) -> Vec<LinkAction> {
        self.stopped = true;
        self.generation += 1;
        self.watch.end();
        self.waiting = Waiting::Nothing;
        vec![LinkAction::Close, LinkAction::CancelTimer]
    }

    /// Shown while a recording plays instead of a server.
    pub fn playing_demo(&mut self) -> Vec<LinkAction> {
        let actions = self.stop();
        self.info.state = ConnectionState::Open;
        self.info.endpoint = Some(EndpointKind::Demo);
        self.info.attempt = 0;
        self.info.last_error = None;
        self.info.next_attempt_at_ms = None;
        self.info.retry_delay_ms = None;
        actions
    }

    fn open(&mut self) -> Vec<LinkAction> {
        self.generation += 1;
        self.opened = false;
        self.established = false;
        self.waiting = Waiting::Nothing;
        let endpoint =
            if self.prefer_telemetry && !self.info.telemetry_missing && !self.telemetry_failed {
                EndpointKind::Telemetry
            } else {
                EndpointKind::Ws
            };
        self.current = endpoint;
        self.info.state = if self.backoff.attempt() == 0 {
            ConnectionState::Connecting
        } else {
            ConnectionState::Reconnecting
        };
        self.info.next_attempt_at_ms = None;
        self.info.retry_delay_ms = None;
        vec![LinkAction::Open {
            endpoint,
            generation: self.generation,
        }]
    }

    /// The socket of `generation` opened.
    pub fn opened(&mut self, generation: u64) -> Vec<LinkAction> {
        if !self.is_current(generation) {
            return Vec::new();
        }
        self.opened = true;
        if self.current == EndpointKind::Ws && self.telemetry_failed {
            self.info.telemetry_missing = true;
        }
        self.telemetry_failed = false;
        self.info.state = ConnectionState::Open;
        self.info.endpoint = Some(self.current);
        self.info.last_error = None;
        self.info.refused = None;
        self.info.watch_probes = None;
        vec![LinkAction::Connected(self.current)]
    }

    /// A frame arrived on the socket of `generation`: the first one proves the server is
    /// talking, and only that resets the backoff (a server that accepts and drops at once must
    /// not cause endless quick reconnects). True when the info changed.
    pub fn spoke(&mut self, generation: u64) -> bool {
        if !self.is_current(generation) || self.established {
            return false;
        }
        self.established = true;
        self.backoff.on_established();
        self.info.attempt = 0;
        true
    }

    /// The socket of `generation` closed (or never opened).
    pub fn closed(&mut self, generation: u64, code: u16, now_ms: f64) -> Vec<LinkAction> {
        if !self.is_current(generation) {
            return Vec::new();
        }
        let was_open = std::mem::replace(&mut self.opened, false);
        if !was_open && self.current == EndpointKind::Telemetry {
            // `/telemetry` is not there (or the server is down): `/ws` at once, same attempt.
            self.telemetry_failed = true;
            return self.open();
        }
        self.telemetry_failed = false;
        let mut actions = Vec::new();
        if was_open {
            actions.push(LinkAction::Lost);
            self.info.last_error = Some(format!("connection closed (code {code})"));
        } else {
            self.info.last_error = Some(format!("could not connect to {}", self.info.server));
            actions.push(LinkAction::CheckRefusal);
        }
        actions.extend(self.after_failure(now_ms));
        actions
    }

    fn after_failure(&mut self, now_ms: f64) -> Vec<LinkAction> {
        match self.backoff.on_failure() {
            Reconnect::After { delay_ms, attempt } => {
                let at = now_ms + delay_ms as f64;
                self.info.state = ConnectionState::Reconnecting;
                self.info.attempt = attempt;
                self.info.next_attempt_at_ms = Some(at);
                self.info.retry_delay_ms = Some(delay_ms);
                self.waiting = Waiting::Backoff;
                vec![LinkAction::ArmTimer(at)]
            }
            Reconnect::GiveUp => {
                self.info.state = ConnectionState::Offline;
                self.info.attempt = self.backoff.attempt();
                self.info.retry_delay_ms = None;
                let step = self.watch_begin(now_ms);
                self.watch_step(step)
            }
        }
    }

    fn watch_begin(&mut self, now_ms: f64) -> WatchStep {
        self.info.watch_probes = Some(0);
        self.watch.begin(now_ms)
    }

    fn watch_step(&mut self, step: WatchStep) -> Vec<LinkAction> {
        self.info.watch_probes = self.watch.is_watching().then(|| self.watch.probes());
        match step {
            WatchStep::ProbeAt(at) => {
                self.waiting = Waiting::Watch;
                self.info.next_attempt_at_ms = Some(at);
                vec![LinkAction::ArmTimer(at)]
            }
            WatchStep::Reconnect => {
                // The server answers again: a fresh set of quick attempts.
                self.backoff.retry();
                self.info.attempt = 0;
                self.open()
            }
            WatchStep::Idle => Vec::new(),
        }
    }

    /// The timer fired.
    pub fn timer_fired(&mut self, now_ms: f64) -> Vec<LinkAction> {
        if self.stopped {
            return Vec::new();
        }
        match std::mem::replace(&mut self.waiting, Waiting::Nothing) {
            Waiting::Backoff => self.open(),
            Waiting::Watch => {
                if self.watch.due(now_ms) {
                    self.info.next_attempt_at_ms = None;
                    self.info.watch_probes = Some(self.watch.probes());
                    vec![LinkAction::ProbeAlive]
                } else {
                    // Early: keep waiting for the probe time.
                    let step = self.watch.begin(now_ms);
                    self.watch_step(step)
                }
            }
            Waiting::Nothing => Vec::new(),
        }
    }

    /// The browser came back online or the tab became visible: while watching, probe now.
    pub fn wake(&mut self, now_ms: f64) -> Vec<LinkAction> {
        if self.stopped || !self.watch.wake(now_ms) {
            return Vec::new();
        }
        self.waiting = Waiting::Nothing;
        self.info.next_attempt_at_ms = None;
        self.info.watch_probes = Some(self.watch.probes());
        vec![LinkAction::CancelTimer, LinkAction::ProbeAlive]
    }

    /// The watch's probe answered (`alive`: the server responded at all).
    pub fn probe_answered(&mut self, alive: bool, now_ms: f64) -> Vec<LinkAction> {
        if self.stopped {
            return Vec::new();
        }
        let step = self.watch.answered(alive, now_ms);
        self.watch_step(step)
    }

    /// What [`LinkAction::CheckRefusal`] found. A refusal stops the reconnects: trying again
    /// would be refused again, and the page says why instead.
    pub fn refusal_checked(&mut self, refusal: Option<Refusal>) -> Vec<LinkAction> {
        let Some(refusal) = refusal else {
            return Vec::new();
        };
        if self.stopped || self.opened {
            return Vec::new();
        }
        self.watch.end();
        self.waiting = Waiting::Nothing;
        self.generation += 1;
        self.info.state = ConnectionState::Offline;
        self.info.next_attempt_at_ms = None;
        self.info.retry_delay_ms = None;
        self.info.watch_probes = None;
        self.info.last_error = Some(refusal.message.clone());
        self.info.refused = Some(refusal);
        vec![LinkAction::Close, LinkAction::CancelTimer]
    }
}

#[cfg(test)]
#[path = "link_tests.rs"]
mod tests;
