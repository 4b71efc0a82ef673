use crate::state::Live;
use crate::ui::effect::effect;
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use telemetry_core::history::run_svg::{data_attributes, NO_SERIES_HTML};
use telemetry_core::history::series::RunSeries;

/// Draws the figure's inside for a series (`run_svg::figure_html`).
type Draw = fn(&RunSeries) -> String;

/// The drawing code, once loaded: `Pending` until it is asked for and arrives.
#[derive(Clone, Copy)]
enum Drawer {
    Pending,
    Ready(Draw),
    Failed,
}

/// Said where the chart would be when its code could not be fetched.
const UNAVAILABLE_HTML: &str = r#"<figcaption><h2>Run over time</h2></figcaption><p class="muted small" role="alert" data-testid="run-chart-unavailable">The chart could not be loaded. Reload the page to try again.</p>"#;

thread_local! {
    /// The drawing code once a chart has loaded it: later charts draw at once.
    static LOADED: Cell<Option<Draw>> = const { Cell::new(None) };
}

/// A run at a glance: progress over time, memory with its peak, and the step rate, drawn from
/// the run's series (live, or as stored with the run).
///
/// It reads only `series`, so a new sample redraws this figure and nothing else on the page.
/// One effect writes the figure's attributes and markup (made in the core from numbers and
/// fixed labels only): a tree of reactive view nodes for the same picture cost about 8 kB of
/// gzipped wasm, this costs a fraction of that.
///
/// The drawing itself is a wasm chunk of its own in the split build (`split_Chart`, issue #22),
/// fetched when the first series arrives: the live page paints without it. A chunk that cannot
/// be fetched leaves the page working and says so in the figure.
#[component]
pub fn RunChart(series: Live<Option<RunSeries>>) -> impl IntoView {
    let figure = NodeRef::<leptos::html::Figure>::new();
    let drawer = Live::new(LOADED.get().map_or(Drawer::Pending, Drawer::Ready));
    let asked = Rc::new(Cell::new(false));
    effect(move || {
        let Some(el) = figure.get() else { return };
        let state = drawer.get();
        series.with(|s| {
            for (name, value) in data_attributes(s.as_ref()) {
                let _ = el.set_attribute(name, &value);
            }
            match (s, state) {
                (None, _) => el.set_inner_html(NO_SERIES_HTML),
                (Some(s), Drawer::Ready(draw)) => el.set_inner_html(&draw(s)),
                (Some(_), Drawer::Failed) => el.set_inner_html(UNAVAILABLE_HTML),
                (Some(_), Drawer::Pending) => {
                    if !asked.replace(true) {
                        leptos::task::spawn_local(async move {
                            let loaded = load_drawer().await;
                            LOADED.set(loaded);
                            drawer.try_set(loaded.map_or(Drawer::Failed, Drawer::Ready));
                        });
                    }
                }
            }
        });
    });
    view! { <figure class="card span-2 run-chart" data-testid="run-chart" data-points="0" node_ref=figure></figure> }
}

fn draw(s: &RunSeries) -> String {
    telemetry_core::history::run_svg::figure_html(Some(s))
}

/// The drawing code, from its own wasm chunk; `None` when it cannot be fetched.
#[cfg(feature = "split")]
async fn load_drawer() -> Option<Draw> {
    use leptos::wasm_split::SplitLoaderError;

    #[leptos::wasm_split::wasm_split(Chart, wasm_split_path = ::leptos::wasm_split, fallible)]
    fn drawer() -> Result<Draw, SplitLoaderError> {
        Ok(draw)
    }
    drawer().await.ok()
}

#[cfg(not(feature = "split"))]
async fn load_drawer() -> Option<Draw> {
    Some(draw)
}
