//! Throughput comparison, not a test (ignored): the recorded frames read by the old serde_json
//! path (derived envelope, `RawValue` fields, `from_str::<Value>` per field) and by this
//! module's (envelope and fields scanner, `parse` per field), in the same run, alternated, and
//! the ratio printed (above 1: the new path is faster). Run it with
//! `cargo test --release -p telemetry-core --lib json::bench -- --ignored --nocapture`
//! (`frame_reading_parts` times the envelope, the fields and the per-field `parse` separately).

use super::serde_reference::{old_envelope, old_fields};
use super::tests::recorded_texts;
use super::{envelope, fields, parse};
use serde_json::Value;
use std::hint::black_box;
use std::time::Instant;

/// The recorded frames (texts with a string `type`).
fn frames() -> Vec<String> {
    recorded_texts()
        .into_iter()
        .filter(|t| t.len() < 100_000)
        .filter(|t| matches!(envelope(t), Ok(e) if e.kind.is_some()))
        .collect()
}

fn old_path(frames: &[String]) -> usize {
    let mut n = 0;
    for frame in frames {
        let Ok((_, Some(data))) = old_envelope(frame) else {
            continue;
        };
        for (_, raw) in old_fields(data).ok().flatten().unwrap_or_default() {
            n += serde_json::from_str::<Value>(raw).is_ok() as usize;
        }
    }
    n
}

fn new_path(frames: &[String]) -> usize {
    let mut n = 0;
    for frame in frames {
        let Ok(e) = envelope(frame) else { continue };
        let Some(data) = e.data else { continue };
        for (_, raw) in fields(data).ok().flatten().unwrap_or_default() {
            n += parse(raw).is_ok() as usize;
        }
    }
    n
}

fn time(f: impl Fn() -> usize, rounds: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..rounds {
        black_box(f());
    }
    start.elapsed().as_secs_f64()
}

#[test]
#[ignore]
fn frame_reading_old_and_new() {
    let frames = frames();
    let bytes: usize = frames.iter().map(String::len).sum();
    assert_eq!(old_path(&frames), new_path(&frames));
    let rounds = (200_000_000 / bytes.max(1)).max(1);
    let (mut old, mut new, mut decode) = (0.0, 0.0, 0.0);
    for _ in 0..5 {
        old += time(|| old_path(&frames), rounds);
        new += time(|| new_path(&frames), rounds);
        decode += time(
            || {
                frames
                    .iter()
                    .filter(|f| crate::protocol::decode_text(f).is_ok())
                    .count()
            },
            rounds,
        );
    }
    let mb = (bytes * rounds * 5) as f64 / 1e6;
    println!(
        "{} frames, {bytes} bytes, x{rounds} x5: old {:.0} MB/s, new {:.0} MB/s, \
         new/old speed {:.2}x; whole decode_text (new) {:.0} MB/s",
        frames.len(),
        mb / old,
        mb / new,
        old / new,
        mb / decode
    );
}

#[test]
#[ignore]
fn frame_reading_parts() {
    let frames = frames();
    let datas: Vec<&str> = frames
        .iter()
        .filter_map(|f| envelope(f).ok()?.data)
        .collect();
    let raws: Vec<&str> = datas
        .iter()
        .flat_map(|d| fields(d).ok().flatten().unwrap_or_default())
        .map(|(_, r)| r)
        .collect();
    let r = 300;
    let env_old = time(
        || frames.iter().filter(|f| old_envelope(f).is_ok()).count(),
        r,
    );
    let env_new = time(|| frames.iter().filter(|f| envelope(f).is_ok()).count(), r);
    let f_old = time(|| datas.iter().filter(|d| old_fields(d).is_ok()).count(), r);
    let f_new = time(|| datas.iter().filter(|d| fields(d).is_ok()).count(), r);
    let p_old = time(
        || {
            raws.iter()
                .filter(|d| serde_json::from_str::<Value>(d).is_ok())
                .count()
        },
        r,
    );
    let p_new = time(|| raws.iter().filter(|d| parse(d).is_ok()).count(), r);
    println!(
        "envelope old/new {:.2}, fields {:.2}, parse {:.2}",
        env_old / env_new,
        f_old / f_new,
        p_old / p_new
    );
}
