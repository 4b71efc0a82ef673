use crate::state::use_live;
use crate::ui::components::Rows;
use leptos::prelude::*;

/// What the server said, newest first. Rapid progress and previews fold into one line with a
/// count, so the meaningful lines stay visible during a flood.
#[component]
pub fn EventLog() -> impl IntoView {
    let live = use_live();
    let lines = move || {
        let mut lines = live.log.get();
        lines.reverse();
        lines
    };
    view! {
        <section class="card span-2">
            <h2>"Event log"</h2>
            // Focusable so keyboard users can scroll it; role=log, but not announced (it can
            // change many times a second; the run announcer says what matters).
            <div class="event-log" data-testid="event-log" role="log" aria-live="off"
                aria-label="Event log, newest first" tabindex="0">
            <ol>
                <Rows each=lines key=|l| (l.seq, l.repeat) let:line>
                    <li class="event-log-entry" data-testid="event-log-entry" data-type=line.kind.clone()>
                        <span class="kind">{line.kind.clone()}</span>
                        <span class="text">{line.text.clone()}</span>
                        {(line.repeat > 1).then(|| view! { <span class="repeat">{format!("×{}", line.repeat)}</span> })}
                    </li>
                </Rows>
            </ol>
            </div>
        </section>
    }
}
