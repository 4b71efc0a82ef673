//! Server input is untrusted: whatever numbers and names a stored run carries, the insight
//! engine never panics and never concludes from values that are not numbers.

mod insight_support;
use insight_support::*;
use telemetry_core::history::StoredRun;
use telemetry_core::insight::{recommend, InsightAggregates};
use telemetry_core::run::RunStatus;

fn hostile() -> Vec<StoredRun> {
    let weird = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -1.0,
        0.0,
        1e300,
        -1e300,
    ];
    let mut runs = Vec::new();
    for (i, w) in weird.iter().cycle().take(70).enumerate() {
        let mut s = Spec::new(format!("h{i}"), T0 + i as f64, *w)
            .wait(*w)
            .memory(*w, if i % 2 == 0 { *w } else { 0.0 });
        if i % 3 == 0 {
            s = s.failed("", "");
        }
        if i % 5 == 0 {
            s = s.status(RunStatus::Unknown).stream_lost();
        }
        let mut r = s.build();
        if i % 4 == 0 {
            r.start_ms = *w;
            r.duration_ms = *w;
            r.workflow = String::new();
            r.server = "\u{0}<script>".into();
        }
        runs.push(r);
    }
    runs
}

#[test]
fn nonsense_values_never_panic_and_report_as_json() {
    let runs = hostile();
    for now in [f64::NAN, 0.0, T0 + DAY, f64::INFINITY] {
        let findings = recommend(&runs, now);
        for f in &findings {
            assert!((0.0..=1.0).contains(&f.confidence), "{f:?}");
        }
        let agg = InsightAggregates::of(&runs);
        assert_eq!(agg.findings(now).len(), findings.len());
        let data = report_all(&runs, now);
        assert_eq!(data.totals.runs, runs.len());
        let json = data.to_json();
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    }
}
