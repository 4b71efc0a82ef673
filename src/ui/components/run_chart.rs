use crate::ui::effect::effect;
use leptos::prelude::*;
use telemetry_core::history::run_svg::{data_attributes, figure_html};
use telemetry_core::history::series::RunSeries;

/// A run at a glance: progress over time, memory with its peak, and the step rate, drawn from
/// the run's series (live, or as stored with the run).
///
/// It reads only `series`, so a new sample redraws this figure and nothing else on the page.
/// One effect writes the figure's attributes and markup (made in the core from numbers and
/// fixed labels only): a tree of reactive view nodes for the same picture cost about 8 kB of
/// gzipped wasm, this costs a fraction of that.
#[component]
pub fn RunChart(#[prop(into)] series: Signal<Option<RunSeries>>) -> impl IntoView {
    let figure = NodeRef::<leptos::html::Figure>::new();
    effect(move || {
        let Some(el) = figure.get() else { return };
        series.with(|s| {
            for (name, value) in data_attributes(s.as_ref()) {
                let _ = el.set_attribute(name, &value);
            }
            el.set_inner_html(&figure_html(s.as_ref()));
        });
    });
    view! { <figure class="card span-2 run-chart" data-testid="run-chart" data-points="0" node_ref=figure></figure> }
}
