//! Requests sent side by side in one transaction and awaited together, through one boxed type.
//!
//! `join_all` is compiled once per future type, and a store's `get`, `key_exists` and `delete`
//! are three types: three copies of its polling code (1.6 kB raw each) on the live page. Boxed as
//! [`Ask`] with one answer type, every batch of requests shares one (issue #22). IndexedDB
//! answers a transaction's requests in the order they were made, so the order of the answers
//! is the order of the requests, as with `join_all` over the plain futures.

use super::idb::{IdbError, Store};
use futures::future::{join_all, LocalBoxFuture};
use wasm_bindgen::JsValue;

/// One request's answer: the value read (`get`), `Some` for a key found (`exists`), `None` for
/// a key missing or a request that returns nothing (`delete`).
pub(super) type Answer = Result<Option<JsValue>, IdbError>;

/// One request, already sent: it goes out when it is made, so requests go out in the order
/// their asks are made.
pub(super) type Ask<'a> = LocalBoxFuture<'a, Answer>;

/// Sends the requests together and waits for every answer, in request order.
#[inline(never)]
pub(super) async fn all(asks: Vec<Ask<'_>>) -> Vec<Answer> {
    join_all(asks).await
}

/// Reads the value stored under `key`.
pub(super) fn get(store: &Store, key: JsValue) -> Ask<'_> {
    Box::pin(store.get(key))
}

/// Whether `key` is stored, without reading its value: `Some` when it is.
pub(super) fn exists(store: &Store, key: JsValue) -> Ask<'_> {
    let found = store.key_exists(key);
    Box::pin(async move { Ok(found.await?.then_some(JsValue::TRUE)) })
}

/// Deletes what is stored under `key` (a key or a key range).
pub(super) fn delete(store: &Store, key: JsValue) -> Ask<'_> {
    let deleted = store.delete(key);
    Box::pin(async move { deleted.await.map(|()| None) })
}

/// Deletes every key, failing with the first request that failed.
pub(super) async fn delete_all(
    store: &Store,
    keys: impl Iterator<Item = JsValue>,
) -> Result<(), IdbError> {
    for answer in all(keys.map(|k| delete(store, k)).collect()).await {
        answer?;
    }
    Ok(())
}
