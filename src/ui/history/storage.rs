use super::local_json;
use crate::browser::clock::now_ms;
use crate::state::{use_store, Live};
use crate::store::RunStore;
use crate::ui::handler::handler;
use crate::ui::load::{use_jobs, Job, Load};
use crate::ui::text::{part, text};
use leptos::prelude::*;
use telemetry_core::format::{fixed, MIB};
use wasm_bindgen::JsValue;

const RETENTION_KEY: &str = "comfy-dashboard.retention";

/// `(keep last N runs, keep N days)`, stored as `[n or null, n or null]`; `None` keeps
/// everything.
fn load_retention() -> (Option<u32>, Option<u32>) {
    let Some(pair) = local_json::read(RETENTION_KEY) else {
        return (None, None);
    };
    let n = |v: JsValue| {
        v.as_f64()
            .filter(|f| *f >= 1.0 && f.fract() == 0.0 && *f <= f64::from(u32::MAX))
            .map(|f| f as u32)
    };
    (n(pair.get(0)), n(pair.get(1)))
}

fn save_retention(last: Option<u32>, days: Option<u32>) {
    let n = |v: Option<u32>| v.map_or(JsValue::NULL, |v| JsValue::from_f64(f64::from(v)));
    local_json::write(RETENTION_KEY, &[n(last), n(days)].into_iter().collect());
}

/// Storage used and the browser's quota, plus the retention setting.
#[component]
pub fn StorageStatus() -> impl IntoView {
    let store = use_store();
    let estimate = Load::new(move || {
        store.revision.track();
        RunStore::estimate()
    });
    let estimate = move || estimate.get().and_then(|e| *e);
    let (last, days) = load_retention();
    let keep_last = Live::new(last.map(|v| v.to_string()).unwrap_or_default());
    let keep_days = Live::new(days.map(|v| v.to_string()).unwrap_or_default());
    let jobs = use_jobs();
    let apply = move |_| {
        let parse = |s: String| s.trim().parse::<u32>().ok().filter(|v| *v > 0);
        let (last, days) = (
            parse(keep_last.get_untracked()),
            parse(keep_days.get_untracked()),
        );
        save_retention(last, days);
        let Some(runs) = store.get() else { return };
        jobs.dispatch_local(Job::new(async move {
            match runs.apply_retention(last, days, now_ms()).await {
                Ok(n) => {
                    store.bump();
                    (true, format!("Retention applied: {n} old run(s) deleted."))
                }
                Err(e) => (false, format!("Retention failed: {e}")),
            }
        }));
    };
    view! {
        <section class="card" data-testid="storage-status"
            data-used-bytes=text(move || estimate().map(|(u, _)| (u as u64).to_string()).unwrap_or_default())
            data-quota-bytes=text(move || estimate().map(|(_, q)| (q as u64).to_string()).unwrap_or_default())>
            <h2>"Storage"</h2>
            <p>{text(move || match estimate() {
                Some((used, quota)) => format!("{} MB used of {} MB the browser allows ({}%).", fixed(used / MIB, 1), fixed(quota / MIB, 0), fixed(if quota > 0.0 { used / quota * 100.0 } else { 0.0 }, 2)),
                None => "This browser does not report storage use.".into(),
            })}</p>
            {part(move || store.write_error.get().map(|e| view! { <p class="error-text small" role="alert">{format!("Saving runs failed: {e}. The live tab keeps working; delete old runs or lower retention to free space.")}</p> }).into_any())}
            <div class="row">
                <label>"Keep the last " <input type="number" min="1" class="num" aria-label="runs to keep" prop:value=move || keep_last.get() on:input:target=move |ev| keep_last.set(ev.target().value())/> " runs"</label>
                <label>"and at most " <input type="number" min="1" class="num" aria-label="days to keep" prop:value=move || keep_days.get() on:input:target=move |ev| keep_days.set(ev.target().value())/> " days"</label>
                <button data-testid="apply-retention" on:click=handler(apply)>"Apply retention"</button>
            </div>
            {part(move || jobs.value().get().map(|(_, n)| view! { <p class="small">{n}</p> }).into_any())}
        </section>
    }
}
