use super::use_history_query;
use crate::browser::base_path::app_href;
use crate::state::{use_live, use_store, Live};
use crate::store::StoreError;
use crate::ui::components::{LocalTime, Rows, Show};
use crate::ui::handler::handler;
use crate::ui::load::Load;
use crate::ui::text::{flag, part, text};
use leptos::prelude::*;
use telemetry_core::format;
use telemetry_core::history::server_log::RowSource;
use telemetry_core::history::{HistoryQuery, StoredRun};

const PAGE: usize = 50;

/// Selected run ids, shared by the list and the actions bar.
#[derive(Clone, Copy)]
pub struct Selection(pub Live<Vec<String>>);

/// One read of the list: the first `limit` matching runs, whether more match, how many in all.
struct Listing {
    limit: usize,
    runs: Vec<StoredRun>,
    more: bool,
    count: u64,
}

/// The matching runs, read through a store cursor: only as many runs as are shown are ever in
/// memory, and "Load more" asks for one page more. The listing is one read that follows the
/// query, the store's revision and the pages asked for, so an older read (another filter, fewer
/// pages, an earlier revision) can never replace a newer one.
#[component]
pub fn HistoryList() -> impl IntoView {
    let store = use_store();
    let query = use_history_query();
    // Pages asked for, with the query they were asked under: a new filter starts at one page.
    let asked = Live::new(None::<(HistoryQuery, usize)>);
    let limit = move || {
        let q = query.get();
        asked.with(|a| {
            a.as_ref()
                .filter(|(aq, _)| *aq == q)
                .map_or(PAGE, |(_, n)| *n)
        })
    };
    let listing = Load::new(move || {
        let (q, limit) = (query.get(), limit());
        store.revision.track();
        store.status.track();
        let runs = store.get();
        async move {
            let runs = runs.ok_or_else(|| StoreError::Unavailable("not open yet".into()))?;
            // Free text through the search index from the first listing on (it starts
            // building now, in the background); only this page reaches the index.
            runs.enable_text_index();
            let page = runs.page(&q, None, limit).await?;
            let count = runs.count(&q).await?;
            Ok::<_, StoreError>(Listing {
                limit,
                more: page.next.is_some(),
                runs: page.runs,
                count,
            })
        }
    });
    let read = move |f: fn(&Listing) -> bool| listing.with(|l| matches!(l, Some(Ok(l)) if f(l)));
    let rows = move || {
        listing.with(|l| match l {
            Some(Ok(l)) => l.runs.clone(),
            _ => Vec::new(),
        })
    };
    let count = move || {
        listing.with(|l| match l {
            Some(Ok(l)) => Some(l.count),
            _ => None,
        })
    };
    let error = move || {
        listing.with(|l| match l {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    };
    // Asked for more than the newest listing holds: the next page is on its way.
    let loading = move || !listing.with(|l| matches!(l, Some(Ok(l)) if l.limit >= limit()));
    let selection = expect_context::<Selection>();
    let log = super::server_log::use_server_log();
    let roving = super::roving::Roving::default();
    let first = move || {
        listing.with(|l| match l {
            Some(Ok(l)) => l.runs.first().map(|r| r.prompt_id.clone()),
            _ => None,
        })
    };
    let more = move |_| {
        let q = query.get_untracked();
        let shown = untrack(limit);
        asked.set(Some((q, shown + PAGE)));
    };
    let toggle = move |id: String| {
        selection.0.update(|s| {
            if let Some(at) = s.iter().position(|x| *x == id) {
                s.remove(at);
            } else {
                s.push(id);
            }
        })
    };
    view! {
        <section class="card span-2">
            <div class="card-head">
                <h2>"Runs"</h2>
                <p data-testid="history-count" data-count=text(move || count().map(|c| c.to_string()).unwrap_or_default())>
                    {text(move || match count() { Some(1) => "1 matching run".to_owned(), Some(n) => format!("{n} matching runs"), None => "counting…".into() })}
                </p>
            </div>
            {part(move || error().map(|e| view! { <p class="error-text" role="alert">{e}</p> }).into_any())}
            <div class="table-scroll">
            <table class="runs" data-testid="history-list" aria-label="Stored runs (arrow keys move between rows, Enter opens one)">
                <thead><tr>
                    <th><span class="sr-only">"Select"</span></th><th>"Prompt"</th><th>"Status"</th><th>"Started"</th><th>"Duration"</th>
                    <th>"Workflow"</th><th>"Nodes"</th><th>"Outputs"</th><th>"GPU"</th><th>"Exit"</th><th>"Source"</th>
                </tr></thead>
                <tbody>
                    <Rows each=rows key=|r| (r.key.clone(), r.status.clone(), r.duration_ms.to_bits(), r.run.outputs.len()) let:r>
                        {
                            let id = r.prompt_id.clone();
                            let row_id = id.clone();
                            let label = format!("Select {}", format::short_id(&id));
                            let href = app_href(&format!("/history/{}", telemetry_core::endpoint::encode(&id)));
                            let short = format::short_id(&id).to_owned();
                            let checked_id = id.clone();
                            let toggle_id = id.clone();
                            let (tab_id, focus_id) = (id.clone(), id.clone());
                            let run = &r.run;
                            let (listed_id, server_only) = (id.clone(), r.server_only);
                            let source = move || {
                                let listed = log.listed.with(|l| l.contains(&listed_id));
                                RowSource::of(server_only, listed).as_str()
                            };
                            let source = text(move || source().into());
                            let source_attr = source.clone();
                            view! {
                                <tr data-testid="history-row" data-run-id=row_id data-status=r.status.clone() data-exit-reason=r.exit_reason.clone() data-source=source_attr
                                    tabindex=text(move || roving.tabindex(&tab_id, first()).into())
                                    on:focusin=handler(move |_| roving.0.set(Some(focus_id.clone())))
                                    on:keydown=handler(move |ev: web_sys::KeyboardEvent| if roving.keydown(&ev) { ev.prevent_default() })>
                                    <td><input type="checkbox" aria-label=label
                                        prop:checked=move || selection.0.with(|s| s.contains(&checked_id))
                                        on:change=handler(move |_| toggle(toggle_id.clone()))/></td>
                                    <td class="mono"><a href=href>{short}</a></td>
                                    <td><span class="status-badge" data-status=r.status.clone()>{r.status.clone()}</span></td>
                                    <td class="small"><LocalTime ms=r.start_ms/></td>
                                    <td>{if r.duration_ms >= 0.0 { format::duration_ms(r.duration_ms) } else { "unknown".into() }}</td>
                                    <td class="small">{if r.workflow.is_empty() { "unknown".to_owned() } else { r.workflow.clone() }}</td>
                                    <td>{format!("{}/{}", run.nodes_done(), run.node_total.map(|t| t.to_string()).unwrap_or_else(|| "?".into()))}</td>
                                    <td>{run.outputs.len()}</td>
                                    <td class="small">{if r.gpu.is_empty() { "unknown".to_owned() } else { r.gpu.clone() }}</td>
                                    <td class="small">{r.exit_reason.clone()}</td>
                                    <td class="small">{source}</td>
                                </tr>
                            }
                        }
                    </Rows>
                </tbody>
            </table>
            </div>
            <Show when=move || read(|l| l.runs.is_empty()) && !loading()>
                <p class="muted">"No stored run matches. Runs appear here as they happen, and runs that finished while this page was closed are added from ComfyUI's history."</p>
            </Show>
            <Show when=move || read(|l| l.more)>
                <button data-testid="load-more" on:click=handler(more) disabled=flag(loading)>"Load more"</button>
            </Show>
        </section>
    }
}

/// When the store cannot be used: the runs seen since the page opened, from memory.
#[component]
pub fn SessionRuns() -> impl IntoView {
    let live = use_live();
    view! {
        <section class="card">
            <h2>"Runs this session"</h2>
            <p data-testid="history-count" data-count=text(move || live.runs.with(Vec::len).to_string())>
                {text(move || format!("{} run(s) in memory", live.runs.with(Vec::len)))}
            </p>
            <table class="runs" data-testid="history-list">
                <tbody>
                    <Rows each=move || live.runs.get() key=|r| (r.prompt_id.clone(), r.status) let:run>
                        <tr data-testid="history-row" data-run-id=run.prompt_id.clone() data-status=run.status.as_str()
                            data-exit-reason=telemetry_core::history::record::exit_reason(&run)>
                            <td class="mono">{format::short_id(&run.prompt_id).to_owned()}</td>
                            <td>{run.status.as_str()}</td>
                            <td>{run.workflow.clone().unwrap_or_else(|| "unknown".into())}</td>
                        </tr>
                    </Rows>
                </tbody>
            </table>
        </section>
    }
}
