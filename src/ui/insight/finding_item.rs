//! One finding as text: what was found, what it means, how sure, and the runs it rests on
//! (each a link to its run page). Server text (workflow and node names, error messages) is only
//! ever rendered as text.

use crate::browser::base_path::app_href;
use crate::ui::components::LocalTime;
use crate::ui::text::CollectAny;
use leptos::prelude::*;
use telemetry_core::endpoint::encode;
use telemetry_core::format;
use telemetry_core::insight::{Figure, Finding, Rule, Unit};

/// A heading a person can scan: the rule in words, with its subject.
pub fn title(f: &Finding) -> String {
    let name = &f.subject.name;
    let detail = f.subject.detail.as_deref().unwrap_or("");
    match f.rule {
        Rule::WorkflowSlower => format!("Workflow \u{201c}{name}\u{201d} got slower"),
        Rule::WorkflowFaster => format!("Workflow \u{201c}{name}\u{201d} got faster"),
        Rule::NodeDominates => format!("{detail} takes most of \u{201c}{name}\u{201d}"),
        Rule::FailureCluster => format!("Failures cluster: {detail} in \u{201c}{name}\u{201d}"),
        Rule::CacheMiss => format!("Cache misses in \u{201c}{name}\u{201d}"),
        Rule::QueueWaitExceedsRun => format!("Queue wait exceeds run time on {name}"),
        Rule::VramHeadroom if detail == "room" => format!("Memory to spare on {name}"),
        Rule::VramHeadroom => format!("Memory near the limit on {name}"),
        Rule::RunsLost => format!("Runs lost on {name}"),
        Rule::StreamDrops => format!("The stream drops on {name}"),
    }
}

/// "median before: 8.1s"; a moment in the reader's time zone, like every time on the page.
fn figure(f: &Figure) -> AnyView {
    // The unit is in the value already: `median_before_ms` reads "median before: 8.1s".
    let name = f.name.trim_end_matches("_ms").trim_end_matches("_bytes");
    let name = format!("{}: ", name.replace('_', " "));
    let value = match f.unit {
        Unit::EpochMs => return view! { {name}<LocalTime ms=f.value/> }.into_any(),
        Unit::Ms => format::duration_ms(f.value),
        Unit::Share => format::percent(f.value),
        Unit::Bytes => format::mb(f.value),
        Unit::Ratio => format!("{}\u{d7}", format::number(f.value)),
        Unit::Count | Unit::Value => format::number(f.value),
    };
    (name + &value).into_any()
}

/// A value kept to three decimals (a confidence) as `f64`'s `Display` writes it ("0.91", "1"),
/// through `format::fixed`: one `Display` of an `f64` would bring core's whole float formatter
/// (about 12 kB) into the pages that show findings (issue #22).
fn three_decimals(v: f64) -> String {
    let s = format::fixed(v, 3);
    match s.contains('.') {
        true => s.trim_end_matches('0').trim_end_matches('.').to_owned(),
        false => s,
    }
}

/// How sure, in words a person reads: the percentage, the sample and the p-value.
pub fn confidence(f: &Finding) -> String {
    format!(
        "Confidence {} ({} in the sample, p = {})",
        format::percent(f.confidence),
        f.evidence.sample,
        if f.evidence.p_value < 0.001 {
            "< 0.001".to_owned()
        } else {
            format::fixed(f.evidence.p_value, 3)
        }
    )
}

/// One finding's item, from a borrowed finding: a function, not a component, so the panel, the
/// run page and the report do not clone every finding to pass it as a prop (issue #22).
pub fn finding_item(f: &Finding) -> AnyView {
    let figures = f
        .evidence
        .figures
        .iter()
        .enumerate()
        .map(|(i, fig)| view! { {(i > 0).then_some(" · ")}{figure(fig)} })
        .collect_any();
    let runs = f
        .evidence
        .runs
        .iter()
        .map(|r| {
            let href = app_href(&format!("/history/{}", encode(&r.prompt_id)));
            let (id, start) = (format::short_id(&r.prompt_id).to_owned(), r.start_ms);
            view! { <li><a href=href>{id}" ("<LocalTime ms=start/>")"</a></li> }
        })
        .collect_any();
    view! {
        <li class="finding" data-testid="recommendation" data-rule=f.rule.as_str()
            data-severity=f.severity.as_str() data-confidence=three_decimals(f.confidence) data-runs=f.run_ids()>
            <h3><span class="status-badge" data-status=f.severity.as_str()>{f.severity.as_str()}</span>" "{title(f)}</h3>
            <p>{f.message.clone()}</p>
            <p class="muted small">{confidence(f)}</p>
            <p class="small">{figures}</p>
            <ul class="evidence small" aria-label="Evidence runs">{runs}</ul>
        </li>
    }
    .into_any()
}
