//! The hot path: a frame read without building a tree. `envelope` finds a frame's `type` and the
//! raw text of its `data`; `fields` lists an object's keys (borrowed unless escaped) with each
//! value's raw text. A value is only checked (grammar, as serde_json's `ignore_value` checks the
//! values it skips), and parsed later when someone asks for it, so a `progress` flood still
//! costs one pass over each frame.

use super::cursor::Cursor;
use super::{JsonError, JsonErrorKind};
use std::borrow::Cow;

/// An object's members as raw text: `(key, value text)`, in the text's order, repeats kept.
pub type RawFields<'a> = Vec<(Cow<'a, str>, &'a str)>;

/// The members of the object `text`; `Ok(None)` when `text` starts with a value that is not an
/// object (the rest unchecked, as serde_json's `deserialize_map` reports a type error there).
pub fn fields(text: &str) -> Result<Option<RawFields<'_>>, JsonError> {
    let mut cursor = Cursor::new(text);
    match cursor.ws() {
        Some(b'{') => cursor.pos += 1,
        Some(b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => return Ok(None),
        _ => return Err(cursor.unexpected()),
    }
    let mut fields = Vec::with_capacity(8);
    if cursor.ws() == Some(b'}') {
        cursor.pos += 1;
    } else {
        loop {
            cursor.expect(b'"')?;
            let key = cursor.string()?;
            cursor.expect(b':')?;
            fields.push((key, cursor.raw()?));
            match cursor.ws() {
                Some(b',') => cursor.pos += 1,
                Some(b'}') => {
                    cursor.pos += 1;
                    break;
                }
                _ => return Err(cursor.unexpected()),
            }
        }
    }
    cursor.end()?;
    Ok(Some(fields))
}

/// A frame's `type` (a string, or absent/null) and the raw text of its `data` (absent: `None`).
#[derive(Debug, PartialEq)]
pub struct Envelope<'a> {
    pub kind: Option<Cow<'a, str>>,
    pub data: Option<&'a str>,
}

/// The envelope of a frame, with what serde's derive on `{type, data}` accepted: an object
/// (other members skipped, `type` or `data` twice an error) or an array `[type, data]` of up to
/// two items.
pub fn envelope(text: &str) -> Result<Envelope<'_>, JsonError> {
    let mut cursor = Cursor::new(text);
    let mut envelope = Envelope {
        kind: None,
        data: None,
    };
    match cursor.ws() {
        Some(b'{') => {
            cursor.pos += 1;
            cursor.envelope_members(&mut envelope)?
        }
        Some(b'[') => {
            cursor.pos += 1;
            cursor.envelope_items(&mut envelope)?
        }
        Some(_) => return Err(JsonError::new(JsonErrorKind::Type, cursor.pos)),
        None => return Err(JsonError::new(JsonErrorKind::Eof, cursor.pos)),
    }
    cursor.end()?;
    Ok(envelope)
}

