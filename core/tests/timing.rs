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
        flushes[0], 1.0,
        "the first update of a quiet spell is released at once (the leading edge)"
    );
}

#[test]
fn a_quiet_spell_releases_the_next_update_after_the_lead_not_a_window_later() {
    let mut c: Coalescer<u32, Ev> = Coalescer::new(200.0, 10_000).with_lead(16.0);
    assert!(c.push_event(Ev::Started(1), 1000.0));
    // What comes with it, inside the lead, goes out with it.
    c.mark(1, 1008.0);
    assert_eq!(c.deadline(), Some(1016.0));
    assert!(c.poll(1015.0).is_none());
    let first = c.poll(1016.0).expect("due at the end of the lead");
    assert_eq!((first.events.len(), first.fields.len()), (1, 1));
    // An update soon after waits out the window that began at that flush: a throttle.
    c.mark(2, 1050.0);
    assert_eq!(c.deadline(), Some(1216.0));
    assert!(c.poll(1215.0).is_none());
    assert!(c.poll(1216.0).is_some());
    // After a window without a flush, the next update leads again.
    c.push_event(Ev::Finished(1), 2000.0);
    assert_eq!(c.deadline(), Some(2016.0));
    // A batch taken ahead of its time (the page hiding) starts the window there.
    c.take(2005.0);
    c.mark(3, 2010.0);
    assert_eq!(c.deadline(), Some(2205.0));
}

#[test]
fn flushes_are_never_closer_than_a_window_under_any_arrival_pattern() {
    // Bursts, gaps and trickles: whatever the pattern, two flushes by the timer (not by the
    // event bound) are at least one window apart, and nothing waits longer than a window after
    // the previous flush or a lead after it came.
    let mut c: Coalescer<u32, u32> = Coalescer::new(200.0, 10_000).with_lead(16.0);
    let mut last_flush: Option<f64> = None;
    let mut waiting_since: Option<f64> = None;
    let mut arrivals = 0u64;
    for ms in 0..20_000u32 {
        let now = ms as f64;
        if let Some(b) = c.poll(now) {
            if let Some(prev) = last_flush {
                assert!(now - prev >= 200.0, "flushes at {prev} and {now}");
            }
            let since = waiting_since.take().expect("something was pending");
            let bound = last_flush.map_or(since + 16.0, |p| (p + 200.0).max(since + 16.0));
            assert_eq!(now, bound, "released when due, not later");
            assert!(!b.events.is_empty());
            last_flush = Some(now);
        }
        // A deterministic irregular pattern: two busy seconds (an update in about one
        // millisecond of sixteen, at random), one quiet one, and a lone update every 997 ms.
        arrivals = arrivals
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let busy = (ms / 1000) % 3 != 2;
        if busy && arrivals >> 60 == 0 || ms % 997 == 0 {
            c.push_event(ms, now);
            waiting_since.get_or_insert(now);
        }
    }
    assert!(last_flush.is_some());
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
    delivered.extend(c.take(400.0).events);
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
    delivered += c.take(0.0).events.len();
    assert_eq!(delivered, 100_000, "nothing dropped");
}

#[test]
fn new_window_is_reported_so_the_shell_arms_one_timer() {
    let mut c: Coalescer<u32, ()> = Coalescer::new(200.0, 10);
    assert!(c.mark(1, 0.0));
    assert!(c.poll(0.0).is_some(), "the leading edge");
    assert!(c.mark(1, 10.0));
    assert!(!c.mark(2, 50.0));
    assert_eq!(c.deadline(), Some(200.0));
    assert!(c.poll(199.0).is_none());
    assert!(c.poll(200.0).is_some());
    assert!(!c.is_pending());
    assert!(c.mark(1, 300.0));
}
