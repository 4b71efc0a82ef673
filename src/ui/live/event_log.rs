use crate::state::{use_live, Kept};
use crate::ui::effect::effect;
use leptos::prelude::*;
use telemetry_core::event_log::LogLine;
use web_sys::{Document, Element};

/// What the server said, newest first. Rapid progress and previews fold into one line with a
/// count, so the meaningful lines stay visible during a flood.
///
/// One effect keeps the rows: row `i` shows the `i`-th newest line, and a flush writes only the
/// text that changed in it; rows are made only while the log fills up. A keyed list made and
/// removed every row at each flush of a flood (hundreds of new lines a flush, so every shown line
/// is new), and reactive rows cost as much in effects: the log was the largest render cost of a
/// flood (issue 22, throughput). Server text is set as text, never as markup.
#[component]
pub fn EventLog() -> impl IntoView {
    let live = use_live();
    let list = NodeRef::<leptos::html::Ol>::new();
    let rows = Kept::new(Vec::<Row>::new());
    effect(move || {
        let Some(ol) = list.get() else { return };
        live.log
            .with(|lines| rows.update_value(|rows| show(&ol, rows, lines)));
    });
    view! {
        <section class="card span-2">
            <h2>"Event log"</h2>
            // Focusable so keyboard users can scroll it; role=log, but not announced (it can
            // change many times a second; the run announcer says what matters).
            <div class="event-log" data-testid="event-log" role="log" aria-live="off"
                aria-label="Event log, newest first" tabindex="0">
            <ol node_ref=list></ol>
            </div>
        </section>
    }
}

/// Brings the rows of `ol` to `lines`, newest first.
fn show(ol: &Element, rows: &mut Vec<Row>, lines: &[LogLine]) {
    let Some(doc) = ol.owner_document() else {
        return;
    };
    for (i, line) in lines.iter().rev().enumerate() {
        if i == rows.len() {
            let Some(row) = Row::new(&doc, ol) else {
                return;
            };
            rows.push(row);
        }
        rows[i].show(line);
    }
    for row in rows.drain(lines.len().min(rows.len())..) {
        row.li.remove();
    }
}

/// One `<li class="event-log-entry">`: its kind, its text and its repeat count (hidden at 1),
/// with what they show now.
struct Row {
    li: Element,
    kind: Element,
    text: Element,
    repeat: Element,
    /// Kind (none before the first line), text and repeat count as shown.
    shown: (Option<String>, String, u32),
}

impl Row {
    fn new(doc: &Document, ol: &Element) -> Option<Row> {
        let li = doc.create_element("li").ok()?;
        li.set_class_name("event-log-entry");
        li.set_attribute("data-testid", "event-log-entry").ok()?;
        let span = |class: &str| {
            let span = doc.create_element("span").ok()?;
            span.set_class_name(class);
            li.append_child(&span).ok()?;
            Some(span)
        };
        let (kind, text, repeat) = (span("kind")?, span("text")?, span("repeat")?);
        repeat.set_attribute("hidden", "").ok()?;
        ol.append_child(&li).ok()?;
        Some(Row {
            li,
            kind,
            text,
            repeat,
            shown: (None, String::new(), 1),
        })
    }

    fn show(&mut self, line: &LogLine) {
        let (kind, text, repeat) = &mut self.shown;
        if kind.as_deref() != Some(line.kind.as_str()) {
            let _ = self.li.set_attribute("data-type", &line.kind);
            self.kind.set_text_content(Some(&line.kind));
            *kind = Some(line.kind.clone());
        }
        if *text != line.text {
            self.text.set_text_content(Some(&line.text));
            text.clone_from(&line.text);
        }
        if *repeat != line.repeat {
            let many = line.repeat > 1;
            let count = many.then(|| format!("×{}", line.repeat));
            self.repeat.set_text_content(count.as_deref());
            let _ = self.repeat.toggle_attribute_with_force("hidden", !many);
            *repeat = line.repeat;
        }
    }
}
