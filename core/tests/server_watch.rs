//! The slow watch after the socket's backoff gave up (issue 11): a probe every interval, one at
//! once when the browser comes online or the tab becomes visible, and a reconnect as soon as
//! the server answers.

use telemetry_core::server_watch::{ServerWatch, WatchStep, WATCH_INTERVAL_MS};

#[test]
fn probes_every_interval_until_the_server_answers() {
    let mut w = ServerWatch::default();
    assert!(!w.is_watching());
    assert!(!w.due(1e9), "not watching: no probes");
    assert_eq!(w.begin(0.0), WatchStep::ProbeAt(WATCH_INTERVAL_MS));
    assert!(w.is_watching());
    assert!(!w.due(29_999.0), "an early timer sends nothing");
    assert!(w.due(30_000.0));
    assert!(!w.due(30_001.0), "one probe at a time");
    assert_eq!(w.next_probe_at(), None);
    assert_eq!(w.answered(false, 30_200.0), WatchStep::ProbeAt(60_200.0));
    // A ComfyUI restart of 60 s: still down at 60 s, back before 90 s.
    assert!(w.due(60_200.0));
    assert_eq!(w.answered(false, 60_300.0), WatchStep::ProbeAt(90_300.0));
    assert!(w.due(90_300.0));
    assert_eq!(w.answered(true, 90_350.0), WatchStep::Reconnect);
    assert!(!w.is_watching());
    assert_eq!(w.probes(), 3);
    assert!(!w.due(200_000.0));
}

#[test]
fn coming_online_or_visible_probes_at_once() {
    let mut w = ServerWatch::new(30_000.0);
    assert!(!w.wake(0.0), "not watching: a wake-up does nothing");
    w.begin(0.0);
    assert!(w.wake(5_000.0));
    assert!(!w.wake(5_010.0), "in flight");
    assert_eq!(w.answered(false, 5_100.0), WatchStep::ProbeAt(35_100.0));
    assert!(!w.wake(5_500.0), "a burst of wake-ups shares one probe");
    assert!(w.wake(7_000.0));
    assert_eq!(w.answered(true, 7_100.0), WatchStep::Reconnect);
}

#[test]
fn a_late_answer_after_the_watch_ended_is_ignored() {
    let mut w = ServerWatch::new(100.0);
    w.begin(0.0);
    assert!(w.due(100.0));
    // The retry button reconnected meanwhile.
    w.end();
    assert_eq!(w.answered(true, 150.0), WatchStep::Idle);
    assert_eq!(w.answered(false, 150.0), WatchStep::Idle);
    // A new watch starts afresh.
    assert_eq!(w.begin(1_000.0), WatchStep::ProbeAt(1_100.0));
    assert_eq!(
        w.begin(1_050.0),
        WatchStep::ProbeAt(1_100.0),
        "begin twice: same"
    );
    assert_eq!(w.probes(), 0);
}

#[test]
fn odd_clocks_and_intervals_never_panic() {
    let mut w = ServerWatch::new(0.0);
    w.begin(f64::NAN);
    let _ = w.due(f64::INFINITY);
    let _ = w.wake(-1.0);
    let _ = w.answered(false, f64::NEG_INFINITY);
    let mut w = ServerWatch::new(-5.0);
    assert!(matches!(w.begin(0.0), WatchStep::ProbeAt(at) if at > 0.0));
}
