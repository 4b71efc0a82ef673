use super::local_time::{local, local_date};
use crate::state::Computed;
use crate::ui::text::CollectAny;
use leptos::prelude::*;
use telemetry_core::format::{self, fixed};
use telemetry_core::history::query::format_date;
use telemetry_core::history::stats::Point;

/// A small SVG chart over time: points with a tooltip naming the time and value, a labelled
/// value axis, and first/last dates. SVG rather than a chart crate keeps the bundle small.
/// Times are the reader's own (the zone named in each tooltip); a chart of UTC days
/// (`utc_days`) labels its days as UTC dates, since a day's bucket is a UTC day. Numbers go
/// through `format::fixed`, never `f64`'s `Display`, whose formatter is ~12 kB (issue #22).
#[component]
pub fn LineChart(
    title: &'static str,
    unit: &'static str,
    #[prop(into)] points: Computed<Vec<Point>>,
    #[prop(optional)] percent: bool,
    #[prop(optional)] utc_days: bool,
) -> impl IntoView {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    const PAD: f64 = 36.0;
    let shown = move |v: f64| {
        if percent {
            fixed((v * 100.0).round(), 0) + "%"
        } else {
            format!("{}{unit}", format::number(v))
        }
    };
    let day = move |ms: f64| {
        if utc_days {
            format!("{} UTC", format_date(ms))
        } else {
            local_date(ms)
        }
    };
    let moment = move |ms: f64| if utc_days { day(ms) } else { local(ms) };
    let n = |v: f64| fixed(v, 1);
    view! {
        <figure class="chart">
            <figcaption>{title}</figcaption>
            {move || {
                let pts = points.get();
                if pts.is_empty() {
                    return view! { <p class="muted small">"No data for this filter."</p> }.into_any();
                }
                let (x0, x1) = (pts[0].start_ms, pts[pts.len() - 1].start_ms);
                let (mut y0, mut y1) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.value), b.max(p.value)));
                if percent { y0 = 0.0; y1 = 1.0; }
                if (y1 - y0).abs() < f64::EPSILON { y0 -= 1.0; y1 += 1.0; }
                let x = move |t: f64| if x1 > x0 { PAD + (t - x0) / (x1 - x0) * (W - 2.0 * PAD) } else { W / 2.0 };
                let y = move |v: f64| H - PAD / 2.0 - (v - y0) / (y1 - y0) * (H - PAD);
                let path = pts.iter().enumerate().map(|(i, p)| format!("{}{},{}", if i == 0 { "M" } else { "L" }, fixed(x(p.start_ms), 1), fixed(y(p.value), 1))).collect::<Vec<_>>().join(" ");
                let dots = pts.iter().map(|p| {
                    let tip = format!("{}: {}", moment(p.start_ms), shown(p.value));
                    view! { <circle cx=fixed(x(p.start_ms), 1) cy=fixed(y(p.value), 1) r="2.5"><title>{tip}</title></circle> }
                }).collect_any();
                view! {
                    <svg viewBox=format!("0 0 {} {}", n(W), n(H)) role="img" aria-label=title class="chart-svg">
                        <line x1=n(PAD) y1=n(H - PAD / 2.0) x2=n(W - PAD) y2=n(H - PAD / 2.0) class="axis"/>
                        <text x="2" y=fixed(y(y1) + 4.0, 1) class="tick">{shown(y1)}</text>
                        <text x="2" y=fixed(y(y0), 1) class="tick">{shown(y0)}</text>
                        <text x=n(PAD) y=n(H - 2.0) class="tick">{day(x0)}</text>
                        <text x=n(W - PAD) y=n(H - 2.0) class="tick" text-anchor="end">{day(x1)}</text>
                        <path d=path class="line"/>
                        {dots}
                    </svg>
                }.into_any()
            }}
        </figure>
    }
}
