//! A frame's `data` object read one level deep: its keys, borrowed from the frame, and each
//! value's JSON text, parsed only when that field is asked for.
//!
//! Reading `data` into a `serde_json::Map` allocated every key and every value of the frame,
//! the fields nobody reads included (`progress_state` names each node three more times, and is
//! more than a third of a busy server's messages): the decoder was the largest part of the
//! socket handler's time (issue 22, throughput). Here an object costs one `Vec`, and a field
//! costs what reading that field costs.

use super::DecodeError;
use crate::json;
use serde_json::Value;

/// The fields of one JSON object, in the frame's order (a repeated key: the last one counts,
/// as in `serde_json::Map`); each value is its JSON text, checked but not yet parsed.
pub(crate) struct Fields<'a>(json::RawFields<'a>);

impl<'a> Fields<'a> {
    /// `data` as an object; anything else makes the frame malformed.
    pub(crate) fn parse(kind: &str, data: &'a str) -> Result<Fields<'a>, DecodeError> {
        match json::fields(data) {
            Ok(Some(fields)) => Ok(Fields(fields)),
            Ok(None) => Err(DecodeError::bad_data(kind, "data is not an object")),
            Err(e) => Err(DecodeError::bad_data(kind, e)),
        }
    }

    /// No fields (a value that is not an object reads as one with none).
    pub(crate) fn none() -> Fields<'a> {
        Fields(Vec::new())
    }

    /// The same fields with each repeated key's earlier values left out (a `serde_json::Map`
    /// holds one value per key): for iterating over an object whose keys are names.
    pub(crate) fn without_repeats(mut self) -> Fields<'a> {
        let mut keys: Vec<&str> = self.0.iter().map(|(k, _)| k.as_ref()).collect();
        crate::sort::sort(&mut keys);
        if keys.windows(2).all(|w| w[0] != w[1]) {
            return self;
        }
        // Rare (a server that repeats a key): a quadratic pass is fine here.
        let fields = std::mem::take(&mut self.0);
        let later = |i: usize| fields[i + 1..].iter().any(|(k, _)| *k == fields[i].0);
        let keep: Vec<bool> = (0..fields.len()).map(|i| !later(i)).collect();
        self.0 = fields
            .into_iter()
            .zip(keep)
            .filter_map(|(field, keep)| keep.then_some(field))
            .collect();
        self
    }

    /// The field's JSON text.
    pub(crate) fn raw(&self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| *v)
    }

    /// The field's value.
    pub(crate) fn get(&self, name: &str) -> Option<Value> {
        self.raw(name).map(value)
    }

    /// Every field, in the frame's order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &'a str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), *v))
    }

    /// The field's value when it is an object (`None` for any other value, or none).
    pub(crate) fn object(&self, name: &str) -> Option<Fields<'a>> {
        self.raw(name).and_then(object_of)
    }
}

/// A value's text already checked by the scanner; `Null` when it does not read as a value
/// (a lone surrogate or an out-of-range number, which the scanner does not check, as
/// serde_json's skipping did not).
pub(crate) fn value(raw: &str) -> Value {
    json::parse(raw).unwrap_or(Value::Null)
}

/// The value's fields when it is an object.
pub(crate) fn object_of(raw: &str) -> Option<Fields<'_>> {
    raw.starts_with('{')
        .then(|| json::fields(raw).ok().flatten().map(Fields))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_lazily_and_the_last_repeat_counts() {
        let f = Fields::parse("t", r#"{"a":1,"b\u0021":{"c":[true]},"a":"x"}"#).unwrap();
        assert_eq!(f.get("a"), Some(Value::String("x".into())));
        assert_eq!(f.raw("b!"), Some(r#"{"c":[true]}"#));
        let inner = f.object("b!").unwrap();
        assert_eq!(inner.get("c"), Some(serde_json::json!([true])));
        assert!(f.object("a").is_none());
        assert_eq!(f.get("missing"), None);
        assert_eq!(f.iter().count(), 3);
        let once = f.without_repeats();
        let keys: Vec<&str> = once.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["b!", "a"]);
        assert_eq!(once.get("a"), Some(Value::String("x".into())));
    }

    #[test]
    fn anything_but_an_object_is_malformed() {
        for data in ["[1]", "null", "3", "\"s\"", "{", "{\"a\":}", ""] {
            assert!(
                matches!(Fields::parse("t", data), Err(DecodeError::BadData { .. })),
                "{data}"
            );
        }
    }
}
