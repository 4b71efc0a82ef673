use super::*;

fn link() -> Link {
    Link::new(
        ConnectionInfo::new("127.0.0.1:8188", "dash1", 5),
        Backoff::new(1000, 5),
        ServerWatch::new(30_000.0),
        true,
    )
}

/// The generation of the `Open` in `actions`.
fn opened_gen(actions: &[LinkAction], endpoint: EndpointKind) -> u64 {
    match actions.last() {
        Some(LinkAction::Open {
            endpoint: e,
            generation,
        }) if *e == endpoint => *generation,
        other => panic!("expected Open({endpoint:?}), got {other:?}"),
    }
}

/// Fails one whole attempt (telemetry, then ws) and returns the actions of the second close.
fn fail_attempt(l: &mut Link, now: f64) -> Vec<LinkAction> {
    let prefer = if l.info().telemetry_missing {
        EndpointKind::Ws
    } else {
        EndpointKind::Telemetry
    };
    let open = match prefer {
        EndpointKind::Telemetry => {
            let g = l.generation;
            let a = l.closed(g, 1006, now);
            opened_gen(&a, EndpointKind::Ws)
        }
        _ => l.generation,
    };
    l.closed(open, 1006, now)
}

fn timer_at(actions: &[LinkAction]) -> f64 {
    actions
        .iter()
        .find_map(|a| match a {
            LinkAction::ArmTimer(at) => Some(*at),
            _ => None,
        })
        .expect("a timer")
}

#[test]
fn telemetry_first_then_ws_within_the_same_attempt() {
    let mut l = link();
    let g = opened_gen(&l.start(), EndpointKind::Telemetry);
    let a = l.closed(g, 1006, 0.0);
    let g2 = opened_gen(&a, EndpointKind::Ws);
    assert_eq!(l.info().attempt, 0, "the fallback is not a new attempt");
    assert_eq!(l.opened(g2), vec![LinkAction::Connected(EndpointKind::Ws)]);
    assert!(l.info().telemetry_missing);
    assert_eq!(l.info().endpoint, Some(EndpointKind::Ws));
}

#[test]
fn backoff_then_the_slow_watch_then_back_by_itself() {
    let mut l = link();
    l.start();
    let mut now = 0.0;
    for (attempt, delay) in [
        (1, 1000.0),
        (2, 2000.0),
        (3, 4000.0),
        (4, 8000.0),
        (5, 16000.0),
    ] {
        let a = fail_attempt(&mut l, now);
        assert!(a.contains(&LinkAction::CheckRefusal));
        assert_eq!(timer_at(&a), now + delay);
        assert_eq!(l.info().state, ConnectionState::Reconnecting);
        assert_eq!(l.info().attempt, attempt);
        now += delay;
        let open = l.timer_fired(now);
        assert!(matches!(open[0], LinkAction::Open { .. }));
    }
    // The sixth failure gives up the quick attempts and starts watching.
    let a = fail_attempt(&mut l, now);
    assert_eq!(l.info().state, ConnectionState::Offline);
    assert_eq!(l.info().watch_probes, Some(0));
    let probe_at = timer_at(&a);
    assert_eq!(probe_at, now + 30_000.0);
    // An early timer sends nothing and re-arms for the same time.
    assert_eq!(timer_at(&l.timer_fired(now + 10.0)), probe_at);
    assert_eq!(l.timer_fired(probe_at), vec![LinkAction::ProbeAlive]);
    // Still down: probe again 30 s later.
    let again = l.probe_answered(false, probe_at + 5.0);
    assert_eq!(timer_at(&again), probe_at + 30_005.0);
    assert_eq!(l.info().watch_probes, Some(1));
    assert_eq!(
        l.timer_fired(probe_at + 30_005.0),
        vec![LinkAction::ProbeAlive]
    );
    // Back: reconnect with a fresh set of attempts.
    let back = l.probe_answered(true, probe_at + 30_010.0);
    let g = opened_gen(&back, EndpointKind::Telemetry);
    assert_eq!(l.info().state, ConnectionState::Connecting);
    assert_eq!(l.info().watch_probes, None.or(l.info().watch_probes));
    assert_eq!(
        l.opened(g),
        vec![LinkAction::Connected(EndpointKind::Telemetry)]
    );
    assert_eq!(l.info().watch_probes, None);
    assert_eq!(l.info().state, ConnectionState::Open);
}

