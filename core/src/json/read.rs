//! JSON text to a `serde_json::Value`, built through its public constructors.
//!
//! serde_json's `from_str::<Value>` went through the generic `Deserializer`/`Visitor` machinery
//! (`deserialize_any`, `MapAccess`, error `Display` with line and column): several kilobytes of
//! the live page's wasm for what a direct recursive reader does in a few hundred bytes. Accepts
//! and rejects what serde_json does, and gives the same `Value`, bit for bit (the differential
//! tests in `tests.rs` hold it to that).

use super::cursor::Cursor;
use super::{JsonError, JsonErrorKind};
use serde_json::{Map, Value};

/// How deep arrays and objects may nest: serde_json's limit, so a hostile text cannot overflow
/// the stack, and a text serde_json accepted is still accepted.
const DEPTH_LIMIT: u8 = 128;

/// The value of a whole JSON text (whitespace around it allowed, nothing else).
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let mut cursor = Cursor::new(text);
    let value = cursor.value(DEPTH_LIMIT)?;
    cursor.end()?;
    Ok(value)
}

impl Cursor<'_> {
    /// One value; `depth` is how many more arrays or objects may open (serde_json's
    /// `remaining_depth`: it fails when the count reaches zero).
    fn value(&mut self, depth: u8) -> Result<Value, JsonError> {
        let at = self.pos;
        Ok(match self.ws() {
            None => return Err(JsonError::new(JsonErrorKind::Eof, at)),
            Some(b'n') => {
                self.literal(b"null")?;
                Value::Null
            }
            Some(b't') => {
                self.literal(b"true")?;
                Value::Bool(true)
            }
            Some(b'f') => {
                self.literal(b"false")?;
                Value::Bool(false)
            }
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            Some(b'"') => {
                self.pos += 1;
                Value::String(self.string()?.into_owned())
            }
            Some(open @ (b'[' | b'{')) => {
                let depth = depth - 1;
                if depth == 0 {
                    return Err(JsonError::new(JsonErrorKind::Depth, self.pos));
                }
                self.pos += 1;
                if open == b'[' {
                    Value::Array(self.array(depth)?)
                } else {
                    Value::Object(self.object(depth)?)
                }
            }
            Some(_) => return Err(JsonError::new(JsonErrorKind::Unexpected, self.pos)),
        })
    }

    /// An array's items, the cursor past its `[`.
    fn array(&mut self, depth: u8) -> Result<Vec<Value>, JsonError> {
        let mut items = Vec::new();
        if self.ws() == Some(b']') {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(self.value(depth)?);
            match self.ws() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(self.unexpected()),
            }
        }
    }

    /// An object's members, the cursor past its `{` (a repeated key: the last one counts).
    fn object(&mut self, depth: u8) -> Result<Map<String, Value>, JsonError> {
        let mut map = Map::new();
        if self.ws() == Some(b'}') {
            self.pos += 1;
            return Ok(map);
        }
        loop {
            self.expect(b'"')?;
            let key = self.string()?.into_owned();
            self.expect(b':')?;
            let value = self.value(depth)?;
            map.insert(key, value);
            match self.ws() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(map);
                }
                _ => return Err(self.unexpected()),
            }
        }
    }
}
