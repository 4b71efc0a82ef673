use super::Show;
use crate::state::use_live;
use crate::state::Live;
use crate::ui::text::{part, text, CollectAny};
use leptos::prelude::*;
use telemetry_core::format::{self, MIB};
use telemetry_core::tracker::GpuState;

/// Whole MiB for a `data-*-mb` attribute; empty when not measured.
fn mb(bytes: Option<f64>) -> String {
    bytes
        .map(|b| ((b / MIB).round() as i64).to_string())
        .unwrap_or_default()
}

/// The latest VRAM reading, from whichever source sent it, and every device the server lists.
#[component]
pub fn GpuStatus() -> impl IntoView {
    let live = use_live();
    let g = live.gpu;
    let latest = move || g.with(|g| g.latest.clone());
    view! {
        <section class="card" data-testid="gpu-status"
            data-name=text(move || latest().and_then(|r| r.name).unwrap_or_default())
            data-vram-total-mb=text(move || mb(latest().and_then(|r| r.vram_total)))
            data-vram-free-mb=text(move || mb(latest().and_then(|r| r.vram_free)))>
            <h2>"GPU"</h2>
            {part(move || match latest() {
                None => view! { <p class="muted">"No GPU reading yet."</p> }.into_any(),
                Some(r) => {
                    let used = r.vram_used();
                    let fraction = match (used, r.vram_total) {
                        (Some(u), Some(t)) if t > 0.0 => Some(u / t),
                        _ => None,
                    };
                    view! {
                        <p><strong>{r.name.clone().unwrap_or_else(|| "unknown device".into())}</strong>
                            {r.cpu_only.then_some(" · CPU only: figures are system RAM")}</p>
                        // A meter needs its value; without a reading it is only decoration.
                        <div class="bar" role=fraction.map(|_| "meter") aria-hidden=fraction.is_none().then_some("true")
                            aria-label=if r.cpu_only { "RAM used" } else { "VRAM used" } aria-valuemin="0" aria-valuemax="100"
                            aria-valuenow=fraction.map(|f| ((f * 100.0).round() as i64).to_string())>
                            <div class="bar-fill" style:transform=format::scale_x(fraction.unwrap_or(0.0))></div>
                        </div>
                        <p class="small">
                            {format!("{} used of {} · {} free",
                                used.map(format::mb).unwrap_or_else(|| "unknown".into()),
                                r.vram_total.map(format::mb).unwrap_or_else(|| "unknown".into()),
                                r.vram_free.map(format::mb).unwrap_or_else(|| "unknown".into()))}
                        </p>
                        <p class="muted small">
                            {format!("utilisation {} · temperature {} · from {}",
                                r.utilization.map(|u| format!("{}%", format::number(u))).unwrap_or_else(|| "unknown".into()),
                                r.temperature.map(|t| format!("{} °C", format::number(t))).unwrap_or_else(|| "unknown".into()),
                                r.source.as_str())}
                        </p>
                    }.into_any()
                }
            })}
            <GpuDevices gpu=g/>
            <Show when=move || g.with(|g| g.stats_failed)>
                <p class="warn-text small">"/system_stats is not answering; memory figures may be stale."</p>
            </Show>
        </section>
    }
}

/// Every device `/system_stats` lists, the primary first as the server orders them: a server
/// with two GPUs shows both, not only the one the stream samples.
#[component]
pub fn GpuDevices(
    /// The server's GPU state (the live page's, or a fleet card's own).
    gpu: Live<GpuState>,
) -> impl IntoView {
    let g = gpu;
    let devices = move || {
        g.with(|g| {
            g.stats
                .as_ref()
                .map(|s| s.devices.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <Show when=move || !devices().is_empty()>
            <ul class="small gpu-devices" aria-label="Devices">
                {part(move || devices().into_iter().enumerate().map(|(i, d)| {
                    let cpu = d.kind == "cpu" || d.name == "cpu";
                    let used = match (d.vram_total, d.vram_free) {
                        (Some(t), Some(f)) => Some((t - f).max(0.0)),
                        _ => None,
                    };
                    let text = format!("{}: {} used of {}{}",
                        d.name,
                        used.map(format::mb).unwrap_or_else(|| "unknown".into()),
                        d.vram_total.map(format::mb).unwrap_or_else(|| "unknown".into()),
                        if cpu { " (system RAM)" } else { "" });
                    view! {
                        <li data-testid="gpu-device" data-index=d.index.unwrap_or(i as i64).to_string()
                            data-name=d.name data-vram-total-mb=mb(d.vram_total)
                            data-vram-free-mb=mb(d.vram_free)>{text}</li>
                    }
                }).collect_any().into_any())}
            </ul>
        </Show>
    }
}
