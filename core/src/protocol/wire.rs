//! Readers for the high-rate payloads that build no `serde_json::Value` tree.
//!
//! A `Value` allocates every key and every string of a frame, and a `progress_state` frame names
//! every node of the prompt several times over. These readers walk the payload once, borrow keys
//! and short strings from the frame, skip what the type does not use, and allocate only what the
//! decoded message keeps. They accept exactly what the `Value` readers they replace accepted:
//! any JSON type where a field is optional (a wrong type reads as absent), numbers as ints,
//! floats or numeric strings, ids as strings or numbers, and the last of duplicate keys.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// Any JSON value, reduced to what a lenient field reader looks at. Containers are skipped.
pub(crate) enum Leaf<'a> {
    Str(Cow<'a, str>),
    Num(Number),
    Bool(bool),
    /// `null`, a list or an object, by its name for error messages.
    Other(&'static str),
}

impl Leaf<'_> {
    /// `lenient::id_of`: a string, or a number's JSON text.
    pub(crate) fn id(self) -> Option<String> {
        match self {
            Leaf::Str(s) => Some(s.into_owned()),
            Leaf::Num(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// `lenient::number_of`: a finite number, or a string that parses as one.
    pub(crate) fn number(&self) -> Option<f64> {
        let n = match self {
            Leaf::Num(n) => n.as_f64(),
            Leaf::Str(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }?;
        n.is_finite().then_some(n)
    }

    /// `Value::as_str`: strings only.
    pub(crate) fn str(&self) -> Option<&str> {
        match self {
            Leaf::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn string(self) -> Option<String> {
        match self {
            Leaf::Str(s) => Some(s.into_owned()),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Leaf<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LeafVisitor)
    }
}

struct LeafVisitor;

impl<'de> Visitor<'de> for LeafVisitor {
    type Value = Leaf<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Leaf<'de>, E> {
        Ok(Number::from_f64(v).map_or(Leaf::Other("a number"), Leaf::Num))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Other("null"))
    }
    fn visit_none<E>(self) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Other("null"))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Leaf<'de>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Leaf<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Leaf::Other("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Leaf<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Leaf::Other("an object"))
    }
}

/// A map key, borrowed from the frame unless it has escapes.
pub(crate) struct Key<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Leaf::<'de>::deserialize(d)? {
            Leaf::Str(s) => Ok(Key(s)),
            _ => Err(de::Error::custom("expected a string key")),
        }
    }
}

/// An object read field by field. `field` must consume the value of every key it is given
/// (`map.next_value::<IgnoredAny>()` for the ones it does not use).
pub(crate) trait FromMap<'de>: Default {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

fn read_map<'de, T: FromMap<'de>, A: MapAccess<'de>>(mut map: A) -> Result<T, A::Error> {
    let mut out = T::default();
    while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
        out.field(&key, &mut map)?;
    }
    Ok(out)
}

/// An object that must be one: any other JSON type is an error (as `text::object` was).
pub(crate) struct Strict<T>(pub T);

/// An optional object: `None` for any other JSON type, as `Value::get` on a non-object gives.
pub(crate) struct Loose<T>(pub Option<T>);

struct MapVisitor<T>(bool, PhantomData<T>);

impl<'de, T: FromMap<'de>> Visitor<'de> for MapVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        read_map(map).map(Some)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<T>, E> {
        self.other()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<T>, E> {
        self.other()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<T>, E> {
        self.other()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<T>, E> {
        self.other()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<T>, E> {
        self.other()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        self.other()
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        self.other()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        if self.0 {
            return Err(de::Error::custom("data is not an object"));
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl<T> MapVisitor<T> {
    fn other<E: de::Error>(self) -> Result<Option<T>, E> {
        if self.0 {
            Err(E::custom("data is not an object"))
        } else {
            Ok(None)
        }
    }
}

impl<'de, T: FromMap<'de>> Deserialize<'de> for Strict<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(MapVisitor::<T>(true, PhantomData))? {
            Some(t) => Ok(Strict(t)),
            None => Err(de::Error::custom("data is not an object")),
        }
    }
}

impl<'de, T: FromMap<'de>> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MapVisitor::<T>(false, PhantomData))
            .map(Loose)
    }
}

/// A list of `T`, or empty for any other JSON type (as `Value::as_array` then `unwrap_or_default`).
pub(crate) struct LooseList<T>(pub Vec<T>);

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<T>()? {
            out.push(item);
        }
        Ok(out)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_str<E>(self, _: &str) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_none<E>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LooseList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor(PhantomData)).map(LooseList)
    }
}

/// Reads the value of the current key as a [`Leaf`].
pub(crate) fn leaf<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Leaf<'de>, A::Error> {
    map.next_value::<Leaf<'de>>()
}

/// Skips the value of the current key.
pub(crate) fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}
