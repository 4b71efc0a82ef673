use super::local_json;
use super::use_history_query;
use crate::browser::location::{use_location, Location};
use crate::state::Live;
use crate::ui::components::Rows;
use crate::ui::handler::handler;
use crate::ui::text::CollectAny;
use js_sys::Array;
use leptos::prelude::*;
use telemetry_core::history::query::{format_date, parse_date};
use telemetry_core::history::{HistoryQuery, SortKey};
use telemetry_core::run::RunStatus;
use wasm_bindgen::JsValue;

const PRESETS_KEY: &str = "comfy-dashboard.filter-presets";

/// `[[name, query], …]`; an entry that is not a pair of texts is skipped.
fn load_presets() -> Vec<(String, String)> {
    let Some(list) = local_json::read(PRESETS_KEY) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|p| {
            let p = local_json::array(&p)?;
            Some((p.get(0).as_string()?, p.get(1).as_string()?))
        })
        .collect()
}

fn save_presets(p: &[(String, String)]) {
    let pair = |(n, q): &(String, String)| -> JsValue {
        [JsValue::from_str(n), JsValue::from_str(q)]
            .into_iter()
            .collect::<Array>()
            .into()
    };
    local_json::write(PRESETS_KEY, &p.iter().map(pair).collect());
}

/// The query and where it is written: a copyable handle, so the filters take plain `fn`s.
#[derive(Clone, Copy)]
struct Filters {
    query: Memo<HistoryQuery>,
    location: Location,
}

impl Filters {
    fn go(self, q: &HistoryQuery) {
        let s = q.to_query_string();
        self.location.navigate(&if s.is_empty() {
            "/history".to_owned()
        } else {
            format!("/history?{s}")
        });
    }

    /// Writes what a person entered into the query with `put`, and the query into the URL.
    fn set(self, put: fn(&mut HistoryQuery, String), value: String) {
        let mut q = self.query.get_untracked();
        put(&mut q, value);
        self.go(&q);
    }
}

/// A filter's text, or `None` when only blanks were entered.
fn opt(v: String) -> Option<String> {
    let v = v.trim().to_owned();
    (!v.is_empty()).then_some(v)
}

/// One text or date filter. Every input is this one view type, its value read and written by
/// plain `fn`s (issue #22: each input's own closures instantiated the renderer again).
#[allow(clippy::too_many_arguments)]
fn text_filter(
    f: Filters,
    label: &'static str,
    wide: bool,
    kind: &'static str,
    testid: &'static str,
    placeholder: Option<&'static str>,
    get: fn(&HistoryQuery) -> String,
    put: fn(&mut HistoryQuery, String),
) -> AnyView {
    view! {
        <label class=wide.then_some("wide")>{label}
            <input type=kind data-testid=testid placeholder=placeholder prop:value=move || f.query.with(get)
                on:change:target=move |ev| f.set(put, ev.target().value())/>
        </label>
    }
    .into_any()
}

/// One choice filter, as [`text_filter`]: `(value, label)` options.
fn select_filter(
    f: Filters,
    label: &'static str,
    testid: &'static str,
    options: Vec<(&'static str, &'static str)>,
    get: fn(&HistoryQuery) -> String,
    put: fn(&mut HistoryQuery, String),
) -> AnyView {
    view! {
        <label>{label}
            <select data-testid=testid prop:value=move || f.query.with(get)
                on:change:target=move |ev| f.set(put, ev.target().value())>
                {options.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_any()}
            </select>
        </label>
    }
    .into_any()
}

const DAY_MS: f64 = 86_400_000.0;
const EXIT_REASONS: [&str; 7] = [
    "streamed",
    "success",
    "maxWait",
    "attemptLimit",
    "postExecution",
    "unknown",
    "following",
];

