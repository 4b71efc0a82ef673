//! A multi-GPU server's run chart: the other devices' memory is kept with each sample and
//! stored with the series, and records written before it still decode.

use telemetry_core::history::series::{RunSeries, Sample};

const MB: f64 = 1024.0 * 1024.0;

fn sample(t_ms: f64, mem: Option<f64>) -> Sample {
    Sample {
        t_ms,
        nodes_done: 0,
        nodes_total: Some(4),
        step: None,
        steps: None,
        step_rate: None,
        mem_mb: mem,
        progress: Some(0.25),
        gpu2_mb: None,
        gpu3_mb: None,
        gpu4_mb: None,
    }
}

#[test]
fn other_gpus_are_stored_with_the_series_and_older_records_still_decode() {
    let mut s = RunSeries::new("p", 0.0);
    s.push(sample(0.0, Some(1_000.0)));
    let plain = serde_json::to_string(&s).expect("encodes");
    assert!(
        !plain.contains("gpu2_mb"),
        "nothing written when not measured"
    );
    s.record_more([Some(2.0 * MB), None, Some(MB)]);
    assert_eq!(s.devices(), 4, "the fourth keeps its number");
    let back: RunSeries =
        serde_json::from_str(&serde_json::to_string(&s).expect("encodes")).expect("decodes");
    assert_eq!(back.samples[0].more_mb(), [Some(2.0), None, Some(1.0)]);
    let old: RunSeries = serde_json::from_str(&plain).expect("an older record decodes");
    assert_eq!(old.devices(), 1);
}
