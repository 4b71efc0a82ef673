//! A horizontal bar chart in SVG, drawn by us: one labelled bar per row, an optional second
//! (lighter) bar for a second value such as p95 behind p50. SVG prints sharp at any size.
//! Coordinates are written to a tenth of a pixel (`format::fixed`), not with `f64`'s `Display`,
//! which would bring core's float formatter (~12 kB) into the page (issue #22).

use crate::ui::text::CollectAny;
use leptos::prelude::*;
use telemetry_core::format::fixed;

/// One bar: its label, value and optional second value, and the text shown at its end.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub second: Option<f64>,
    pub text: String,
}

const W: f64 = 640.0;
const ROW: f64 = 22.0;
const LABEL: f64 = 220.0;
const TEXT: f64 = 110.0;

/// A coordinate, to a tenth of a pixel.
fn n(v: f64) -> String {
    fixed(v, 1)
}

#[component]
pub fn BarChart(title: &'static str, bars: Vec<Bar>) -> impl IntoView {
    let max = bars
        .iter()
        .map(|b| b.second.unwrap_or(0.0).max(b.value))
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let scale = if max > 0.0 {
        (W - LABEL - TEXT) / max
    } else {
        0.0
    };
    let height = ROW * bars.len().max(1) as f64;
    let width = move |v: f64| {
        if v.is_finite() {
            (v * scale).max(1.0)
        } else {
            0.0
        }
    };
    let rows = bars
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let y = i as f64 * ROW;
            // About 7 px a character at 12 px: longer names are cut so they stay in the label
            // column (the whole name is in the tooltip).
            let label: String = if b.label.chars().count() > 30 {
                b.label.chars().take(29).chain(['\u{2026}']).collect()
            } else {
                b.label.clone()
            };
            view! {
                <g>
                    <title>{format!("{}: {}", b.label, b.text)}</title>
                    <text x=n(LABEL - 6.0) y=n(y + 15.0) text-anchor="end">{label}</text>
                    {b.second.map(|s| view! {
                        <rect class="bar-2" x=n(LABEL) y=n(y + 3.0) width=n(width(s)) height=n(ROW - 6.0)/>
                    })}
                    <rect class="bar" x=n(LABEL) y=n(y + 3.0) width=n(width(b.value)) height=n(ROW - 6.0)/>
                    <text x=n(LABEL + width(b.second.unwrap_or(0.0).max(b.value)) + 6.0) y=n(y + 15.0)>{b.text}</text>
                </g>
            }
        })
        .collect_any();
    view! {
        <figure class="chart bars">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {} {}", n(W), n(height)) role="img" aria-label=title>{rows}</svg>
        </figure>
    }
}
