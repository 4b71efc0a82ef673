//! Tests only: the serde_json paths the frame decoder used before this module, kept as the
//! reference the differential tests and the throughput comparison run against.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// The old envelope: serde's derive.
#[derive(serde::Deserialize)]
pub(super) struct OldEnvelope<'a> {
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
}

/// The old `Fields`: keys borrowed unless escaped, values as `RawValue`.
pub(super) struct OldFields<'a>(pub Vec<(Cow<'a, str>, &'a RawValue)>);

struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for OldFields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = OldFields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OldFields<'de>, A::Error> {
                let mut fields = Vec::new();
                while let Some(Key(key)) = map.next_key()? {
                    fields.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(OldFields(fields))
            }
        }
        d.deserialize_map(FieldsVisitor)
    }
}

/// The old reading of `data`: `Ok(None)` for a value that is not an object (serde's `Data`
/// category), `Err` for a syntax error.
pub(super) fn old_fields(text: &str) -> Result<Option<super::RawFields<'_>>, ()> {
    match serde_json::from_str::<OldFields>(text) {
        Ok(f) => Ok(Some(f.0.into_iter().map(|(k, v)| (k, v.get())).collect())),
        Err(e) if e.classify() == serde_json::error::Category::Data => Ok(None),
        Err(_) => Err(()),
    }
}

/// The old envelope as `(type, data text)`.
pub(super) fn old_envelope(text: &str) -> Result<(Option<Cow<'_, str>>, Option<&str>), ()> {
    serde_json::from_str::<OldEnvelope>(text)
        .map(|e| (e.kind, e.data.map(RawValue::get)))
        .map_err(|_| ())
}
