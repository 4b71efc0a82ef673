//! A run's series as SVG geometry: pure functions from samples to path strings, so the chart
//! component only places strings and the arithmetic is tested natively. SVG rather than a
//! chart crate keeps the bundle small.

use super::series::{RunSeries, Sample};
use crate::format::fixed;
use std::fmt::Write;

/// A linear map from a data range onto a pixel range (which may run backwards, as y does).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    /// An empty data range maps to the middle of the pixel range instead of dividing by zero.
    pub fn map(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span.abs() < f64::EPSILON || !span.is_finite() {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (v - self.d0) / span * (self.r1 - self.r0)
    }
}

/// The drawing area inside the SVG's viewBox.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    pub fn x(&self, span_ms: f64) -> Scale {
        Scale {
            d0: 0.0,
            d1: span_ms,
            r0: self.left,
            r1: self.width - self.right,
        }
    }

    pub fn y(&self, max: f64) -> Scale {
        Scale {
            d0: 0.0,
            d1: max,
            r0: self.height - self.bottom,
            r1: self.top,
        }
    }
}

/// `M x,y L x,y …` through the points that have a value; a gap (no value) starts a new
/// segment rather than drawing a line through what was not measured.
pub fn line_path(
    points: impl IntoIterator<Item = (f64, Option<f64>)>,
    x: Scale,
    y: Scale,
) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (t, v) in points {
        match v.filter(|v| v.is_finite()) {
            Some(v) => {
                let cmd = if pen_down { 'L' } else { 'M' };
                let _ = write!(d, "{}{},{} ", cmd, fixed(x.map(t), 1), fixed(y.map(v), 1));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d.truncate(d.trim_end().len());
    d
}

/// The same line closed down to the baseline, for a filled area under it (one segment: gaps
/// are drawn at the baseline).
pub fn area_path(
    points: impl IntoIterator<Item = (f64, Option<f64>)>,
    x: Scale,
    y: Scale,
) -> String {
    let pts: Vec<(f64, f64)> = points
        .into_iter()
        .map(|(t, v)| (t, v.filter(|v| v.is_finite()).unwrap_or(0.0)))
        .collect();
    let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
        return String::new();
    };
    let base = y.map(0.0);
    let mut d = format!("M{},{}", fixed(x.map(first.0), 1), fixed(base, 1));
    for (t, v) in &pts {
        let _ = write!(d, " L{},{}", fixed(x.map(*t), 1), fixed(y.map(*v), 1));
    }
    let _ = write!(d, " L{},{} Z", fixed(x.map(last.0), 1), fixed(base, 1));
    d
}

/// A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `v`.
pub fn nice_max(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    // The power of ten at or below `v`, by steps rather than `powf`/`log10`: those pull
    // about 2 kB of libm into the wasm for one axis label.
    let mut mag = 1.0;
    while mag * 10.0 <= v {
        mag *= 10.0;
    }
    while mag > v {
        mag /= 10.0;
    }
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|m| *m >= v * 0.999_999)
        .unwrap_or(10.0 * mag)
}

/// Everything the run chart draws, in viewBox units.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunPlot {
    /// Whole-run progress 0–100 %, as an area.
    pub progress_area: String,
    pub progress_line: String,
    /// Steps per second of the current node.
    pub rate_line: String,
    pub rate_max: f64,
    /// Memory in use, MB.
    pub mem_line: String,
    /// The other devices' memory in use, on the same scale (empty when not measured).
    pub more_lines: Vec<String>,
    pub mem_max: f64,
    /// Where the memory peak sits, if there is one.
    pub peak: Option<(f64, f64)>,
}

