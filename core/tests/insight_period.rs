//! The report's period selector (`ReportPeriod`): a preset chosen today is recognised as that
//! preset, and any other bounds (the history tab's dates, a preset chosen on an earlier day)
//! are a custom range named by its dates.

use telemetry_core::history::query::parse_date;
use telemetry_core::history::HistoryQuery;
use telemetry_core::insight::ReportPeriod;

const DAY: f64 = 86_400_000.0;

fn day(s: &str) -> f64 {
    parse_date(s).expect("a date")
}

/// 2026-12-05 15:30 UTC.
fn now() -> f64 {
    day("2026-12-05") + 15.5 * 3_600_000.0
}

fn bounds(from: Option<&str>, to: Option<&str>) -> HistoryQuery {
    HistoryQuery {
        from_ms: from.map(day),
        to_ms: to.map(|t| day(t) + DAY),
        ..HistoryQuery::default()
    }
}

#[test]
fn each_preset_chosen_today_is_recognised_as_itself() {
    for preset in ReportPeriod::PRESETS {
        let mut q = bounds(Some("2026-01-01"), Some("2026-02-01"));
        preset.apply(&mut q, now());
        assert_eq!(ReportPeriod::of(&q, now()), preset, "{preset:?}");
        assert_eq!(ReportPeriod::parse(&preset.value()), preset);
    }
}

#[test]
fn the_last_seven_days_start_at_midnight_six_days_before_today() {
    let mut q = HistoryQuery::default();
    ReportPeriod::LastDays(7).apply(&mut q, now());
    assert_eq!(q.from_ms, Some(day("2026-11-29")));
    assert_eq!(q.to_ms, None);
    assert_eq!(ReportPeriod::LastDays(7).label(&q), "Last 7 days");
}

#[test]
fn other_bounds_are_a_custom_range_named_by_their_dates() {
    let cases = [
        (
            Some("2026-11-01"),
            Some("2026-11-15"),
            "Custom: 2026-11-01 to 2026-11-15",
        ),
        (Some("2026-11-01"), None, "Custom: from 2026-11-01"),
        (None, Some("2026-11-15"), "Custom: until 2026-11-15"),
        // Six days back but with an end: not the preset, which has none.
        (
            Some("2026-11-29"),
            Some("2026-12-05"),
            "Custom: 2026-11-29 to 2026-12-05",
        ),
    ];
    for (from, to, label) in cases {
        let q = bounds(from, to);
        let period = ReportPeriod::of(&q, now());
        assert_eq!(period, ReportPeriod::Custom, "{from:?} {to:?}");
        assert_eq!(period.label(&q), label);
        assert_eq!(period.value(), "custom");
    }
}

#[test]
fn a_preset_chosen_on_an_earlier_day_is_custom_today() {
    let mut q = HistoryQuery::default();
    ReportPeriod::LastDays(30).apply(&mut q, now() - 2.0 * DAY);
    assert_eq!(
        ReportPeriod::of(&q, now() - 2.0 * DAY),
        ReportPeriod::LastDays(30)
    );
    assert_eq!(ReportPeriod::of(&q, now()), ReportPeriod::Custom);
}

#[test]
fn choosing_custom_keeps_the_bounds() {
    let mut q = bounds(Some("2026-11-01"), Some("2026-11-15"));
    let before = q.clone();
    ReportPeriod::parse("custom").apply(&mut q, now());
    assert_eq!(q, before);
}
