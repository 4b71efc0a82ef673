//! A connection, the transactions it starts, and (for tests) opening and deleting a database.
//!
//! The store opens its database through `store::open` (the upgrade handshake, a blocked
//! upgrade, a silent IndexedDB) and wraps the connection here. [`Database::open_plain`] and
//! [`Database::delete`] are the plain versions the browser tests use to build or inspect a
//! database of their own; the page never calls them, so they are not in its wasm.

use super::error::{thrown, IdbError};
use super::request::Request;
use super::transaction::{names, Transaction, TransactionMode};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbDatabase, IdbFactory, IdbOpenDbRequest};

/// Creates or changes the layout in `upgradeneeded` (an error aborts the upgrade).
pub type Upgrade = fn(&IdbDatabase) -> Result<(), JsValue>;

#[derive(Debug)]
pub struct Database(IdbDatabase);

impl From<IdbDatabase> for Database {
    fn from(db: IdbDatabase) -> Database {
        Database(db)
    }
}

impl Database {
    /// A transaction over `stores`. It fails (`InvalidStateError`) once the connection was
    /// closed, for instance by another tab's upgrade.
    pub fn transaction(
        &self,
        stores: &[&str],
        mode: TransactionMode,
    ) -> Result<Transaction, IdbError> {
        self.0
            .transaction_with_str_sequence_and_mode(&names(stores), mode.raw())
            .map(Transaction)
            .map_err(thrown)
    }

    /// The connection `tx` was started on, to start the next transaction from.
    pub fn of(tx: &Transaction) -> Database {
        Database(tx.0.db())
    }

    /// Closes the connection once its transactions are done.
    pub fn close(self) {
        self.0.close();
    }

    /// Opens `name` at `version` (its current version when `None`, version 1 for a new
    /// database), running `upgrade` when the version is new. Waits forever while another
    /// connection blocks the upgrade. For tests.
    pub async fn open_plain(
        name: &str,
        version: Option<u32>,
        upgrade: Option<Upgrade>,
    ) -> Result<Database, IdbError> {
        let factory = factory()?;
        let request = match version {
            Some(v) => factory.open_with_u32(name, v),
            None => factory.open(name),
        }
        .map_err(thrown)?;
        let on_upgrade = upgrade.map(|upgrade| {
            let raw = request.clone();
            let on_upgrade = Closure::<dyn FnMut()>::new(move || {
                if let Some(db) = result_db(&raw) {
                    if upgrade(&db).is_err() {
                        if let Some(tx) = raw.transaction() {
                            let _ = tx.abort();
                        }
                    }
                }
            });
            request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
            on_upgrade
        });
        let opened = Request::new(request.clone().into()).await;
        request.set_onupgradeneeded(None);
        drop(on_upgrade);
        opened?
            .dyn_into::<IdbDatabase>()
            .map(Database)
            .map_err(|_| IdbError::new("UnknownError", "the open gave no database"))
    }

    /// Deletes the database `name`; waits until every connection to it is closed.
    pub async fn delete(name: &str) -> Result<(), IdbError> {
        let request = factory()?.delete_database(name).map_err(thrown)?;
        Request::new(request.into()).await.map(drop)
    }
}

fn factory() -> Result<IdbFactory, IdbError> {
    web_sys::window()
        .ok_or_else(|| IdbError::new("UnknownError", "no window"))?
        .indexed_db()
        .map_err(thrown)?
        .ok_or_else(|| IdbError::new("UnknownError", "IndexedDB is not available"))
}

fn result_db(request: &IdbOpenDbRequest) -> Option<IdbDatabase> {
    request.result().ok()?.dyn_into::<IdbDatabase>().ok()
}