#[test]
fn coming_online_or_visible_probes_at_once_but_not_twice() {
    let mut l = link();
    l.start();
    let mut now = 0.0;
    for _ in 0..6 {
        fail_attempt(&mut l, now);
        now += 20_000.0;
        l.timer_fired(now);
    }
    assert!(l.is_watching());
    assert_eq!(
        l.wake(now + 1.0),
        vec![LinkAction::CancelTimer, LinkAction::ProbeAlive]
    );
    assert!(
        l.wake(now + 2.0).is_empty(),
        "one probe in flight at a time"
    );
    let later = l.probe_answered(false, now + 3.0);
    assert_eq!(timer_at(&later), now + 30_003.0);
    assert!(
        l.wake(now + 4.0).is_empty(),
        "a probe a moment ago tells enough"
    );
    assert_eq!(
        l.wake(now + 5_000.0),
        vec![LinkAction::CancelTimer, LinkAction::ProbeAlive]
    );
}

#[test]
fn not_watching_a_wake_does_nothing() {
    let mut l = link();
    l.start();
    assert!(l.wake(10.0).is_empty());
}

#[test]
fn a_refusal_stops_reconnecting_and_says_why() {
    let mut l = link();
    l.start();
    let a = fail_attempt(&mut l, 0.0);
    assert!(a.contains(&LinkAction::CheckRefusal));
    let refusal = Refusal {
        reason: "origin-not-allowed".into(),
        setting: Some("COMFY_TELEMETRY_ALLOWED_ORIGINS".into()),
        message: "add it".into(),
    };
    let stop = l.refusal_checked(Some(refusal.clone()));
    assert_eq!(stop, vec![LinkAction::Close, LinkAction::CancelTimer]);
    assert_eq!(l.info().state, ConnectionState::Offline);
    assert_eq!(l.info().refused.as_ref(), Some(&refusal));
    assert_eq!(l.info().next_attempt_at_ms, None);
    // The backoff's timer, if it still fires, opens nothing.
    assert!(l.timer_fired(1000.0).is_empty());
    // Retry asks again, from attempt zero.
    let g = opened_gen(&l.retry(), EndpointKind::Telemetry);
    assert_eq!(l.info().refused, None);
    assert_eq!(l.info().attempt, 0);
    assert!(g > 0);
}

#[test]
fn no_refusal_changes_nothing() {
    let mut l = link();
    l.start();
    fail_attempt(&mut l, 0.0);
    let before = l.info().clone();
    assert!(l.refusal_checked(None).is_empty());
    assert_eq!(l.info(), &before);
}

#[test]
fn a_drop_after_open_is_lost_and_only_a_frame_resets_the_backoff() {
    let mut l = link();
    let g = opened_gen(&l.start(), EndpointKind::Telemetry);
    l.opened(g);
    let a = l.closed(g, 1001, 0.0);
    assert_eq!(a[0], LinkAction::Lost);
    assert!(!a.contains(&LinkAction::CheckRefusal));
    assert_eq!(l.info().attempt, 1);
    // Opens again but says nothing, drops: the attempts keep counting.
    let g = opened_gen(&l.timer_fired(1000.0), EndpointKind::Telemetry);
    l.opened(g);
    l.closed(g, 1006, 1000.0);
    assert_eq!(l.info().attempt, 2);
    // Opens and speaks: counted from zero again.
    let g = opened_gen(&l.timer_fired(3000.0), EndpointKind::Telemetry);
    l.opened(g);
    assert!(l.spoke(g));
    assert!(!l.spoke(g), "only the first frame changes anything");
    assert_eq!(l.info().attempt, 0);
    l.closed(g, 1006, 5000.0);
    assert_eq!(l.info().attempt, 1);
    assert_eq!(l.info().retry_delay_ms, Some(1000));
}

#[test]
fn events_of_a_replaced_or_stopped_socket_are_ignored() {
    let mut l = link();
    let old = opened_gen(&l.start(), EndpointKind::Telemetry);
    let new = opened_gen(&l.retry(), EndpointKind::Telemetry);
    assert!(l.opened(old).is_empty());
    assert!(l.closed(old, 1006, 0.0).is_empty());
    assert!(!l.spoke(old));
    l.opened(new);
    assert_eq!(l.stop(), vec![LinkAction::Close, LinkAction::CancelTimer]);
    assert!(l.closed(new, 1006, 0.0).is_empty());
    assert!(l.timer_fired(10.0).is_empty());
}

#[test]
fn a_demo_shows_open_on_the_demo_endpoint_and_never_reconnects() {
    let mut l = link();
    let g = opened_gen(&l.start(), EndpointKind::Telemetry);
    l.playing_demo();
    assert_eq!(l.info().state, ConnectionState::Open);
    assert_eq!(l.info().endpoint, Some(EndpointKind::Demo));
    assert!(l.closed(g, 1006, 0.0).is_empty());
    assert!(l.timer_fired(1000.0).is_empty());
}
