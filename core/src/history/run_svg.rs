//! The run chart's SVG markup, built here as one string rather than as a tree of view nodes:
//! a dozen SVG elements written through the view macro cost several kB of wasm, a string costs
//! almost nothing, and the chart is redrawn whole at every sample anyway.
//!
//! Only numbers and fixed labels go into the markup, never text from the server, so it is safe
//! to set as inner HTML.

use super::plot::{run_plot, Frame};
use super::series::RunSeries;
use crate::format::{self, fixed};
use std::fmt::Write;

pub const WIDTH: f64 = 900.0;
pub const HEIGHT: f64 = 190.0;

/// Progress and memory on top, the step rate below: one picture, two scales that never
/// overlap.
pub const UPPER: Frame = Frame {
    width: WIDTH,
    height: HEIGHT,
    left: 44.0,
    right: 54.0,
    top: 8.0,
    bottom: 70.0,
};
pub const LOWER: Frame = Frame {
    width: WIDTH,
    height: HEIGHT,
    left: 44.0,
    right: 54.0,
    top: 136.0,
    bottom: 16.0,
};

/// The inside of `<svg viewBox="0 0 WIDTH HEIGHT">`: grid, axis labels, the three lines and
/// the memory peak. Empty for a series without samples.
pub fn run_svg(s: &RunSeries) -> String {
    if s.samples.is_empty() {
        return String::new();
    }
    let p = run_plot(s, UPPER, LOWER);
    let mem = s.memory.label();
    let (x0, x1) = (UPPER.left, WIDTH - UPPER.right);
    let (top, mid) = (UPPER.top, HEIGHT - UPPER.bottom);
    let (rate_top, rate_base) = (LOWER.top, HEIGHT - LOWER.bottom);
    let mut out = String::with_capacity(4096);
    // Whole pixels: the frame's edges are whole numbers.
    for y in [top, mid, rate_base] {
        let _ = write!(
            out,
            r#"<line class="grid" x1="{}" y1="{y}" x2="{}" y2="{y}"/>"#,
            fixed(x0, 0),
            fixed(x1, 0),
            y = fixed(y, 0)
        );
    }
    let mut text = |x: f64, y: f64, anchor: &str, label: &str| {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="{anchor}">{label}</text>"#,
            fixed(x, 1),
            fixed(y, 1)
        );
    };
    let right = WIDTH - 2.0;
    text(2.0, top + 4.0, "start", "100%");
    text(2.0, mid, "start", "0%");
    text(
        right,
        top + 4.0,
        "end",
        &format!("{} MB", format::number(p.mem_max)),
    );
    text(right, mid, "end", &format!("0 {mem}"));
    text(
        2.0,
        rate_top + 8.0,
        "start",
        &format!("{}/s", format::number(p.rate_max)),
    );
    text(2.0, rate_base, "start", "0/s");
    text(x0, HEIGHT - 2.0, "start", "0s");
    text(x1, HEIGHT - 2.0, "end", &format::duration_ms(s.span_ms()));
    if let (Some((x, y)), Some(mb)) = (p.peak, s.peak_mb) {
        let anchor = if x > WIDTH / 2.0 { "end" } else { "start" };
        let label = format!("peak {} MB", format::number(mb.round()));
        text(x, (y - 6.0).max(10.0), anchor, &label);
        let _ = write!(
            out,
            r#"<circle class="peak" cx="{}" cy="{}" r="3.5"/>"#,
            fixed(x, 1),
            fixed(y, 1)
        );
    }
    for (class, d) in [
        ("progress-area", &p.progress_area),
        ("progress-line", &p.progress_line),
        ("mem-line", &p.mem_line),
        ("rate-line", &p.rate_line),
    ] {
        let _ = write!(out, r#"<path class="{class}" d="{d}"/>"#);
    }
    // Every other device, dashed, numbered from 2 as the legend says.
    for (i, d) in p.more_lines.iter().enumerate() {
        let _ = write!(out, r#"<path class="mem-line more-{}" d="{d}"/>"#, i + 2);
    }
    out
}

/// The chart's machine-readable attributes (see the UI contract): numbers without units,
/// empty when unknown. `data-run-id` is the only text from the server; it is set as an
/// attribute value, never parsed as markup.
pub fn data_attributes(s: Option<&RunSeries>) -> [(&'static str, String); 8] {
    let last = s.and_then(RunSeries::latest);
    let opt = |v: Option<String>| v.unwrap_or_default();
    [
        ("data-run-id", opt(s.map(|s| s.prompt_id.clone()))),
        ("data-points", s.map_or(0, |s| s.samples.len()).to_string()),
        (
            "data-span-ms",
            opt(s.map(|s| fixed(s.span_ms().round(), 0))),
        ),
        ("data-memory", opt(s.map(|s| s.memory.as_str().to_owned()))),
        (
            "data-peak-mb",
            opt(s.and_then(|s| s.peak_mb).map(|p| fixed(p.round(), 0))),
        ),
        (
            "data-progress",
            opt(last.and_then(|l| l.progress).map(|p| fixed(p, 3))),
        ),
        (
            "data-step-rate",
            opt(last.and_then(|l| l.step_rate).map(|r| fixed(r, 2))),
        ),
        ("data-devices", opt(s.map(|s| s.devices().to_string()))),
    ]
}

/// The note shown in place of the plot while there are no samples (a macro so that
/// [`NO_SERIES_HTML`] can be one `concat!` of it).
macro_rules! no_samples_note {
    () => {
        r#"<p class="muted small">The chart fills in while a run is watched live.</p>"#
    };
}

/// `figure_html(None)`: the caption and the note, before any run is watched. A constant, so the
/// live page shows it without the drawing code (a wasm chunk of its own, `RunChart`).
pub const NO_SERIES_HTML: &str = concat!(
    r#"<figcaption><h2>Run over time</h2><span class="muted"></span></figcaption>"#,
    no_samples_note!()
);

/// The figure's inside: caption (heading and a one-sentence summary), the SVG with that
/// summary as its accessible name, and a legend; or a note while there are no samples.
pub fn figure_html(s: Option<&RunSeries>) -> String {
    let Some(s) = s else {
        return NO_SERIES_HTML.to_owned();
    };
    let summary = s.summary();
    let mut out = format!(
        r#"<figcaption><h2>Run over time</h2><span class="muted">{summary}</span></figcaption>"#
    );
    if s.samples.is_empty() {
        out.push_str(no_samples_note!());
        return out;
    }
    let mem = s.memory.label();
    // A multi-GPU server: "GPU 1 VRAM", then each other device by its number.
    let mut more = String::new();
    for i in 2..=s.devices() {
        let _ = write!(
            more,
            r#"<span><span class="key mem more-{i}"></span>GPU {i} {mem} in use</span>"#
        );
    }
    let first = if more.is_empty() { "" } else { "GPU 1 " };
    let _ = write!(
        out,
        r#"<svg viewBox="0 0 {} {}" role="img" focusable="false" aria-label="{summary}">{}</svg><p class="legend" aria-hidden="true"><span><span class="key progress"></span>progress</span><span><span class="key mem"></span>{first}{mem} in use</span>{more}<span><span class="key rate"></span>steps per second</span></p>"#,
        fixed(WIDTH, 0),
        fixed(HEIGHT, 0),
        run_svg(s)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::series::Sample;

    #[test]
    fn draws_lines_labels_and_the_peak() {
        let mut s = RunSeries::new("p", 0.0);
        assert_eq!(run_svg(&s), "");
        for i in 0..3 {
            s.push(Sample {
                t_ms: f64::from(i) * 1_000.0,
                nodes_done: 0,
                nodes_total: Some(2),
                step: None,
                steps: None,
                step_rate: Some(1.5),
                mem_mb: Some(1_000.0 + f64::from(i)),
                progress: Some(f64::from(i) / 2.0),
                gpu2_mb: None,
                gpu3_mb: None,
                gpu4_mb: None,
            });
        }
        let svg = run_svg(&s);
        assert!(
            svg.contains(r#"<path class="progress-line" d="M44.0,120.0 L"#),
            "{svg}"
        );
        assert!(
            svg.contains("peak 1,002 MB") || svg.contains("peak 1002 MB"),
            "{svg}"
        );
        assert!(svg.contains(">2/s<"), "{svg}");
        assert!(svg.contains(">2.0s<"), "{svg}");
        assert_eq!(svg.matches("<path ").count(), 4);
        let html = figure_html(Some(&s));
        assert!(
            html.contains(r#"role="img""#) && html.contains("VRAM in use"),
            "{html}"
        );
        assert!(figure_html(None).contains("fills in"));
        assert_eq!(figure_html(None), NO_SERIES_HTML);
        // A run without samples yet: its summary, and the same note.
        let empty = figure_html(Some(&RunSeries::new("q", 0.0)));
        assert!(
            empty.contains("No samples yet.") && empty.contains("fills in"),
            "{empty}"
        );
        let attrs = data_attributes(Some(&s));
        assert_eq!(attrs[1], ("data-points", "3".to_owned()));
        assert_eq!(attrs[4], ("data-peak-mb", "1002".to_owned()));
        assert_eq!(data_attributes(None)[1].1, "0");
        assert_eq!(attrs[7], ("data-devices", "1".to_owned()));
        // A second GPU: its own dashed line, in the legend by number.
        s.record_more([Some(500.0 * 1024.0 * 1024.0)]);
        let html = figure_html(Some(&s));
        assert!(html.contains(r#"class="mem-line more-2""#), "{html}");
        assert!(
            html.contains("GPU 1 VRAM in use") && html.contains("GPU 2 VRAM in use"),
            "{html}"
        );
        assert_eq!(data_attributes(Some(&s))[7].1, "2");
    }
}
