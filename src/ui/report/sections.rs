//! The report's sections, each from its part of `ReportData`: tables a person reads, with a
//! bar chart where a picture says it faster. Plain functions over a borrowed `ReportData`, not
//! components: a component's props are owned, and each section then took its own clone of the
//! whole report (issue #22: bytes and a copy per section).

use super::bar_chart::{Bar, BarChart};
use crate::browser::base_path::app_href;
use crate::ui::components::{text_row, LastCell, LocalTime};
use crate::ui::insight::finding_item;
use crate::ui::text::CollectAny;
use leptos::prelude::*;
use telemetry_core::endpoint::encode;
use telemetry_core::format;
use telemetry_core::history::query::format_date;
use telemetry_core::insight::ReportData;

fn ms(v: Option<f64>) -> String {
    format::or_na(v, format::duration_ms)
}

fn pct(v: Option<f64>) -> String {
    format::or_na(v, format::percent)
}

pub fn totals(data: &ReportData) -> AnyView {
    let t = &data.totals;
    view! {
        <section class="card span-2" data-testid="report-totals">
            <h2>"Totals"</h2>
            <p>{format!("{} runs · {} succeeded · {} failed · {} interrupted · {} cancelled · {} lost · success rate {} · wall time {}",
                t.runs, t.succeeded, t.failed, t.interrupted, t.cancelled, t.lost, pct(data.success_rate), format::duration_ms(t.wall_time_ms))}</p>
        </section>
    }
    .into_any()
}

pub fn workflows(data: &ReportData) -> AnyView {
    let bars = data
        .workflows
        .iter()
        .filter(|w| w.p50_ms.is_some())
        .map(|w| Bar {
            label: w.workflow.clone(),
            value: w.p50_ms.unwrap_or(0.0),
            second: w.p95_ms,
            text: format!("p50 {} · p95 {}", ms(w.p50_ms), ms(w.p95_ms)),
        })
        .collect();
    let rows = data
        .workflows
        .iter()
        .map(|w| {
            let trend = w.trend.iter().map(|d| {
                format!(
                    "{} {}",
                    format_date(d.day_ms),
                    format::duration_ms(d.p50_ms)
                )
            });
            let trend: Vec<String> = trend.collect();
            let name = if w.workflow.is_empty() {
                "(unnamed)".to_owned()
            } else {
                w.workflow.clone()
            };
            let cells = vec![
                name,
                w.runs.to_string(),
                pct(w.success_rate),
                ms(w.p50_ms),
                ms(w.p95_ms),
                trend.join(" · "),
            ];
            text_row(cells, LastCell::Small)
        })
        .collect_any();
    view! {
        <section class="card span-2" data-testid="report-workflows">
            <h2>"Duration per workflow"</h2>
            <BarChart title="p50 (dark) and p95 (light) duration of succeeded runs" bars=bars/>
            <table class="runs"><thead><tr><th>"Workflow"</th><th>"Runs"</th><th>"Success"</th><th>"p50"</th><th>"p95"</th><th>"Daily p50 (UTC days)"</th></tr></thead>
                <tbody>{rows}</tbody></table>
        </section>
    }
    .into_any()
}

pub fn nodes(data: &ReportData) -> AnyView {
    let bars = data
        .slowest_nodes
        .iter()
        .map(|n| Bar {
            label: n.node_type.clone(),
            value: n.total_ms,
            second: None,
            text: format::duration_ms(n.total_ms),
        })
        .collect();
    let rows = data
        .slowest_nodes
        .iter()
        .map(|n| {
            let cells = vec![
                n.node_type.clone(),
                n.executions.to_string(),
                n.cached.to_string(),
                format::duration_ms(n.total_ms),
                ms(n.p50_ms),
                ms(n.p95_ms),
            ];
            text_row(cells, LastCell::Plain)
        })
        .collect_any();
    view! {
        <section class="card span-2" data-testid="report-nodes">
            <h2>"Slowest nodes"</h2>
            <BarChart title="Summed time per node type" bars=bars/>
            <table class="runs"><thead><tr><th>"Node type"</th><th>"Runs"</th><th>"Cached"</th><th>"Total"</th><th>"p50"</th><th>"p95"</th></tr></thead>
                <tbody>{rows}</tbody></table>
        </section>
    }
    .into_any()
}

