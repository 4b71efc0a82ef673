use super::list::Selection;
use super::use_history_query;
use crate::browser::clock::now_ms;
use crate::browser::download::{download_text, read_file};
use crate::browser::location::use_location;
use crate::state::use_store;
use crate::ui::handler::handler;
use crate::ui::load::{use_jobs, Job};
use crate::ui::text::{flag, part, text};
use leptos::prelude::*;
use telemetry_core::history::export::{csv_header, csv_row, file_name, json};
use telemetry_core::history::import::{import, ImportKind};
use telemetry_core::history::StoredRun;
use wasm_bindgen::JsCast;

fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}

/// Export of the filtered runs, import of backups and seed metadata, deletion, comparison.
#[component]
pub fn HistoryActions() -> impl IntoView {
    let store = use_store();
    let query = use_history_query();
    let selection = expect_context::<Selection>();
    // Every workflow of the bar is a job: "busy" while one runs, the newest one's note shown.
    let jobs = use_jobs();
    let busy = jobs.pending();

    let export = move |as_csv: bool| {
        let Some(runs) = store.get() else { return };
        let q = query.get_untracked();
        jobs.dispatch_local(Job::new(async move {
            // CSV rows are built while streaming; JSON needs the runs themselves.
            let mut csv = csv_header();
            let mut all = Vec::new();
            let mut visit = |r: &StoredRun| {
                if as_csv {
                    csv.push_str(&csv_row(&r.run));
                } else {
                    all.push(r.run.clone());
                }
            };
            // Through `dyn` (every caller the same type): one copy of the store walk for all
            // the pages, not one per closure (bytes, issue #22).
            let result = runs
                .for_each_matching(&q, &mut visit as &mut dyn FnMut(&StoredRun))
                .await;
            let now = now_ms();
            let outcome = match result {
                Ok(n) if as_csv => download_text(
                    &file_name("comfy-runs", now, "csv"),
                    "text/csv;charset=utf-8",
                    &csv,
                )
                .map(|_| n),
                Ok(n) => download_text(
                    &file_name("comfy-runs", now, "json"),
                    "application/json",
                    &json(all, now),
                )
                .map(|_| n),
                Err(e) => Err(e.to_string()),
            };
            match outcome {
                Ok(n) => (true, format!("Exported {n} run(s).")),
                Err(e) => (false, format!("Export failed: {e}")),
            }
        }));
    };

    let on_import = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        let Some(runs) = store.get() else { return };
        jobs.dispatch_local(Job::new(async move {
            let text = read_file(file).await;
            let outcome = match text
                .map_err(|e| e.to_string())
                .and_then(|t| import(&t).map_err(|e| e.to_string()))
            {
                Ok(imported) => {
                    let records: Vec<StoredRun> =
                        imported.runs.iter().map(StoredRun::from_run).collect();
                    let keys: Vec<String> = records.iter().map(|r| r.key.clone()).collect();
                    let new = runs
                        .missing(&keys)
                        .await
                        .map(|m| m.len())
                        .unwrap_or(keys.len());
                    match runs.put(&records).await {
                        Ok(()) => Ok(format!(
                            "Imported {} run(s) from {} ({} new, {} updated{}).",
                            records.len(),
                            match imported.kind {
                                ImportKind::Backup => "a backup",
                                ImportKind::GemDirect => "gemDirect1 metadata",
                            },
                            new,
                            records.len() - new,
                            if imported.skipped > 0 {
                                format!(", {} unreadable skipped", imported.skipped)
                            } else {
                                String::new()
                            }
                        )),
                        Err(e) => Err(e.to_string()),
                    }
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(m) => {
                    store.bump();
                    (true, m)
                }
                Err(e) => (false, format!("Import failed: {e}")),
            }
        }));
    };

    let log = super::server_log::use_server_log();
    let delete_selected = move |_| {
        let ids = selection.0.get_untracked();
        let on_server = log.present();
        let question = if on_server {
            format!("Delete {} selected run(s) from this browser and from the server's run log? They are deleted for every browser and do not come back.", ids.len())
        } else {
            format!("Delete {} selected run(s) from this browser?", ids.len())
        };
        if ids.is_empty() || !confirm(&question) {
            return;
        }
        let Some(runs) = store.get() else { return };
        jobs.dispatch_local(Job::new(async move {
            // The server first: a run deleted here but kept there would come back.
            if on_server {
                if let Err(e) = log.delete(&ids).await {
                    return (
                        false,
                        format!("Delete failed on the server ({e}); nothing was deleted."),
                    );
                }
            }
            let mut keys = Vec::new();
            for id in &ids {
                if let Ok(Some(r)) = runs.find_prompt(id).await {
                    keys.push(r.key);
                }
            }
            if let Some(writer) = store.writer.get_value() {
                writer.forget(&keys);
            }
            match runs.delete(&keys).await {
                Ok(()) => {
                    selection.0.set(Vec::new());
                    store.bump();
                    let there = if on_server {
                        " here and on the server"
                    } else {
                        ""
                    };
                    (true, format!("Deleted {} run(s){there}.", keys.len()))
                }
                Err(e) => (false, format!("Delete failed: {e}")),
            }
        }));
    };
    let clear_all = move |_| {
        let again = if log.present() {
            " Runs in the server's run log are listed again from it."
        } else {
            ""
        };
        if !confirm(&format!(
            "Delete every stored run from this browser? This cannot be undone.{again}"
        )) {
            return;
        }
        let Some(runs) = store.get() else { return };
        jobs.dispatch_local(Job::new(async move {
            if let Some(writer) = store.writer.get_value() {
                writer.forget_all();
            }
            match runs.clear().await {
                Ok(()) => {
                    selection.0.set(Vec::new());
                    store.bump();
                    (true, "All stored runs deleted.".into())
                }
                Err(e) => (false, format!("Clear failed: {e}")),
            }
        }));
    };
    let location = use_location();
    let compare = move |_| {
        let ids = selection.0.get_untracked();
        location.navigate(&format!(
            "/compare?runs={}",
            ids.iter()
                .map(|i| telemetry_core::endpoint::encode(i))
                .collect::<Vec<_>>()
                .join(",")
        ));
    };
    let selected = move || selection.0.with(Vec::len);
    view! {
        <section class="card actions-bar" aria-label="Actions">
            <div class="row">
                <button data-testid="export-csv" on:click=handler(move |_| export(true)) disabled=flag(move || busy.get())>"Export CSV"</button>
                <button data-testid="export-json" on:click=handler(move |_| export(false)) disabled=flag(move || busy.get())>"Export JSON"</button>
                <label class="file-button">"Import JSON…"
                    <input type="file" data-testid="import-file" accept=".json,application/json" on:change=handler(on_import)/>
                </label>
                <button data-testid="compare-selected" on:click=handler(compare) disabled=flag(move || !(2..=4).contains(&selected()))>
                    {text(move || format!("Compare {} selected", selected()))}
                </button>
                <button class="danger" data-testid="delete-selected" on:click=handler(delete_selected) disabled=flag(move || selected() == 0)>"Delete selected"</button>
                <button class="danger" data-testid="clear-all" on:click=handler(clear_all)>"Clear all"</button>
            </div>
            <p class="muted small">"Exports cover the runs matching the current filter. Import accepts a JSON export (runs already stored are updated, not duplicated) or a gemDirect1 artifact-metadata.json."</p>
            {part(move || jobs.value().get().map(|(ok, m)| view! { <p class=if ok { "ok-text small" } else { "error-text small" } role="status" data-testid="action-message">{m}</p> }).into_any())}
        </section>
    }
}
