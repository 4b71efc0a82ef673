//! Key ranges and cursor directions, as the store names them.
//!
//! A range is built from plain `JsValue` keys: the conversions from the store's own types stay
//! in the store, and nothing here is generic over a key type.

use super::error::{thrown, IdbError};
use wasm_bindgen::JsValue;
use web_sys::{IdbCursorDirection, IdbKeyRange};

/// An `IDBKeyRange`. Building one throws (`DataError`) for a key that is not a valid key and
/// for an empty range (lower above upper); both come back as errors.
#[derive(Debug, Clone)]
pub struct KeyRange(IdbKeyRange);

impl KeyRange {
    pub fn bound(
        lower: &JsValue,
        upper: &JsValue,
        lower_open: Option<bool>,
        upper_open: Option<bool>,
    ) -> Result<KeyRange, IdbError> {
        IdbKeyRange::bound_with_lower_open_and_upper_open(
            lower,
            upper,
            lower_open.unwrap_or(false),
            upper_open.unwrap_or(false),
        )
        .map(KeyRange)
        .map_err(thrown)
    }

    pub fn lower_bound(lower: &JsValue, open: Option<bool>) -> Result<KeyRange, IdbError> {
        IdbKeyRange::lower_bound_with_open(lower, open.unwrap_or(false))
            .map(KeyRange)
            .map_err(thrown)
    }

    pub fn upper_bound(upper: &JsValue, open: Option<bool>) -> Result<KeyRange, IdbError> {
        IdbKeyRange::upper_bound_with_open(upper, open.unwrap_or(false))
            .map(KeyRange)
            .map_err(thrown)
    }
}

impl From<KeyRange> for JsValue {
    fn from(range: KeyRange) -> JsValue {
        range.0.into()
    }
}

/// The query argument of a read: the range, or `undefined` for every key.
pub(crate) fn query(range: Option<KeyRange>) -> JsValue {
    range.map_or(JsValue::UNDEFINED, JsValue::from)
}

/// The order a cursor walks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Next,
    Prev,
}

impl Direction {
    pub(crate) fn raw(self) -> IdbCursorDirection {
        match self {
            Direction::Next => IdbCursorDirection::Next,
            Direction::Prev => IdbCursorDirection::Prev,
        }
    }
}
