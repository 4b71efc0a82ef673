use leptos::prelude::*;
use telemetry_core::format;
use telemetry_core::history::plot::{run_plot, Frame};
use telemetry_core::history::series::RunSeries;

const W: f64 = 600.0;
const H: f64 = 190.0;
/// Progress and memory on top, the step rate below: one picture, two scales that never
/// overlap.
const UPPER: Frame = Frame {
    width: W,
    height: H,
    left: 44.0,
    right: 54.0,
    top: 8.0,
    bottom: 70.0,
};
const LOWER: Frame = Frame {
    width: W,
    height: H,
    left: 44.0,
    right: 54.0,
    top: 136.0,
    bottom: 16.0,
};

/// A run at a glance: progress over time, memory with its peak, and the step rate, drawn from
/// the run's series (live, or as stored with the run). It reads only `series`, so a new sample
/// redraws this figure and nothing else on the page.
#[component]
pub fn RunChart(#[prop(into)] series: Signal<Option<RunSeries>>) -> impl IntoView {
    let attr = move |f: fn(&RunSeries) -> Option<String>| {
        move || series.with(|s| s.as_ref().and_then(f).unwrap_or_default())
    };
    view! {
        <figure class="card span-2 run-chart" data-testid="run-chart"
            data-run-id=attr(|s| Some(s.prompt_id.clone()))
            data-points=move || series.with(|s| s.as_ref().map_or(0, |s| s.samples.len())).to_string()
            data-span-ms=attr(|s| Some(s.span_ms().round().to_string()))
            data-memory=attr(|s| Some(s.memory.as_str().to_owned()))
            data-peak-mb=attr(|s| s.peak_mb.map(|p| p.round().to_string()))
            data-progress=attr(|s| s.latest().and_then(|l| l.progress).map(|p| format!("{p:.3}")))
            data-step-rate=attr(|s| s.latest().and_then(|l| l.step_rate).map(|r| format!("{r:.2}")))>
            <figcaption>
                <h2>"Run over time"</h2>
                <span class="muted">{move || series.with(|s| s.as_ref().map(RunSeries::summary))}</span>
            </figcaption>
            {move || series.with(|s| match s.as_ref().filter(|s| !s.samples.is_empty()) {
                None => view! { <p class="muted small">"The chart fills in while a run is watched live."</p> }.into_any(),
                Some(s) => chart(s).into_any(),
            })}
        </figure>
    }
}

/// The SVG for one state of the series; cheap to rebuild (at most 240 samples, every 200 ms).
fn chart(s: &RunSeries) -> impl IntoView {
    let plot = run_plot(s, UPPER, LOWER);
    let mem = s.memory.label();
    let (x0, x1) = (UPPER.left, W - UPPER.right);
    let (top, mid) = (UPPER.top, H - UPPER.bottom);
    let (rate_top, rate_base) = (LOWER.top, H - LOWER.bottom);
    let peak = plot.peak.map(|(x, y)| {
        let label = format!("peak {} MB", format::number(s.peak_mb.unwrap_or(0.0).round()));
        let anchor = if x > W / 2.0 { "end" } else { "start" };
        view! {
            <circle class="peak" cx=format!("{x:.1}") cy=format!("{y:.1}") r="3.5"/>
            <text x=format!("{x:.1}") y=format!("{:.1}", (y - 6.0).max(10.0)) text-anchor=anchor>{label}</text>
        }
    });
    view! {
        <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=s.summary() focusable="false">
            <line class="grid" x1=x0 y1=mid x2=x1 y2=mid/>
            <line class="grid" x1=x0 y1=top x2=x1 y2=top/>
            <line class="grid" x1=x0 y1=rate_base x2=x1 y2=rate_base/>
            <text x="2" y=top + 4.0>"100%"</text>
            <text x="2" y=mid>"0%"</text>
            <text x=W - 2.0 y=top + 4.0 text-anchor="end">{format!("{} MB", format::number(plot.mem_max))}</text>
            <text x=W - 2.0 y=mid text-anchor="end">{format!("0 {mem}")}</text>
            <text x="2" y=rate_top + 8.0>{format!("{}/s", format::number(plot.rate_max))}</text>
            <text x="2" y=rate_base>"0/s"</text>
            <text x=x1 y=H - 2.0 text-anchor="end">{format::duration_ms(s.span_ms())}</text>
            <text x=x0 y=H - 2.0>"0s"</text>
            <path class="progress-area" d=plot.progress_area/>
            <path class="progress-line" d=plot.progress_line/>
            <path class="mem-line" d=plot.mem_line/>
            <path class="rate-line" d=plot.rate_line/>
            {peak}
        </svg>
        <ul class="legend" aria-hidden="true">
            <li><span class="key progress"></span>"progress"</li>
            <li><span class="key mem"></span>{format!("{mem} in use")}</li>
            <li><span class="key rate"></span>"steps per second"</li>
        </ul>
    }
}
