//! A thin IndexedDB layer over web-sys: the part of `rexie`'s API the history store uses, and
//! nothing else (issue #22: `rexie`, `idb` and the tokio channels `idb` awaited through were
//! 15 kB of the live page's wasm).
//!
//! - one future for every request ([`request::Request`]), a cursor step included;
//! - one future for a transaction's end ([`Transaction::done`]);
//! - conversions of keys and answers as plain functions over `JsValue`, not generics;
//! - errors that keep the `DOMException`'s name and message ([`IdbError`]).
//!
//! A transaction commits by itself once no request is pending at the end of a task: inside one,
//! await nothing but these requests.

mod convert;
mod cursor;
mod database;
mod error;
mod key_range;
mod request;
mod store;
mod transaction;

pub use database::Database;
pub use error::IdbError;
pub use key_range::{Direction, KeyRange};
pub use store::{Store, StoreIndex};
pub use transaction::{Completion, Transaction, TransactionMode};