/// Every filter writes the URL, so a view can be bookmarked, shared and reloaded.
#[component]
pub fn FilterBar() -> impl IntoView {
    let f = Filters {
        query: use_history_query(),
        location: use_location(),
    };
    let (query, location) = (f.query, f.location);
    let any = std::iter::once(("", "any"));
    let statuses = any
        .clone()
        .chain(RunStatus::ALL.iter().map(|s| (s.as_str(), s.as_str())))
        .collect();
    let exits = any.chain(EXIT_REASONS.iter().map(|e| (*e, *e))).collect();
    let presets = Live::new(load_presets());
    let preset_name = Live::new(String::new());
    view! {
        <section class="card filters" aria-label="Filters">
            <div class="filter-grid">
                {select_filter(f, "Status", "filter-status", statuses,
                    |q| q.status.map(|s| s.as_str()).unwrap_or("").to_owned(),
                    |q, v| q.status = RunStatus::parse(&v))}
                {select_filter(f, "Exit reason", "filter-exit-reason", exits,
                    |q| q.exit_reason.clone().unwrap_or_default(),
                    |q, v| q.exit_reason = opt(v))}
                {text_filter(f, "Search", true, "search", "filter-text", Some("prompt id, node type, file name, error…"),
                    |q| q.text.clone().unwrap_or_default(), |q, v| q.text = opt(v))}
                {text_filter(f, "From (UTC day)", false, "date", "filter-from", None,
                    |q| q.from_ms.map(format_date).unwrap_or_default(),
                    |q, v| q.from_ms = parse_date(&v))}
                {text_filter(f, "To (UTC day)", false, "date", "filter-to", None,
                    |q| q.to_ms.map(|t| format_date(t - DAY_MS)).unwrap_or_default(),
                    |q, v| q.to_ms = parse_date(&v).map(|d| d + DAY_MS))}
                {text_filter(f, "GPU", false, "text", "filter-gpu", None,
                    |q| q.gpu.clone().unwrap_or_default(), |q, v| q.gpu = opt(v))}
                {text_filter(f, "Server", false, "text", "filter-server", None,
                    |q| q.server.clone().unwrap_or_default(), |q, v| q.server = opt(v))}
                {text_filter(f, "Workflow", false, "text", "filter-workflow", None,
                    |q| q.workflow.clone().unwrap_or_default(), |q, v| q.workflow = opt(v))}
                {select_filter(f, "Sort by", "sort-key",
                    vec![("start", "start time"), ("duration", "duration"), ("status", "status")],
                    |q| q.sort.as_str().to_owned(),
                    |q, v| q.sort = SortKey::parse(&v).unwrap_or_default())}
                {select_filter(f, "Order", "sort-order",
                    vec![("desc", "newest / longest first"), ("asc", "oldest / shortest first")],
                    |q| if q.ascending { "asc" } else { "desc" }.to_owned(),
                    |q, v| q.ascending = v == "asc")}
            </div>
            <div class="row presets">
                <button on:click=handler(move |_| f.go(&HistoryQuery::default()))>"Clear filters"</button>
                <input type="text" placeholder="preset name" aria-label="Preset name" prop:value=move || preset_name.get()
                    on:input:target=move |ev| preset_name.set(ev.target().value())/>
                <button data-testid="save-preset" on:click=move |_| {
                    let name = preset_name.get_untracked().trim().to_owned();
                    if name.is_empty() { return; }
                    let q = query.get_untracked().to_query_string();
                    presets.update(|p| { p.retain(|(n, _)| *n != name); p.push((name, q)); save_presets(p); });
                    preset_name.set(String::new());
                }>"Save as preset"</button>
                <Rows each=move || presets.get() key=|(n, q)| (n.clone(), q.clone()) let:p>
                    {
                        let (name, q) = p;
                        let remove = name.clone();
                        view! {
                            <span class="preset">
                                <button class="link" on:click=handler(move |_| location.navigate(&format!("/history?{q}")))>{name.clone()}</button>
                                <button class="link" aria-label=format!("Delete preset {name}") on:click=handler(move |_| presets.update(|p| { p.retain(|(n, _)| *n != remove); save_presets(p); }))>"×"</button>
                            </span>
                        }
                    }
                </Rows>
            </div>
        </section>
    }
}
