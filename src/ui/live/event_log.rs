use crate::state::use_live;
use crate::ui::components::Rows;
use leptos::prelude::*;
use telemetry_core::event_log::LogLine;

/// What the server said, newest first. Rapid progress and previews fold into one line with a
/// count, so the meaningful lines stay visible during a flood.
///
/// Rows are places, not lines: row `i` shows the `i`-th newest line and its text follows the log.
/// Keyed by line, a flood (hundreds of new lines a flush, every shown line replaced) made and
/// removed every row at each flush; now rows are made only while the log fills up, and a flush
/// rewrites the text that changed (issue 22, throughput).
#[component]
pub fn EventLog() -> impl IntoView {
    let live = use_live();
    let count = Memo::new(move |_| live.log.with(Vec::len));
    view! {
        <section class="card span-2">
            <h2>"Event log"</h2>
            // Focusable so keyboard users can scroll it; role=log, but not announced (it can
            // change many times a second; the run announcer says what matters).
            <div class="event-log" data-testid="event-log" role="log" aria-live="off"
                aria-label="Event log, newest first" tabindex="0">
            <ol>
                <Rows each=move || 0..count.get() key=|i| *i let:i>
                    <LogRow i=i/>
                </Rows>
            </ol>
            </div>
        </section>
    }
}

/// The `i`-th newest line of the log (0: the newest).
#[component]
fn LogRow(i: usize) -> impl IntoView {
    let live = use_live();
    let read = move |f: fn(&LogLine) -> String| {
        move || {
            live.log.with(|lines| {
                let at = lines.len().checked_sub(i + 1);
                at.and_then(|at| lines.get(at)).map(f).unwrap_or_default()
            })
        }
    };
    let repeat = read(|l| {
        if l.repeat > 1 {
            format!("×{}", l.repeat)
        } else {
            String::new()
        }
    });
    view! {
        <li class="event-log-entry" data-testid="event-log-entry" data-type=read(|l| l.kind.clone())>
            <span class="kind">{read(|l| l.kind.clone())}</span>
            <span class="text">{read(|l| l.text.clone())}</span>
            {move || {
                let text = repeat();
                (!text.is_empty()).then(|| view! { <span class="repeat">{text}</span> })
            }}
        </li>
    }
}
