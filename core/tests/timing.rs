//! Reconnect schedule and the 200 ms coalescing window, driven by a fake clock.

use telemetry_core::backoff::{Backoff, Reconnect};
use telemetry_core::coalesce::Coalescer;

#[test]
fn backoff_waits_1_2_4_8_16_seconds_then_gives_up() {
    let mut b = Backoff::default();
    let mut delays = Vec::new();
    while let Reconnect::After { delay_ms, attempt } = b.on_failure() {
        assert_eq!(attempt as usize, delays.len() + 1);
        assert_eq!(b.attempt(), attempt);
        delays.push(delay_ms);
        assert!(delays.len() <= 5);
    }
    assert_eq!(delays, vec![1000, 2000, 4000, 8000, 16000]);
    assert_eq!(b.attempt(), 5);
    assert_eq!(b.on_failure(), Reconnect::GiveUp, "stays offline");
}

#[test]
fn established_connection_and_manual_retry_reset_the_count() {
    let mut b = Backoff::new(10, 5);
    b.on_failure();
    b.on_failure();
    b.on_established();
    assert_eq!(
        b.on_failure(),
        Reconnect::After {
            delay_ms: 10,
            attempt: 1
        }
    );
    for _ in 0..5 {
        b.on_failure();
    }
    assert_eq!(b.on_failure(), Reconnect::GiveUp);
    b.retry();
    assert_eq!(b.attempt(), 0);
    assert_eq!(
        b.on_failure(),
        Reconnect::After {
            delay_ms: 10,
            attempt: 1
        }
    );
}

#[test]
fn scaled_schedule_keeps_the_ratios() {
    let b = Backoff::new(25, 5);
    let d: Vec<u64> = (1..=5).map(|n| b.delay_for(n)).collect();
    assert_eq!(d, vec![25, 50, 100, 200, 400]);
}

#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Started(u32),
    Finished(u32),
}

#[test]
fn steady_flood_flushes_every_window_not_after_it_stops() {
    // 1000 messages a second for 3 s, each marking the same progress field.
    let mut c: Coalescer<&'static str, Ev> = Coalescer::new(200.0, 10_000);
    let mut flushes = Vec::new();
    for ms in 0..3000u32 {
        let now = ms as f64;
        if let Some(batch) = c.poll(now) {
            assert_eq!(batch.fields.len(), 1, "updates to one field collapse");
            flushes.push(now);
        }
        c.mark("progress", now);
    }
    assert!(
        flushes.len() >= 14,
        "expected a flush every 200 ms, got {flushes:?}"
    );
    for pair in flushes.windows(2) {
        let gap = pair[1] - pair[0];
        assert!((200.0..=201.0).contains(&gap), "gap {gap} in {flushes:?}");
    }
    assert_eq!(
        flushes[0], 200.0,
        "the window starts at the first pending update"
    );
}

#[test]
fn lifecycle_events_survive_coalescing_in_order() {
    let mut c: Coalescer<u32, Ev> = Coalescer::new(200.0, 10_000);
    let mut delivered = Vec::new();
    for i in 0..50u32 {
        let now = i as f64 * 7.0;
        c.push_event(Ev::Started(i), now);
        for _ in 0..100 {
            c.mark(i % 3, now);
        }
        c.push_event(Ev::Finished(i), now);
        if let Some(b) = c.poll(now) {
            assert!(b.fields.len() <= 3);
            delivered.extend(b.events);
        }
    }
    delivered.extend(c.take().events);
    let expected: Vec<Ev> = (0..50)
        .flat_map(|i| [Ev::Started(i), Ev::Finished(i)])
        .collect();
    assert_eq!(delivered, expected);
}

#[test]
fn memory_stays_bounded_under_an_event_storm() {
    let mut c: Coalescer<u32, u32> = Coalescer::new(200.0, 64);
    let mut delivered = 0;
    for i in 0..100_000u32 {
        c.push_event(i, 0.0);
        assert!(c.pending_events() <= 64);
        if let Some(b) = c.poll(0.0) {
            delivered += b.events.len();
        }
    }
    delivered += c.take().events.len();
    assert_eq!(delivered, 100_000, "nothing dropped");
}

#[test]
fn new_window_is_reported_so_the_shell_arms_one_timer() {
    let mut c: Coalescer<u32, ()> = Coalescer::new(200.0, 10);
    assert!(c.mark(1, 0.0));
    assert!(!c.mark(2, 50.0));
    assert_eq!(c.deadline(), Some(200.0));
    assert!(c.poll(199.0).is_none());
    assert!(c.poll(200.0).is_some());
    assert!(!c.is_pending());
    assert!(c.mark(1, 300.0));
}
