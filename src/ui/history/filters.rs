use super::use_history_query;
use crate::browser::location::use_location;
use crate::ui::components::Rows;
use leptos::prelude::*;
use telemetry_core::history::query::format_date;
use telemetry_core::history::{HistoryQuery, SortKey};
use telemetry_core::run::RunStatus;

const PRESETS_KEY: &str = "comfy-dashboard.filter-presets";

fn load_presets() -> Vec<(String, String)> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(PRESETS_KEY).ok().flatten())
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

fn save_presets(p: &[(String, String)]) {
    if let (Some(s), Ok(j)) = (
        web_sys::window().and_then(|w| w.local_storage().ok().flatten()),
        serde_json::to_string(p),
    ) {
        let _ = s.set_item(PRESETS_KEY, &j);
    }
}

/// Every filter writes the URL, so a view can be bookmarked, shared and reloaded.
#[component]
pub fn FilterBar() -> impl IntoView {
    let query = use_history_query();
    let location = use_location();
    let go = move |q: HistoryQuery| {
        let s = q.to_query_string();
        location.navigate(&if s.is_empty() {
            "/history".to_owned()
        } else {
            format!("/history?{s}")
        });
    };
    let set = move |f: Box<dyn Fn(&mut HistoryQuery)>| {
        let mut q = query.get_untracked();
        f(&mut q);
        go(q);
    };
    let text_value = |v: Option<String>| v.unwrap_or_default();
    let opt = |v: String| {
        let v = v.trim().to_owned();
        (!v.is_empty()).then_some(v)
    };
    let presets = RwSignal::new(load_presets());
    let preset_name = RwSignal::new(String::new());
    view! {
        <section class="card filters" aria-label="Filters">
            <div class="filter-grid">
                <label>"Status"
                    <select data-testid="filter-status" prop:value=move || query.with(|q| q.status.map(|s| s.as_str()).unwrap_or("").to_owned())
                        on:change:target=move |ev| { let v = ev.target().value(); set(Box::new(move |q| q.status = RunStatus::parse(&v))) }>
                        <option value="">"any"</option>
                        {RunStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Exit reason"
                    <select data-testid="filter-exit-reason" prop:value=move || query.with(|q| q.exit_reason.clone().unwrap_or_default())
                        on:change:target=move |ev| { let v = ev.target().value(); set(Box::new(move |q| q.exit_reason = opt(v.clone()))) }>
                        <option value="">"any"</option>
                        {["streamed", "success", "maxWait", "attemptLimit", "postExecution", "unknown", "following"].iter().map(|e| view! { <option value=*e>{*e}</option> }).collect_view()}
                    </select>
                </label>
                <label class="wide">"Search"
                    <input type="search" data-testid="filter-text" placeholder="prompt id, node type, file name, error…"
                        prop:value=move || query.with(|q| text_value(q.text.clone()))
                        on:change:target=move |ev| { let v = ev.target().value(); set(Box::new(move |q| q.text = opt(v.clone()))) }/>
                </label>
                <label>"From (UTC day)"
                    <input type="date" data-testid="filter-from" prop:value=move || query.with(|q| q.from_ms.map(format_date).unwrap_or_default())
                        on:change:target=move |ev| { let v = ev.target().value(); set(Box::new(move |q| q.from_ms = telemetry_core::history::query::parse_date(&v))) }/>
                </label>
                <label>"To (UTC day)"
                    <input type="date" data-testid="filter-to" prop:value=move || query.with(|q| q.to_ms.map(|t| format_date(t - 86_400_000.0)).unwrap_or_default())
                        on:change:target=move |ev| { let v = ev.target().value(); set(Box::new(move |q| q.to_ms = telemetry_core::history::query::parse_date(&v).map(|d| d + 86_400_000.0))) }/>
                </label>
                <label>"GPU"
                    <input type="text" data-testid="filter-gpu" prop:value=move || query.with(|q| text_value(q.gpu.clone()))
                        on:change:target=move |ev| { let v = ev.target().value(); set(Box::new(move |q| q.gpu = opt(v.clone()))) }/>
                </label>
                <label>"Server"
                    <input type="text" data-testid="filter-server" prop:value=move || query.with(|q| text_value(q.server.clone()))
                        on:change:target=move |ev| { let v = ev.target().value(); set(Box::new(move |q| q.server = opt(v.clone()))) }/>
                </label>
                <label>"Workflow"
                    <input type="text" data-testid="filter-workflow" prop:value=move || query.with(|q| text_value(q.workflow.clone()))
                        on:change:target=move |ev| { let v = ev.target().value(); set(Box::new(move |q| q.workflow = opt(v.clone()))) }/>
                </label>
                <label>"Sort by"
                    <select data-testid="sort-key" prop:value=move || query.with(|q| q.sort.as_str().to_owned())
                        on:change:target=move |ev| { let v = ev.target().value(); set(Box::new(move |q| q.sort = SortKey::parse(&v).unwrap_or_default())) }>
                        <option value="start">"start time"</option>
                        <option value="duration">"duration"</option>
                        <option value="status">"status"</option>
                    </select>
                </label>
                <label>"Order"
                    <select data-testid="sort-order" prop:value=move || if query.with(|q| q.ascending) { "asc" } else { "desc" }
                        on:change:target=move |ev| { let v = ev.target().value(); set(Box::new(move |q| q.ascending = v == "asc")) }>
                        <option value="desc">"newest / longest first"</option>
                        <option value="asc">"oldest / shortest first"</option>
                    </select>
                </label>
            </div>
            <div class="row presets">
                <button on:click=move |_| go(HistoryQuery::default())>"Clear filters"</button>
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
                                <button class="link" on:click=move |_| location.navigate(&format!("/history?{q}"))>{name.clone()}</button>
                                <button class="link" aria-label=format!("Delete preset {name}") on:click=move |_| presets.update(|p| { p.retain(|(n, _)| *n != remove); save_presets(p); })>"×"</button>
                            </span>
                        }
                    }
                </Rows>
            </div>
        </section>
    }
}