impl<'a> Cursor<'a> {
    /// A value's text, checked, after whitespace.
    fn raw(&mut self) -> Result<&'a str, JsonError> {
        self.ws();
        let start = self.pos;
        self.skip()?;
        Ok(self.text.get(start..self.pos).unwrap_or_default())
    }

    /// A string or null (`None`).
    fn kind(&mut self) -> Result<Option<Cow<'a, str>>, JsonError> {
        match self.ws() {
            Some(b'"') => {
                self.pos += 1;
                self.string().map(Some)
            }
            Some(b'n') => self.literal(b"null").map(|_| None),
            Some(_) => Err(JsonError::new(JsonErrorKind::Type, self.pos)),
            None => Err(JsonError::new(JsonErrorKind::Eof, self.pos)),
        }
    }

    /// Raw text, or `None` for null.
    fn data(&mut self) -> Result<Option<&'a str>, JsonError> {
        let raw = self.raw()?;
        Ok((raw != "null").then_some(raw))
    }

    fn envelope_members(&mut self, envelope: &mut Envelope<'a>) -> Result<(), JsonError> {
        let (mut kind_seen, mut data_seen) = (false, false);
        if self.ws() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.expect(b'"')?;
            let at = self.pos;
            let key = self.string()?;
            self.expect(b':')?;
            match key.as_ref() {
                "type" if kind_seen => return Err(JsonError::new(JsonErrorKind::Duplicate, at)),
                "data" if data_seen => return Err(JsonError::new(JsonErrorKind::Duplicate, at)),
                "type" => {
                    kind_seen = true;
                    envelope.kind = self.kind()?;
                }
                "data" => {
                    data_seen = true;
                    envelope.data = self.data()?;
                }
                _ => self.skip()?,
            }
            match self.ws() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.unexpected()),
            }
        }
    }

    fn envelope_items(&mut self, envelope: &mut Envelope<'a>) -> Result<(), JsonError> {
        if self.ws() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        envelope.kind = self.kind()?;
        if self.item_follows()? {
            envelope.data = self.data()?;
            if self.item_follows()? {
                return Err(JsonError::new(JsonErrorKind::Trailing, self.pos));
            }
        }
        Ok(())
    }

    /// After an array item: `true` past a `,` (another item must follow), `false` past the `]`.
    fn item_follows(&mut self) -> Result<bool, JsonError> {
        match self.ws() {
            Some(b',') => {
                self.pos += 1;
                match self.ws() {
                    Some(b']') => Err(JsonError::new(JsonErrorKind::Unexpected, self.pos)),
                    _ => Ok(true),
                }
            }
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// Checks one value and moves past it, without a depth limit and without recursion (what
    /// serde_json's `ignore_value` accepted: strings' `\u` escapes and numbers' ranges are not
    /// checked here, only when the value is parsed).
    pub(super) fn skip(&mut self) -> Result<(), JsonError> {
        let mut nest = Nest::default();
        loop {
            match self.ws() {
                None => return Err(JsonError::new(JsonErrorKind::Eof, self.pos)),
                Some(b'n') => self.literal(b"null")?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'-' | b'0'..=b'9') => self.skip_number()?,
                Some(b'"') => {
                    self.pos += 1;
                    self.skip_string()?;
                }
                Some(open @ (b'[' | b'{')) => {
                    self.pos += 1;
                    let object = open == b'{';
                    let close = if object { b'}' } else { b']' };
                    if self.ws() == Some(close) {
                        self.pos += 1;
                    } else {
                        nest.push(object);
                        if object {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                Some(_) => return Err(JsonError::new(JsonErrorKind::Unexpected, self.pos)),
            }
            // After a value: close what it ends, or go on to the next item.
            loop {
                let Some(object) = nest.top() else {
                    return Ok(());
                };
                match self.ws() {
                    Some(b',') => {
                        self.pos += 1;
                        if object {
                            self.skip_key()?;
                        }
                        break;
                    }
                    Some(b']') if !object => nest.pop(),
                    Some(b'}') if object => nest.pop(),
                    _ => return Err(self.unexpected()),
                }
                self.pos += 1;
            }
        }
    }

    /// `"key":` inside a skipped object.
    fn skip_key(&mut self) -> Result<(), JsonError> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.expect(b':')
    }
}

/// Which containers a skipped value is inside (`true`: object): a bit each for the first 128
/// levels, a list beyond, so skipping allocates nothing for ordinary frames.
#[derive(Default)]
struct Nest {
    depth: usize,
    bits: u128,
    deeper: Vec<bool>,
}

impl Nest {
    fn push(&mut self, object: bool) {
        if self.depth < 128 {
            let bit = 1u128 << self.depth;
            self.bits = if object {
                self.bits | bit
            } else {
                self.bits & !bit
            };
        } else {
            self.deeper.push(object);
        }
        self.depth += 1;
    }

    fn top(&self) -> Option<bool> {
        match self.depth {
            0 => None,
            d if d <= 128 => Some(self.bits >> (d - 1) & 1 == 1),
            _ => self.deeper.last().copied(),
        }
    }

    fn pop(&mut self) {
        if self.depth > 128 {
            self.deeper.pop();
        }
        self.depth = self.depth.saturating_sub(1);
    }
}
