//! An object store and its indexes, with the requests the history store makes of them.
//!
//! Each method issues one web-sys request, awaited through [`send`] (the one request future);
//! what the answer becomes is a plain function of `convert`. The reads an index shares
//! with its store have the same shape on both, so `rexie`'s names and signatures were kept and
//! the store's code read the same after the switch.

use super::convert::{count, list, optional};
use super::cursor;
use super::error::{thrown, IdbError};
use super::key_range::{query, Direction, KeyRange};
use super::request::{send, Request};
use std::future::Future;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbIndex, IdbObjectStore, IdbRequest};

/// An object store, in the transaction it was taken from.
#[derive(Debug)]
pub struct Store(pub(crate) IdbObjectStore);

/// An index of an object store.
#[derive(Debug)]
pub struct StoreIndex(IdbIndex);

// The methods below are not `async`: each issues its request when called and returns one of
// the few shared futures at the end of this file, so a store's and an index's `get_all` are
// one type, not two. Requests go out in call order, which is the order they are answered in.

impl Store {
    pub fn index(&self, name: &str) -> Result<StoreIndex, IdbError> {
        self.0.index(name).map(StoreIndex).map_err(thrown)
    }

    /// Whether `key` is stored, without reading its value.
    pub fn key_exists(&self, key: JsValue) -> impl Future<Output = Result<bool, IdbError>> {
        read_exists(self.0.get_key(&key))
    }

    /// Adds or replaces a value; the key it was stored under. `key` only for stores without a
    /// key path (ours all have one: `None`).
    pub fn put(
        &self,
        value: &JsValue,
        key: Option<&JsValue>,
    ) -> impl Future<Output = Result<JsValue, IdbError>> {
        send(self.put_request(value, key))
    }

    /// Sends every put at once and waits for the last: the requests of a transaction are
    /// answered in order, and a failed one aborts the transaction, which fails the last too.
    pub fn put_all(
        &self,
        values: impl Iterator<Item = (JsValue, Option<JsValue>)>,
    ) -> impl Future<Output = Result<(), IdbError>> {
        let mut last = Ok(None);
        for (value, key) in values {
            match self.put_request(&value, key.as_ref()) {
                Ok(request) => last = Ok(Some(request)),
                Err(e) => {
                    last = Err(e);
                    break;
                }
            }
        }
        wait_last(last)
    }

    fn put_request(&self, value: &JsValue, key: Option<&JsValue>) -> Result<IdbRequest, JsValue> {
        match key {
            Some(k) => self.0.put_with_key(value, k),
            None => self.0.put(value),
        }
    }

    /// Deletes what is stored under `key` (a key or a key range).
    pub fn delete(&self, key: JsValue) -> impl Future<Output = Result<(), IdbError>> {
        wait_last(self.0.delete(&key).map(Some))
    }

    pub fn clear(&self) -> impl Future<Output = Result<(), IdbError>> {
        wait_last(self.0.clear().map(Some))
    }
}

/// The reads a store and its indexes both answer (`IdbObjectStore` and `IdbIndex` have the same
/// methods but no common trait): written once for both. `$key` names what the type is ordered
/// by, for the docs.
macro_rules! reads {
    ($type:ident, $key:literal) => {
        impl $type {
            #[doc = concat!("The first value whose ", $key, " is `key` (or falls in a key range).")]
            pub fn get(
                &self,
                key: JsValue,
            ) -> impl Future<Output = Result<Option<JsValue>, IdbError>> {
                read_one(self.0.get(&key))
            }

            #[doc = concat!("The values in `range`, in ", $key, " order, at most `limit`.")]
            pub fn get_all(
                &self,
                range: Option<KeyRange>,
                limit: Option<u32>,
            ) -> impl Future<Output = Result<Vec<JsValue>, IdbError>> {
                let q = query(range);
                read_list(match limit {
                    Some(n) => self.0.get_all_with_key_and_limit(&q, n),
                    None => self.0.get_all_with_key(&q),
                })
            }

            #[doc = concat!("The primary keys of the records in `range`, in ", $key, " order.")]
            pub fn get_all_keys(
                &self,
                range: Option<KeyRange>,
                limit: Option<u32>,
            ) -> impl Future<Output = Result<Vec<JsValue>, IdbError>> {
                let q = query(range);
                read_list(match limit {
                    Some(n) => self.0.get_all_keys_with_key_and_limit(&q, n),
                    None => self.0.get_all_keys_with_key(&q),
                })
            }

            #[doc = concat!("`(", $key, ", value)` pairs in `direction` (`Next` by default); see `cursor::scan`.")]
            pub fn scan(
                &self,
                range: Option<KeyRange>,
                limit: Option<u32>,
                offset: Option<u32>,
                direction: Option<Direction>,
            ) -> impl Future<Output = Result<Vec<(JsValue, JsValue)>, IdbError>> {
                let dir = direction.unwrap_or(Direction::Next).raw();
                let open = self
                    .0
                    .open_cursor_with_range_and_direction(&query(range), dir);
                cursor::scan(open, limit, offset)
            }

            #[doc = concat!("The primary keys of the records in `range`, in ", $key, " order walked in `direction`, at most `limit`, in one request. `None` when this browser cannot read backwards in one request (`getAllKeys` with an options dictionary: Chromium 141 and later).")]
            pub fn get_all_keys_toward(
                &self,
                range: Option<KeyRange>,
                limit: u32,
                direction: Direction,
            ) -> Option<impl Future<Output = Result<Vec<JsValue>, IdbError>>> {
                let request = match direction {
                    Direction::Next => self.0.get_all_keys_with_key_and_limit(&query(range), limit),
                    Direction::Prev => {
                        // Browsers without the dictionary read it as a key and throw.
                        let method = js_sys::Reflect::get(&self.0, &JsValue::from_str("getAllKeys"))
                            .ok()?
                            .dyn_into::<js_sys::Function>()
                            .ok()?;
                        let options = js_sys::Object::new();
                        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&options, &JsValue::from_str(k), v);
                        set("query", &query(range))
                            .and_then(|_| set("count", &JsValue::from_f64(f64::from(limit))))
                            .and_then(|_| set("direction", &JsValue::from_str("prev")))
                            .ok()?;
                        method.call1(&self.0, &options).ok()?.dyn_into::<IdbRequest>()
                    }
                };
                request.ok().map(|r| read_list(Ok(r)))
            }

            #[doc = concat!("How many records are in `range` (by ", $key, ").")]
            pub fn count(
                &self,
                range: Option<KeyRange>,
            ) -> impl Future<Output = Result<u32, IdbError>> {
                read_count(self.0.count_with_key(&query(range)))
            }
        }
    };
}

reads!(Store, "primary key");
reads!(StoreIndex, "index key");

async fn read_one(request: Result<IdbRequest, JsValue>) -> Result<Option<JsValue>, IdbError> {
    send(request).await.map(optional)
}

async fn read_exists(request: Result<IdbRequest, JsValue>) -> Result<bool, IdbError> {
    Ok(optional(send(request).await?).is_some())
}

async fn read_list(request: Result<IdbRequest, JsValue>) -> Result<Vec<JsValue>, IdbError> {
    list(send(request).await?)
}

async fn read_count(request: Result<IdbRequest, JsValue>) -> Result<u32, IdbError> {
    count(send(request).await?)
}

/// Waits for the last of some requests (none: nothing to wait for), answer dropped.
async fn wait_last(last: Result<Option<IdbRequest>, JsValue>) -> Result<(), IdbError> {
    match last.map_err(thrown)? {
        Some(request) => Request::new(request).await.map(drop),
        None => Ok(()),
    }
}
