//! Opening the database: the upgrade handshake, with the failure modes a plain open cannot see.
//!
//! Awaiting only success or error (as `rexie`'s builder did), an upgrade blocked by another tab
//! would hang forever. We therefore open through `web-sys`, listening for `blocked` and giving
//! up on a silent IndexedDB, run our own upgrade, and hand the open connection to the store's
//! IndexedDB layer (`idb::Database`).

use super::error::classify;
use super::schema;
use super::StoreError;
use futures::channel::mpsc;
use futures::future::{select, Either};
use futures::StreamExt;
use gloo_timers::future::TimeoutFuture;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbVersionChangeEvent};

/// How long an upgrade may stay blocked by another tab before we tell the person.
pub const BLOCKED_GIVE_UP_MS: u32 = 3_000;
/// How long IndexedDB may stay silent before we call it unavailable. Generous: another tab's
/// long upgrade queues our request without any event.
pub const SILENT_GIVE_UP_MS: u32 = 20_000;

enum Step {
    Blocked,
    Upgrading,
    Done(Result<IdbDatabase, StoreError>),
}

/// Opens the database at `schema::SCHEMA_VERSION`, upgrading it first if it is older. The
/// connection closes itself when another tab asks for a newer version.
pub async fn open(name: &str) -> Result<IdbDatabase, StoreError> {
    let factory = web_sys::window()
        .ok_or_else(|| StoreError::Unavailable("no window".to_owned()))?
        .indexed_db()
        .map_err(|e| StoreError::Unavailable(describe(&e)))?
        .ok_or_else(|| StoreError::Unavailable("IndexedDB is not available".to_owned()))?;
    let request = factory
        .open_with_u32(name, schema::SCHEMA_VERSION)
        .map_err(|e| StoreError::Unavailable(describe(&e)))?;

    let (tx, mut rx) = mpsc::unbounded::<Step>();
    // Set once we stopped waiting; a late success must then close what it opened.
    let gave_up = Rc::new(Cell::new(false));
    install_handlers(&request, tx, gave_up.clone());

    let mut waiting = Wait::Silent;
    loop {
        let limit = match waiting {
            Wait::Silent => Some(SILENT_GIVE_UP_MS),
            Wait::Blocked => Some(BLOCKED_GIVE_UP_MS),
            Wait::Upgrading => None,
        };
        let step = match limit {
            Some(ms) => match select(rx.next(), TimeoutFuture::new(ms)).await {
                Either::Left((step, _)) => step,
                Either::Right(_) => {
                    gave_up.set(true);
                    return Err(match waiting {
                        Wait::Blocked => StoreError::Blocked,
                        _ => StoreError::Unavailable(format!(
                            "IndexedDB did not answer within {ms} ms"
                        )),
                    });
                }
            },
            None => rx.next().await,
        };
        match step {
            Some(Step::Blocked) => waiting = Wait::Blocked,
            // Index creation over a large store can take long; it is progress, not a hang.
            Some(Step::Upgrading) => waiting = Wait::Upgrading,
            Some(Step::Done(result)) => return result,
            None => return Err(StoreError::Failed("the open request vanished".to_owned())),
        }
    }
}

#[derive(Clone, Copy)]
enum Wait {
    Silent,
    Blocked,
    Upgrading,
}

/// Each handler fires at most once per open request, so `once_into_js` frees them as they run
/// (the ones that never fire stay allocated: a few bytes per open).
fn install_handlers(
    request: &IdbOpenDbRequest,
    tx: mpsc::UnboundedSender<Step>,
    gave_up: Rc<Cell<bool>>,
) {
    let on_blocked = {
        let tx = tx.clone();
        Closure::once_into_js(move |_: web_sys::Event| {
            let _ = tx.unbounded_send(Step::Blocked);
        })
    };
    let on_upgrade = {
        let tx = tx.clone();
        let request = request.clone();
        Closure::once_into_js(move |event: web_sys::Event| {
            let _ = tx.unbounded_send(Step::Upgrading);
            let old = event
                .dyn_ref::<IdbVersionChangeEvent>()
                .map(|e| e.old_version() as u32)
                .unwrap_or(0);
            let db = request
                .result()
                .ok()
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
            let upgrade_tx = request.transaction();
            let result = match (db, &upgrade_tx) {
                (Some(db), Some(utx)) => schema::upgrade(&db, utx, old),
                _ => Err(JsValue::from_str("upgrade without database or transaction")),
            };
            if let (Err(e), Some(utx)) = (result, upgrade_tx) {
                // The first `Done` wins, so the reason goes out before the abort's `AbortError`.
                let reason = format!("the history upgrade failed: {}", describe(&e));
                let _ = tx.unbounded_send(Step::Done(Err(StoreError::Failed(reason))));
                // Aborting rolls the whole upgrade back: the old layout and data stay as they were.
                let _ = utx.abort();
            }
        })
    };
    let on_success = {
        let tx = tx.clone();
        let request = request.clone();
        Closure::once_into_js(move |_: web_sys::Event| {
            let Some(db) = request
                .result()
                .ok()
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok())
            else {
                let failed = StoreError::Failed("the open gave no database".to_owned());
                let _ = tx.unbounded_send(Step::Done(Err(failed)));
                return;
            };
            if gave_up.get() {
                db.close();
                return;
            }
            step_aside_for_newer(&db);
            let _ = tx.unbounded_send(Step::Done(Ok(db)));
        })
    };
    let on_error = {
        let request = request.clone();
        Closure::once_into_js(move |_: web_sys::Event| {
            let err = match request.error() {
                Ok(Some(e)) => open_error(&e),
                _ => StoreError::Failed("opening the history database failed".to_owned()),
            };
            let _ = tx.unbounded_send(Step::Done(Err(err)));
        })
    };
    request.set_onblocked(Some(on_blocked.unchecked_ref()));
    request.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
    request.set_onsuccess(Some(on_success.unchecked_ref()));
    request.set_onerror(Some(on_error.unchecked_ref()));
}

/// Closes `db` when another connection asks for a version change (a newer tab's upgrade), as
/// `rexie`'s builder used to: an open connection would block that upgrade. Its operations then fail
/// as on a closed store.
fn step_aside_for_newer(db: &IdbDatabase) {
    let on_version_change = Closure::once_into_js(|event: web_sys::Event| {
        if let Some(db) = event
            .target()
            .and_then(|t| t.dyn_into::<IdbDatabase>().ok())
        {
            db.close();
        }
    });
    db.set_onversionchange(Some(on_version_change.unchecked_ref()));
}

fn describe(e: &JsValue) -> String {
    match classify(e) {
        StoreError::Failed(s) | StoreError::Unavailable(s) => s,
        other => other.to_string(),
    }
}

/// An open that fails for any reason but these means storage is off here (Firefox's private
/// mode used to fail with `InvalidStateError`, Safari with `UnknownError`).
fn open_error(e: &web_sys::DomException) -> StoreError {
    match e.name().as_str() {
        "VersionError" | "QuotaExceededError" => classify(e.as_ref()),
        "AbortError" => StoreError::Failed(format!("the history upgrade failed: {}", e.message())),
        name => StoreError::Unavailable(format!("{name}: {}", e.message())),
    }
}
