//! Field readers that accept what ComfyUI really sends rather than what its docs imply: node ids
//! that are strings or numbers, progress values that are ints or floats, and nulls anywhere.
//!
//! The serde field readers go through [`Leaf`], not `Value`: they allocate only the string they
//! return, and skip a list or object given where a scalar belongs without building it.

use super::wire::{Leaf, LooseList};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A node or prompt id: ComfyUI sends strings, but API-format prompts written by hand often use
/// numbers, and some extensions forward those as-is.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Leaf::deserialize(d)? {
        Leaf::Bool(_) => Err(serde::de::Error::custom("expected an id, found a boolean")),
        Leaf::Other(kind) => Err(serde::de::Error::custom(format!(
            "expected an id, found {kind}"
        ))),
        leaf => Ok(leaf.id().unwrap_or_default()),
    }
}

pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Leaf::deserialize(d)?.id())
}

pub fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(LooseList::<Leaf<'de>>::deserialize(d)?
        .0
        .into_iter()
        .filter_map(Leaf::id)
        .collect())
}

/// A number that may come as int, float, numeric string or null. Non-finite values are dropped.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Leaf::deserialize(d)?.number())
}

pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(opt_f64(d)?.map(|v| v as i64))
}

pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Leaf::deserialize(d)? {
        Leaf::Bool(b) => Some(b.to_string()),
        leaf => leaf.id(),
    })
}

pub fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn number_of(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }?;
    n.is_finite().then_some(n)
}
