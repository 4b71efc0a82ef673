use crate::state::{use_live, Kept, Live};
use crate::ui::effect::effect;
use crate::ui::text::text;
use leptos::prelude::*;
use telemetry_core::format::short_id;
use telemetry_core::run::page_title;
use telemetry_core::tracker::LifecycleKind;

/// Says when a run starts and ends, politely, for people who cannot watch the page. It sits in
/// the app shell, so it speaks on every route. Only the newest start or end is read out: a
/// burst of runs finishing together is one sentence, not a queue of them.
#[component]
pub fn RunAnnouncer() -> impl IntoView {
    let live = use_live();
    let seen = Kept::new(0u64);
    // What was said last (kind, sentence): a signal of a type the location already has, written
    // by the shared effect, not a memo of a type of its own (issue #22: each value type a memo
    // or signal holds compiles its own reactive code).
    let said = Live::new((String::new(), String::new()));
    effect(move || {
        let last_seen = seen.get_value();
        let newest = live.lifecycle.with(|events| {
            events
                .iter()
                .filter(|e| e.seq > last_seen || last_seen == 0)
                .filter_map(|e| {
                    let what = match &e.kind {
                        LifecycleKind::Started => "started",
                        LifecycleKind::Succeeded => "finished",
                        LifecycleKind::Failed { .. } => "failed",
                        LifecycleKind::Interrupted => "was interrupted",
                        LifecycleKind::Cancelled => "was cancelled",
                        _ => return None,
                    };
                    Some((
                        e.seq,
                        e.kind.as_str(),
                        format!("Run {} {what}.", short_id(&e.run_id)),
                    ))
                })
                .next_back()
        });
        if let Some((seq, kind, line)) = newest {
            seen.set_value(seq);
            if said.with_untracked(|(k, l)| (k.as_str(), l) != (kind, &line)) {
                said.set((kind.to_owned(), line));
            }
        }
    });
    // The tab's title carries the running run's progress, for a tab left in the background.
    // The title last set is kept here: during a flood the current run changes at every flush
    // while its title rarely does, and reading `document.title` back costs a call into the
    // page each time (issue 22, throughput).
    let mut shown_title = None::<String>;
    effect(move || {
        let title = live.current.with(|r| page_title(r.as_ref()));
        if shown_title.as_ref() == Some(&title) {
            return;
        }
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if doc.title() != title {
                doc.set_title(&title);
            }
            shown_title = Some(title);
        }
    });
    view! {
        <div class="sr-only" data-testid="run-announcement" aria-live="polite" aria-atomic="true"
            data-kind=text(move || said.with(|t| t.0.clone()))>
            {text(move || said.with(|t| t.1.clone()))}
        </div>
    }
}
