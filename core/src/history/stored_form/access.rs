//! Writing and reading one JSON object field by field.

use serde_json::{Map, Value};

pub(super) fn texts_to_value(texts: &[String]) -> Value {
    Value::Array(texts.iter().map(|t| Value::from(t.as_str())).collect())
}

pub(super) fn texts_of(v: &Value) -> Option<Vec<String>> {
    list(v, |t| t.as_str().map(str::to_owned))
}

pub(super) fn list<T>(v: &Value, item: fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    v.as_array()?.iter().map(item).collect()
}

pub(super) fn as_u32(v: &Value) -> Option<u32> {
    u32::try_from(v.as_u64()?).ok()
}

/// An object being written.
#[derive(Default)]
pub(super) struct Obj(Map<String, Value>);

impl Obj {
    pub(super) fn put(&mut self, key: &str, value: impl Into<Value>) {
        self.set(key, value.into());
    }

    /// Not inlined: one call per field keeps each writer a list of calls.
    #[inline(never)]
    fn set(&mut self, key: &str, value: Value) {
        self.0.insert(key.to_owned(), value);
    }

    pub(super) fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// An object being read; each getter is `None` when the field does not read.
pub(crate) struct Get<'a>(pub(crate) &'a Map<String, Value>);

impl Get<'_> {
    #[inline(never)]
    pub(crate) fn text(&self, key: &str) -> Option<String> {
        self.0.get(key)?.as_str().map(str::to_owned)
    }

    #[inline(never)]
    pub(crate) fn f64(&self, key: &str) -> Option<f64> {
        self.0.get(key)?.as_f64()
    }

    #[inline(never)]
    pub(crate) fn u32(&self, key: &str) -> Option<u32> {
        as_u32(self.0.get(key)?)
    }

    /// A `bool` with `serde(default)`: absent is `false`.
    #[inline(never)]
    pub(crate) fn flag(&self, key: &str) -> Option<bool> {
        match self.0.get(key) {
            None => Some(false),
            Some(v) => v.as_bool(),
        }
    }

    /// An optional field: absent or `null` is `Some(None)`, a value that does not read `None`.
    pub(crate) fn opt<T>(
        &self,
        key: &str,
        read: impl Fn(&Value) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(v) => read(v).map(Some),
        }
    }

    #[inline(never)]
    pub(crate) fn opt_f64(&self, key: &str) -> Option<Option<f64>> {
        self.opt(key, Value::as_f64)
    }

    #[inline(never)]
    pub(crate) fn opt_text(&self, key: &str) -> Option<Option<String>> {
        self.opt(key, |v| v.as_str().map(str::to_owned))
    }
}