/// Lays out the three series of a run: progress (0–100 %) and memory (0 to a round number
/// above its peak) share the `upper` panel, each on its own scale; the step rate,
/// which changes with every node, gets the `lower` panel.
pub fn run_plot(series: &RunSeries, upper: Frame, lower: Frame) -> RunPlot {
    let frame = upper;
    let samples = &series.samples;
    if samples.is_empty() {
        return RunPlot::default();
    }
    let x = frame.x(series.span_ms());
    let pct = frame.y(100.0);
    let progress = || {
        samples
            .iter()
            .map(|s: &Sample| (s.t_ms, s.progress.map(|p| p * 100.0)))
    };
    let rate_max = nice_max(series.max_step_rate().unwrap_or(0.0));
    let mem_seen = samples
        .iter()
        .flat_map(|s| s.more_mb().into_iter().chain([s.mem_mb]).flatten())
        .fold(series.peak_mb.unwrap_or(0.0), f64::max);
    // Scaled to what the run used, not to the device's size: a run using 1 GB of a 24 GB card
    // would otherwise be a flat line on the floor. The caption names the peak, the badges
    // the device size.
    let mem_max = nice_max(mem_seen * 1.25);
    let mem_y = frame.y(mem_max);
    RunPlot {
        progress_area: area_path(progress(), x, pct),
        progress_line: line_path(progress(), x, pct),
        rate_line: line_path(
            samples.iter().map(|s| (s.t_ms, s.step_rate)),
            x,
            lower.y(rate_max),
        ),
        rate_max,
        mem_line: line_path(samples.iter().map(|s| (s.t_ms, s.mem_mb)), x, mem_y),
        more_lines: (0..series.devices() - 1)
            .map(|i| line_path(samples.iter().map(|s| (s.t_ms, s.more_mb()[i])), x, mem_y))
            .collect(),
        mem_max,
        peak: match (series.peak_t_ms, series.peak_mb) {
            (Some(t), Some(mb)) => Some((x.map(t), mem_y.map(mb))),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Frame = Frame {
        width: 100.0,
        height: 50.0,
        left: 0.0,
        right: 0.0,
        top: 0.0,
        bottom: 0.0,
    };

    #[test]
    fn scales_map_and_survive_an_empty_range() {
        let y = FRAME.y(10.0);
        assert_eq!(y.map(0.0), 50.0);
        assert_eq!(y.map(10.0), 0.0);
        assert_eq!(FRAME.x(0.0).map(5.0), 50.0);
    }

    #[test]
    fn lines_break_where_nothing_was_measured() {
        let d = line_path(
            [(0.0, Some(0.0)), (50.0, None), (100.0, Some(10.0))],
            FRAME.x(100.0),
            FRAME.y(10.0),
        );
        assert_eq!(d, "M0.0,50.0 M100.0,0.0");
        let d = line_path(
            [(0.0, Some(0.0)), (100.0, Some(5.0))],
            FRAME.x(100.0),
            FRAME.y(10.0),
        );
        assert_eq!(d, "M0.0,50.0 L100.0,25.0");
    }

    #[test]
    fn areas_close_on_the_baseline() {
        let d = area_path(
            [(0.0, Some(5.0)), (100.0, Some(10.0))],
            FRAME.x(100.0),
            FRAME.y(10.0),
        );
        assert_eq!(d, "M0.0,50.0 L0.0,25.0 L100.0,0.0 L100.0,50.0 Z");
        assert_eq!(area_path([], FRAME.x(1.0), FRAME.y(1.0)), "");
    }

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.2), 5.0);
        assert_eq!(nice_max(5.0), 5.0);
        assert_eq!(nice_max(7_900.0), 10_000.0);
        assert_eq!(nice_max(f64::NAN), 1.0);
        assert_eq!(nice_max(0.3), 0.5);
        assert_eq!(nice_max(1.0), 1.0);
    }

    #[test]
    fn plots_a_series_with_its_peak() {
        let mut s = RunSeries::new("p", 0.0);
        for (i, mem) in [1_000.0, 3_000.0, 2_000.0].into_iter().enumerate() {
            s.push(super::super::series::Sample {
                t_ms: i as f64 * 1_000.0,
                nodes_done: i as u32,
                nodes_total: Some(2),
                step: None,
                steps: None,
                step_rate: Some(2.0),
                mem_mb: Some(mem),
                progress: Some(i as f64 / 2.0),
                gpu2_mb: None,
                gpu3_mb: None,
                gpu4_mb: None,
            });
        }
        let p = run_plot(&s, FRAME, FRAME);
        assert_eq!(p.mem_max, 5_000.0);
        assert!(p.more_lines.is_empty());
        assert_eq!(p.rate_max, 2.0);
        assert_eq!(p.peak, Some((50.0, 20.0)));
        assert!(p.progress_line.starts_with("M0.0,50.0"));
        assert!(p.progress_line.ends_with("L100.0,0.0"));
        // A second GPU that uses more than the primary: its own line, on the same scale.
        s.record_more([Some(7_000.0 * 1024.0 * 1024.0)]);
        let p = run_plot(&s, FRAME, FRAME);
        assert_eq!((p.mem_max, s.devices()), (10_000.0, 2));
        assert_eq!(p.more_lines, vec!["M100.0,15.0".to_owned()]);
        assert_eq!(
            run_plot(&RunSeries::new("p", 0.0), FRAME, FRAME),
            RunPlot::default()
        );
    }
}
