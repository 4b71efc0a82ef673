use crate::state::use_ticking_now;
use crate::state::{use_live, use_stream};
use crate::ui::components::Show;
use crate::ui::handler::handler;
use crate::ui::text::{part, text};
use leptos::prelude::*;
use telemetry_core::connection::{ConnectionState, EndpointKind};
use telemetry_core::format;

/// Connection state, the endpoint in use, reconnect attempts and the retry button.
#[component]
pub fn ConnectionStatus() -> impl IntoView {
    let live = use_live();
    let stream = use_stream();
    let now = use_ticking_now();
    let conn = live.connection;
    let state = text(move || conn.with(|c| c.state.as_str().to_owned()));
    let attempt = text(move || conn.with(|c| c.attempt.to_string()));
    let endpoint = text(move || {
        conn.with(|c| {
            c.endpoint
                .map(EndpointKind::as_str)
                .unwrap_or("")
                .to_owned()
        })
    });
    let headline = text(move || {
        conn.with(|c| match c.state {
            ConnectionState::Connecting => "Connecting…".to_owned(),
            ConnectionState::Open => match c.endpoint {
                Some(EndpointKind::Telemetry) => match live.extension.get() {
                    Some(x) => format!(
                        "Live: full stream from the telemetry extension {} (ComfyUI {})",
                        x.version.map(|v| format!("v{v}")).unwrap_or_default(),
                        x.comfyui_version.unwrap_or_else(|| "?".into())
                    ),
                    None => "Live: /telemetry".to_owned(),
                },
                Some(EndpointKind::Demo) => "Playing a recorded demo".to_owned(),
                _ => "Live: ComfyUI /ws (own runs only)".to_owned(),
            },
            ConnectionState::Reconnecting => {
                let wait = c
                    .next_attempt_at_ms
                    .map(|t| ((t - now.get()) / 1000.0).ceil().max(0.0))
                    .map(|s| format!(" in {}s", format::fixed(s, 0)))
                    .unwrap_or_default();
                format!(
                    "Reconnecting: attempt {} of {}{wait}",
                    c.attempt, c.max_attempts
                )
            }
            ConnectionState::Offline if c.refused.is_some() => "Refused by the server".to_owned(),
            ConnectionState::Offline => {
                match (c.watch_probes, c.next_attempt_at_ms) {
                    (Some(probes), Some(t)) => format!(
                    "Offline after {} attempts: checking for the server every 30s, next in {}s{}",
                    c.attempt,
                    format::fixed(((t - now.get()) / 1000.0).ceil().max(0.0), 0),
                    if probes > 0 { format!(" ({probes} checked)") } else { String::new() }
                ),
                    (Some(_), None) => format!(
                        "Offline after {} attempts: checking for the server…",
                        c.attempt
                    ),
                    _ => format!("Offline after {} attempts", c.attempt),
                }
            }
        })
    });
    let updated = text(move || {
        live.last_update_ms
            .get()
            .map(|t| format!("updated {}", format::age_ms(now.get() - t)))
            .unwrap_or_else(|| "no data yet".into())
    });
    let offline = move || conn.with(|c| c.state == ConnectionState::Offline);
    let malformed = move || live.counters.with(|c| c.malformed);
    let state_attr = state.clone();
    let full = text(move || live.extension.with(Option::is_some).to_string());
    view! {
        <div class="connection" data-testid="connection-status" data-state=state_attr data-attempt=attempt data-endpoint=endpoint data-full-stream=full>
            <div class="conn-line">
                <span class="dot" data-state=state aria-hidden="true"></span>
                <strong class="conn-headline">{headline}</strong>
                <span class="muted">{updated}</span>
            </div>
            <div class="muted small">
                {text(move || conn.with(|c| format!("server {} · client id {}", c.server, c.client_id)))}
            </div>
            <Show when=move || conn.with(|c| c.telemetry_missing)>
                <p class="note small">
                    "The /telemetry extension is not installed on this server, so only runs queued by this browser's own client id stream live; other runs are followed through the queue and history."
                </p>
            </Show>
            {part(move || conn.with(|c| c.refused.clone()).map(|r| view! {
                <p class="error-text small" data-testid="connection-refused" data-reason=r.reason.clone()>
                    {r.message.clone()}
                </p>
            }).into_any())}
            {part(move || conn.with(|c| c.last_error.clone()).filter(|_| conn.with(|c| c.state != ConnectionState::Open && c.refused.is_none())).map(|e| view! { <p class="error-text small">{e}</p> }).into_any())}
            <Show when=move || { malformed() > 0 }>
                <p class="warn-text small">
                    {text(move || live.counters.with(|c| format!(
                        "{} malformed frame(s) ignored; last: {}",
                        c.malformed,
                        c.last_error.as_ref().map(|e| e.to_string()).unwrap_or_default()
                    )))}
                </p>
            </Show>
            <Show when=offline>
                <button class="primary" data-testid="retry-connection" on:click=handler(move |_| { stream.with(|m| m.retry()); })>
                    "Retry now"
                </button>
            </Show>
        </div>
    }
}
