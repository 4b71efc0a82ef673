//! TelemetryBadges' content: one badge per field, each with a machine value (empty when
//! unknown) and a label for people. No badge ever shows a number that was not measured.

use crate::eta::{Eta, EtaBasis};
use crate::format::{self, MIB};
use crate::run::Run;

#[derive(Debug, Clone, PartialEq)]
pub struct Badge {
    pub field: &'static str,
    pub label: &'static str,
    /// Machine-readable value for `data-value`: numbers without units, ids, codes.
    pub value: Option<String>,
    /// What a person reads.
    pub display: String,
    /// Emphasis for colour: "ok", "bad", "warn" or "".
    pub tone: &'static str,
}

fn badge(
    field: &'static str,
    label: &'static str,
    value: Option<String>,
    display: Option<String>,
) -> Badge {
    Badge {
        field,
        label,
        display: display.unwrap_or_else(|| "unknown".into()),
        value,
        tone: "",
    }
}

fn secs(ms: f64) -> String {
    format::number((ms / 100.0).round() / 10.0)
}

fn mb_value(bytes: f64) -> String {
    ((bytes / MIB).round() as i64).to_string()
}

pub fn badges(run: &Run, now_ms: f64, eta: Option<Eta>) -> Vec<Badge> {
    let mut out = Vec::new();
    let mut status = badge(
        "status",
        "Status",
        Some(run.status.as_str().into()),
        Some(run.status.as_str().into()),
    );
    status.tone = match run.status.as_str() {
        "succeeded" => "ok",
        "failed" => "bad",
        "interrupted" | "unknown" | "lost" => "warn",
        _ => "",
    };
    out.push(status);
    let duration = run.duration_ms(now_ms);
    out.push(badge(
        "duration_s",
        "Duration",
        duration.map(secs),
        duration.map(format::duration_ms),
    ));
    let wait = run.queue_wait_ms();
    out.push(badge(
        "queue_wait_s",
        "Queue wait",
        wait.map(secs),
        wait.map(format::duration_ms),
    ));
    let done = run.nodes_done();
    out.push(badge(
        "nodes_done",
        "Nodes done",
        Some(done.to_string()),
        Some(match run.node_total {
            Some(t) => format!("{done} of {t}"),
            None => format!("{done} of ?"),
        }),
    ));
    out.push(badge(
        "nodes_total",
        "Nodes",
        run.node_total.map(|t| t.to_string()),
        run.node_total.map(|t| t.to_string()),
    ));
    out.push(badge(
        "nodes_cached",
        "Cached",
        Some(run.nodes_cached().to_string()),
        Some(run.nodes_cached().to_string()),
    ));
    let step = run.step();
    out.push(badge(
        "step",
        "Step",
        step.map(|(v, _)| format::number(v)),
        step.map(|(v, m)| format!("{} / {}", format::number(v), format::number(m)))
            .or_else(|| run.status.is_terminal().then(|| "n/a (ended)".into())),
    ));
    out.push(badge(
        "eta_s",
        "ETA",
        eta.map(|e| secs(e.remaining_ms)),
        eta.map(|e| match e.basis {
            EtaBasis::StepRate => format!("{} (this node)", format::duration_ms(e.remaining_ms)),
            EtaBasis::WorkflowMedian => format!(
                "{} (median of past runs)",
                format::duration_ms(e.remaining_ms)
            ),
        })
        .or_else(|| (!run.status.is_terminal()).then(|| "unknown".into()))
        .or_else(|| Some("n/a (ended)".into())),
    ));
    let gpu_label = run.gpu_name.clone().map(|n| {
        if run.cpu_only {
            format!("{n} (CPU only)")
        } else {
            n
        }
    });
    out.push(badge("gpu_name", "GPU", run.gpu_name.clone(), gpu_label));
    // On a CPU-only server the figures are system RAM, and the labels say so.
    let ram = run.cpu_only;
    let label = |vram: &'static str, ram_label: &'static str| if ram { ram_label } else { vram };
    out.push(badge(
        "vram_before_mb",
        label("VRAM free before", "RAM free before"),
        run.vram_free_before.map(mb_value),
        run.vram_free_before.map(format::mb),
    ));
    out.push(badge(
        "vram_after_mb",
        label("VRAM free after", "RAM free after"),
        run.vram_free_after.map(mb_value),
        run.vram_free_after.map(format::mb),
    ));
    let delta = run.vram_delta();
    let mut delta_badge = badge(
        "vram_delta_mb",
        label("VRAM delta", "RAM delta"),
        delta.map(mb_value),
        delta.map(format::signed_mb),
    );
    // Less free memory after the run is memory the run left in use.
    delta_badge.tone = match delta {
        Some(d) if d < 0.0 => "bad",
        Some(_) => "ok",
        None => "",
    };
    out.push(delta_badge);
    out.push(badge(
        "vram_peak_mb",
        label("Peak VRAM used", "Peak RAM used"),
        run.vram_peak_used.map(mb_value),
        run.vram_peak_used.map(format::mb),
    ));
    let attempts = run
        .follow
        .as_ref()
        .map(|f| f.attempts)
        .or(run.history_attempts);
    out.push(badge(
        "history_attempts",
        "History polls",
        attempts.map(|a| a.to_string()),
        Some(
            attempts
                .map(|a| a.to_string())
                .unwrap_or_else(|| "none (streamed)".into()),
        ),
    ));
    let exit = run.follow.as_ref().and_then(|f| f.exit);
    let mut exit_badge = badge(
        "exit_reason",
        "Exit reason",
        exit.map(|e| e.as_str().into()),
        Some(match (exit, &run.follow) {
            (Some(e), _) => e.as_str().into(),
            (None, Some(_)) => "following…".into(),
            (None, None) => "n/a (streamed)".into(),
        }),
    );
    exit_badge.tone = match exit.map(|e| e.as_str()) {
        Some("success") => "ok",
        Some("maxWait") | Some("attemptLimit") => "bad",
        Some(_) => "warn",
        None => "",
    };
    out.push(exit_badge);
    out
}