pub fn failures(data: &ReportData) -> AnyView {
    let bars = data
        .failures
        .iter()
        .map(|f| Bar {
            label: f.label.clone(),
            value: f.count as f64,
            second: None,
            text: format!("{} ({})", f.count, format::percent(f.share)),
        })
        .collect();
    let rows = data
        .failures
        .iter()
        .map(|f| {
            let cells = vec![
                f.label.clone(),
                f.count.to_string(),
                format::percent(f.share),
                f.workflows.join(", "),
                f.example.clone(),
            ];
            text_row(cells, LastCell::Small)
        })
        .collect_any();
    view! {
        <section class="card span-2" data-testid="report-failures">
            <h2>"Failures by class"</h2>
            {if data.failures.is_empty() { Some(view! { <p class="muted">"No failed runs."</p> }) } else { None }}
            <BarChart title="Failed runs per error class" bars=bars/>
            <table class="runs"><thead><tr><th>"Class"</th><th>"Runs"</th><th>"Share"</th><th>"Workflows"</th><th>"Example"</th></tr></thead>
                <tbody>{rows}</tbody></table>
        </section>
    }
    .into_any()
}

pub fn queue_and_memory(data: &ReportData) -> AnyView {
    let waits = data
        .queue_wait
        .iter()
        .map(|q| {
            let cells = vec![
                q.server.clone(),
                q.runs.to_string(),
                ms(q.p50_ms),
                ms(q.p95_ms),
                format::duration_ms(q.max_ms),
            ];
            text_row(cells, LastCell::Plain)
        })
        .collect_any();
    let memory = data
        .memory
        .iter()
        .map(|m| {
            let mb = |v: Option<f64>| format::or_na(v, format::mb);
            let cells = vec![
                format!("{} ({})", m.device, m.server),
                m.runs.to_string(),
                format::mb(m.total_bytes),
                mb(m.peak_p50_bytes),
                mb(m.peak_p95_bytes),
                format::mb(m.peak_max_bytes),
            ];
            text_row(cells, LastCell::Plain)
        })
        .collect_any();
    view! {
        <section class="card span-2" data-testid="report-queue">
            <h2>"Queue wait"</h2>
            <table class="runs"><thead><tr><th>"Server"</th><th>"Runs"</th><th>"p50"</th><th>"p95"</th><th>"Longest"</th></tr></thead>
                <tbody>{waits}</tbody></table>
            <h2>"GPU memory"</h2>
            <table class="runs"><thead><tr><th>"Device"</th><th>"Runs"</th><th>"Size"</th><th>"Peak p50"</th><th>"Peak p95"</th><th>"Peak max"</th></tr></thead>
                <tbody>{memory}</tbody></table>
        </section>
    }
    .into_any()
}

pub fn findings(data: &ReportData) -> AnyView {
    let n = data.findings.len();
    view! {
        <section class="card span-2" data-testid="report-findings">
            <h2>{format!("Recommendations ({n})")}</h2>
            {if n == 0 { Some(view! { <p class="muted">"No rule found a clear pattern in these runs."</p> }) } else { None }}
            <ul class="findings">{data.findings.iter().map(finding_item).collect_any()}</ul>
        </section>
    }
    .into_any()
}

pub fn run_list(data: &ReportData) -> AnyView {
    let rows = data.runs.iter().map(|r| {
        let id = format::short_id(&r.prompt_id).to_owned();
        view! {
        <tr>
            <td class="mono"><a href=app_href(&format!("/history/{}", encode(&r.prompt_id)))>{id}</a></td>
            <td><LocalTime ms=r.start_ms/></td><td>{r.workflow.clone()}</td><td>{r.status.as_str()}</td>
            <td>{ms(r.duration_ms)}</td><td>{r.error_class.map(|c| c.as_str()).unwrap_or("")}</td>
        </tr>
    }}).collect_any();
    view! {
        <section class="card span-2" data-testid="report-runs">
            <h2>"Runs"</h2>
            {(data.runs_omitted > 0).then(|| view! { <p class="muted small">{format!("The {} newest runs; {} older ones are left out.", data.runs.len(), data.runs_omitted)}</p> })}
            <table class="runs"><thead><tr><th>"Run"</th><th>"Started"</th><th>"Workflow"</th><th>"Status"</th><th>"Duration"</th><th>"Error class"</th></tr></thead>
                <tbody>{rows}</tbody></table>
        </section>
    }
    .into_any()
}
