use crate::state::use_live;
use crate::state::use_ticking_now;
use crate::ui::components::RunError;
use crate::ui::components::Show;
use crate::ui::text::{flag, maybe_text, part, text};
use leptos::prelude::*;
use telemetry_core::format;
use telemetry_core::run::{current_node, Run, RunStatus};
use telemetry_core::tracker::preview_shown;

/// The run being shown: status, time, node and step progress, the sampler preview and, for a
/// failed run, its error.
#[component]
pub fn CurrentRun() -> impl IntoView {
    let live = use_live();
    let current = live.current;
    view! {
        <section class="card span-2 current-run" data-testid="current-run"
            data-run-id=text(move || current.with(|r| r.as_ref().map(|r| r.prompt_id.clone()).unwrap_or_default()))
            data-status=text(move || current.with(|r| r.as_ref().map(|r| r.status.as_str()).unwrap_or("").to_owned()))>
            <Show
                when=move || current.with(Option::is_some)
                fallback=|| view! {
                    <h2>"No run yet"</h2>
                    <p class="muted">"Queue a prompt in ComfyUI and it appears here as it runs."</p>
                }
            >
                <RunHeader/>
                <RunProgress/>
                <LivePreview/>
                <RunError run=current/>
            </Show>
        </section>
    }
}

#[component]
fn RunHeader() -> impl IntoView {
    let live = use_live();
    let now = use_ticking_now();
    let run = live.current;
    let field = move |f: fn(&Run) -> String| {
        text(move || run.with(|r| r.as_ref().map(f).unwrap_or_default()))
    };
    let elapsed = text(move || {
        let now = now.get();
        run.with(|r| {
            r.as_ref()
                .and_then(|r| r.duration_ms(now))
                .map(format::duration_ms)
                .unwrap_or_else(|| "unknown".into())
        })
    });
    view! {
        <div class="run-header">
            <span class="status-badge" data-status=field(|r| r.status.as_str().to_owned())>
                {field(|r| r.status.as_str().to_owned())}
            </span>
            <h2 class="run-title" title=field(|r| r.prompt_id.clone())>
                "Prompt " {field(|r| format::short_id(&r.prompt_id).to_owned())}
                {field(|r| r.number.map(|n| format!(" · #{n}")).unwrap_or_default())}
            </h2>
            <span class="muted">{field(|r| match r.status {
                RunStatus::Running => "elapsed ",
                _ => "took ",
            }.to_owned())}{elapsed}</span>
        </div>
        <p class="muted small">
            {text(move || run.with(|r| r.as_ref().and_then(|r| r.workflow.clone()).unwrap_or_else(|| "workflow unknown".into())))}
        </p>
    }
}

#[component]
fn RunProgress() -> impl IntoView {
    let live = use_live();
    let run = live.current;
    let attr = move |f: fn(&Run) -> Option<String>| {
        text(move || run.with(|r| r.as_ref().and_then(f).unwrap_or_default()))
    };
    let fraction = move || run.with(|r| r.as_ref().and_then(Run::progress));
    let node = move || run.with(|r| r.as_ref().and_then(current_node));
    view! {
        <div class="run-progress" data-testid="run-progress"
            data-nodes-done=attr(|r| Some(r.nodes_done().to_string()))
            data-nodes-total=attr(|r| r.node_total.map(|t| t.to_string()))
            data-step=attr(|r| r.step().map(|(v, _)| format::number(v)))
            data-steps=attr(|r| r.step().map(|(_, m)| format::number(m)))>
            // Without a known total the bar is indeterminate: aria-valuenow is then left out,
            // as ARIA says, rather than set to an empty string.
            <div class="bar" role="progressbar" aria-label="Run progress" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=maybe_text(move || fraction().map(|f| ((f * 100.0).round() as i64).to_string()))
                aria-valuetext=text(move || fraction().map(format::percent).unwrap_or_else(|| "progress unknown".into()))>
                <div class="bar-fill" class:indeterminate=flag(move || fraction().is_none())
                    style:transform=text(move || format::scale_x(fraction().unwrap_or(1.0)))></div>
            </div>
            <div class="progress-text">
                <span>{attr(|r| {
                    let total = r.node_total.map(|t| t.to_string()).unwrap_or_else(|| "?".into());
                    Some(format!("{} of {} nodes done, {} cached", r.nodes_done(), total, r.nodes_cached()))
                })}</span>
                // The prompt's own node id (never a loop copy's), its iteration and activity.
                {part(move || node().map(|c| view! {
                    <span class="muted" data-testid="current-node" data-node-id=c.id
                        data-iteration=c.iteration.to_string() data-activity=c.activity.unwrap_or_default()>{c.text}</span>
                }).into_any())}
            </div>
            {part(move || run.with(|r| r.as_ref().and_then(|r| r.progress_text.clone())).map(|t| view! { <p class="small mono">{t}</p> }).into_any())}
        </div>
    }
}

#[component]
fn LivePreview() -> impl IntoView {
    let live = use_live();
    let shown = move || {
        let run_id = live
            .current
            .with(|r| r.as_ref().map(|r| r.prompt_id.clone()));
        // A preview not shown has no image (`SignalObserver::set_preview`).
        live.preview
            .get()
            .filter(|p| preview_shown(p.run_id.as_deref(), run_id.as_deref()))
            .and_then(|p| Some((p.url?, p.node_id)))
    };
    view! {
        {part(move || shown().map(|(url, node_id)| view! {
            <figure class="preview">
                <img data-testid="live-preview" src=url alt="Latest sampler preview"/>
                <figcaption class="muted small">
                    {format!("preview from node {}", node_id.unwrap_or_else(|| "?".into()))}
                </figcaption>
            </figure>
        }).into_any())}
    }
}
