use crate::browser::download::download_text;
use crate::browser::http::get_text;
use crate::state::Live;
use crate::ui::text::text;
use leptos::prelude::*;
use leptos::task::spawn_local;
use telemetry_core::endpoint::ServerBase;
use telemetry_core::history::take_away::{api_prompt, file_name};

/// Downloads a run's prompt as ComfyUI's API JSON, secrets removed, to queue it again or share
/// it. The prompt is read from the run's own server when asked (the dashboard never stores
/// whole prompts), so a run the server has forgotten says so instead of offering a guess.
#[component]
pub fn RunDownload(
    /// The run's prompt id.
    prompt_id: String,
    /// The run's server, as stored with it.
    server: String,
) -> impl IntoView {
    let status = Live::new(String::new());
    let id = prompt_id.clone();
    let fetch = move |_| {
        let (id, server) = (id.clone(), server.clone());
        status.set("Reading the prompt from the server…".into());
        spawn_local(async move {
            let result = match ServerBase::parse(&server) {
                Err(e) => Err(e.to_string()),
                Ok(base) => match get_text(&base.history_entry(&id)).await {
                    Err(e) => Err(e.to_string()),
                    Ok(body) => api_prompt(&body, &id).map_err(|e| e.to_string()),
                },
            };
            let said = result
                .and_then(|json| download_text(&file_name(&id), "application/json", &json))
                .map_or_else(
                    |e| format!("Could not download the prompt: {e}."),
                    |_| String::new(),
                );
            status.set(said);
        });
    };
    view! {
        <button type="button" data-testid="run-download" data-run-id=prompt_id on:click=fetch
            title="The prompt as ComfyUI API JSON, keys and tokens removed">"Download prompt (API JSON)"</button>
        <span class="small muted" role="status">{text(move || status.get())}</span>
    }
}
