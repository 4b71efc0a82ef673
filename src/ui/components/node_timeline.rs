use super::Rows;
use super::Show;
use crate::state::Live;
use leptos::prelude::*;
use telemetry_core::format::{self, fixed};
use telemetry_core::history::compare::timeline;
use telemetry_core::run::Run;

/// A waterfall of the run's nodes: when each started and how long it ran, cached nodes marked.
/// Times are receive times; ComfyUI sends no per-node timestamps.
#[component]
pub fn NodeTimeline(run: Live<Option<Run>>) -> impl IntoView {
    let bars = move || run.with(|r| r.as_ref().map(timeline).unwrap_or_default());
    let span = move || {
        bars()
            .iter()
            .filter_map(|b| Some(b.start_ms? + b.duration_ms.unwrap_or(0.0)))
            .fold(0.0_f64, f64::max)
            .max(1.0)
    };
    view! {
        <section class="card span-2">
            <h2>"Node timeline"</h2>
            <Show when=move || !bars().is_empty() fallback=|| view! { <p class="muted">"No node timings: this run did not stream its events."</p> }>
                <ol class="timeline" data-testid="node-timeline">
                    <Rows each=bars key=|b| (b.node_id.clone(), b.start_ms.map(f64::to_bits), b.duration_ms.map(f64::to_bits)) let:b>
                        {
                            let total = span();
                            let left = b.start_ms.map(|s| s / total * 100.0).unwrap_or(0.0);
                            let width = b.duration_ms.map(|d| (d / total * 100.0).max(0.6)).unwrap_or(0.6);
                            // A loop body says how often it ran: "2 Body ×12".
                            let times = if b.iterations > 1 { format!(" ×{}", b.iterations) } else { String::new() };
                            let label = format!("{} {}{times}", b.node_id, b.class_type.clone().unwrap_or_default());
                            let timing = match (b.start_ms, b.duration_ms) {
                                (_, _) if b.cached => "cached".to_owned(),
                                (Some(s), Some(d)) => format!("+{} · {}", format::duration_ms(s), format::duration_ms(d)),
                                (Some(s), None) => format!("+{}", format::duration_ms(s)),
                                _ => "no timing".to_owned(),
                            };
                            view! {
                                <li class="timeline-row">
                                    <span class="timeline-label" title=label.clone()>{label.clone()}</span>
                                    <span class="timeline-track">
                                        <span class="node-bar" data-testid="node-bar" data-node-id=b.node_id.clone()
                                            data-cached=b.cached.to_string() data-status=b.status.as_str()
                                            data-iterations=b.iterations.to_string() data-activity=b.activity.clone().unwrap_or_default()
                                            data-start-ms=b.start_ms.map(|s| fixed(s, 0)).unwrap_or_default()
                                            data-duration-ms=b.duration_ms.map(|d| fixed(d, 0)).unwrap_or_default()
                                            style:left=fixed(left, 2) + "%" style:width=fixed(width, 2) + "%"
                                            title=format!("{label}: {timing}")></span>
                                    </span>
                                    <span class="timeline-time small muted">{timing}{b.activity.map(|a| format!(" · {a}"))}</span>
                                </li>
                            }
                        }
                    </Rows>
                </ol>
            </Show>
        </section>
    }
}
