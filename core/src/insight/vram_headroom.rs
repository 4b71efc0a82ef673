//! `vram-headroom`: a device's memory peaks near its size (out-of-memory risk), or stays far
//! below it (room for larger batches or sizes).
//!
//! Sample: the device's runs (one GPU name on one server) with a measured memory peak and the
//! device's size; the share is peak / size. CPU-only servers measure system RAM and say so.
//! - Near: at least [`MIN_NEAR_RUNS`] runs peaked at ≥ [`NEAR_SHARE`] of the device and a
//!   one-sided binomial test that such runs exceed 5 % of all gives p ≤ 0.05. A warning;
//!   critical when runs on the device also failed out of memory.
//! - Far: at least [`MIN_FAR_RUNS`] runs, none above [`FAR_SHARE`] of the device, no
//!   out-of-memory failure there, and a one-sided z test that the mean share is below
//!   [`FAR_SHARE`] (standard deviation floored at 0.02) gives p ≤ 0.05. Info.
//!
//! Confidence uses that p and n = the runs with a peak. Peaks are sampled (every 2 s during a
//! run), so a short spike can be missed: "far" says "measured peak".

use super::error_class::ErrorClass;
use super::facts::{RunFact, Sym};
use super::finding::MAX_EVIDENCE_RUNS;
use super::finding::{fig, pct, Evidence, Finding, Rule, Severity, Subject, Unit};
use super::stats::{mean_above_p, median, percentile, proportion_above_p, significant, top_k};
use super::Ctx;
use crate::format::mb;
use crate::history::series::MemoryKind;

pub const NEAR_SHARE: f64 = 0.9;
pub const FAR_SHARE: f64 = 0.5;
pub const MIN_NEAR_RUNS: usize = 3;
pub const MIN_FAR_RUNS: usize = 10;

pub(super) fn find(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (server, all) in &ctx.servers {
        let mut devices: Vec<(Sym, Vec<&RunFact>)> = Vec::new();
        for f in all {
            match devices.iter_mut().find(|d| d.0 == f.gpu) {
                Some(d) => d.1.push(f),
                None => devices.push((f.gpu, vec![f])),
            }
        }
        for (gpu, runs) in devices {
            device(ctx, *server, gpu, &runs, out);
        }
    }
}

fn device(ctx: &Ctx, server: Sym, gpu: Sym, runs: &[&RunFact], out: &mut Vec<Finding>) {
    let measured: Vec<(&RunFact, f64)> = runs
        .iter()
        .filter_map(|f| f.memory.map(|m| (*f, (m.peak / m.total).clamp(0.0, 1.5))))
        .collect();
    let n = measured.len();
    if n == 0 {
        return;
    }
    let ooms = runs
        .iter()
        .filter(|f| {
            f.error
                .as_ref()
                .is_some_and(|e| e.class == ErrorClass::OutOfMemory)
        })
        .count();
    let shares: Vec<f64> = measured.iter().map(|m| m.1).collect();
    let max = shares.iter().copied().fold(0.0, f64::max);
    let near = shares.iter().filter(|s| **s >= NEAR_SHARE).count();
    let (p, is_near) = if near >= MIN_NEAR_RUNS {
        (proportion_above_p(near, n, 0.05), true)
    } else if n >= MIN_FAR_RUNS && max <= FAR_SHARE && ooms == 0 {
        let free: Vec<f64> = shares.iter().map(|s| 1.0 - s).collect();
        (mean_above_p(&free, 1.0 - FAR_SHARE, 0.02), false)
    } else {
        return;
    };
    if !significant(p) {
        return;
    }
    let Some(first) = measured.first().and_then(|m| m.0.memory) else {
        return;
    };
    let total = first.total;
    let ram = first.kind == MemoryKind::Ram;
    let kind = if ram { "RAM" } else { "VRAM" };
    let device = device_name(ctx, gpu, ram);
    let server_name = ctx.name(server).to_owned();
    let med = median(&shares).unwrap_or(0.0);
    let p95 = percentile(&shares, 95.0).unwrap_or(0.0);
    let peak_bytes = measured
        .iter()
        .filter_map(|m| m.0.memory.map(|x| x.peak))
        .fold(0.0, f64::max);
    let highest = top_k(measured.iter().collect(), MAX_EVIDENCE_RUNS, |m| m.1);
    let message = if is_near {
        let oom_text = if ooms > 0 {
            format!(", and {ooms} runs there failed out of memory")
        } else {
            String::new()
        };
        format!(
                "{kind} on {device} ({server_name}) peaked at {} or more of its {} in {near} of {n} runs (highest {}){oom_text}: risk of running out of memory. Lower batch sizes or resolutions, use tiled VAE decoding, or start ComfyUI with --lowvram.",
                pct(NEAR_SHARE),
                mb(total),
                pct(max)
            )
    } else {
        format!(
                "{kind} on {device} ({server_name}) never passed {} of its {} in {n} runs (measured peak {}, median {}): there is room for larger batches or sizes, or for a second workflow at once.",
                pct(FAR_SHARE),
                mb(total),
                mb(peak_bytes),
                pct(med)
            )
    };
    let severity = match (is_near, ooms > 0) {
        (true, true) => Severity::Critical,
        (true, false) => Severity::Warning,
        _ => Severity::Info,
    };
    let evidence = Evidence::of(
        p,
        n,
        highest.iter().map(|(f, _)| ctx.run(f)).collect(),
        vec![
            fig("max_share", max, Unit::Share),
            fig("p95_share", p95, Unit::Share),
            fig("median_share", med, Unit::Share),
            fig("peak_bytes", peak_bytes, Unit::Bytes),
            fig("total_bytes", total, Unit::Bytes),
            fig("runs", n as f64, Unit::Count),
            fig("runs_near_limit", near as f64, Unit::Count),
            fig("oom_failures", ooms as f64, Unit::Count),
        ],
    );
    let detail = if is_near { "near-limit" } else { "room" };
    out.push(Finding::new(
        Rule::VramHeadroom,
        severity,
        Subject::device(ctx.name(gpu).to_owned(), server_name).detail(detail),
        message,
        evidence,
    ));
}

fn device_name(ctx: &Ctx, gpu: Sym, ram: bool) -> String {
    match ctx.name(gpu) {
        "" if ram => "the CPU".to_owned(),
        "" => "the GPU".to_owned(),
        name => name.to_owned(),
    }
}
