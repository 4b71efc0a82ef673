//! A position in a JSON text and the lexical pieces every reader shares: whitespace, literals,
//! strings (decoded, borrowed when they have no escapes, or only checked and skipped).
//!
//! Strings follow serde_json exactly: escapes `\" \\ \/ \b \f \n \r \t \uXXXX`, control
//! characters rejected, and a `\u` surrogate must come in a pair when the string is decoded;
//! a skipped string only checks the four hex digits, as serde_json's `ignore_str` does for the
//! fields it does not read (so a frame accepted before is accepted now).

use super::{JsonError, JsonErrorKind};
use std::borrow::Cow;

/// A text being read, and how far.
pub(super) struct Cursor<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str) -> Cursor<'a> {
        Cursor { text, pos: 0 }
    }

    #[inline(always)]
    pub(super) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips whitespace and returns the next byte (not consumed).
    #[inline]
    pub(super) fn ws(&mut self) -> Option<u8> {
        loop {
            match self.peek() {
                Some(b' ' | b'\n' | b'\t' | b'\r') => self.pos += 1,
                other => return other,
            }
        }
    }

    /// Nothing but whitespace left.
    pub(super) fn end(&mut self) -> Result<(), JsonError> {
        match self.ws() {
            None => Ok(()),
            Some(_) => Err(JsonError::new(JsonErrorKind::Trailing, self.pos)),
        }
    }

    /// The error for the byte at the cursor: the end of the text, or an unexpected byte.
    pub(super) fn unexpected(&self) -> JsonError {
        match self.peek() {
            None => JsonError::new(JsonErrorKind::Eof, self.pos),
            Some(_) => JsonError::new(JsonErrorKind::Unexpected, self.pos),
        }
    }

    /// Consumes `byte` after whitespace, or fails.
    #[inline]
    pub(super) fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        if self.ws() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// `null`, `true` or `false`, the cursor on its first letter.
    pub(super) fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        for &expected in word {
            match self.peek() {
                None => return Err(JsonError::new(JsonErrorKind::Eof, self.pos)),
                Some(b) if b == expected => self.pos += 1,
                Some(_) => return Err(JsonError::new(JsonErrorKind::Unexpected, self.pos)),
            }
        }
        Ok(())
    }

    /// A string's contents, the cursor just past its opening quote: borrowed from the text
    /// unless it has escapes.
    pub(super) fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        let text = self.text;
        let mut owned: Option<String> = None;
        let mut run = self.pos;
        loop {
            self.plain_run();
            let tail = text.get(run..self.pos).unwrap_or_default();
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                    });
                }
                Some(b'\\') => {
                    let out = owned.get_or_insert_with(String::new);
                    out.push_str(tail);
                    self.pos += 1;
                    self.escape(out)?;
                    run = self.pos;
                }
                Some(_) => return Err(JsonError::new(JsonErrorKind::Control, self.pos)),
                None => return Err(JsonError::new(JsonErrorKind::Eof, self.pos)),
            }
        }
    }

    /// Checks a string without decoding it, the cursor just past its opening quote.
    pub(super) fn skip_string(&mut self) -> Result<(), JsonError> {
        loop {
            self.plain_run();
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let at = self.pos;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            self.hex4()?;
                        }
                        Some(_) => return Err(JsonError::new(JsonErrorKind::Escape, at)),
                        None => return Err(JsonError::new(JsonErrorKind::Eof, at)),
                    }
                }
                Some(_) => return Err(JsonError::new(JsonErrorKind::Control, self.pos)),
                None => return Err(JsonError::new(JsonErrorKind::Eof, self.pos)),
            }
        }
    }

    /// Moves past bytes that need no attention inside a string (anything but a quote, a
    /// backslash or a control character), eight at a time while it can: most of a frame is
    /// string bytes, and this loop is the decoder's hottest (serde_json does the same).
    fn plain_run(&mut self) {
        const ONES: u64 = u64::MAX / 255;
        const HIGH: u64 = ONES << 7;
        let bytes = self.text.as_bytes();
        let mut pos = self.pos;
        while let Some(chunk) = bytes.get(pos..pos + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            let control = w.wrapping_sub(ONES * 0x20) & !w;
            let quote =
                (w ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES) & !(w ^ (ONES * u64::from(b'"')));
            let backslash = (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES)
                & !(w ^ (ONES * u64::from(b'\\')));
            let found = (control | quote | backslash) & HIGH;
            if found != 0 {
                self.pos = pos + found.trailing_zeros() as usize / 8;
                return;
            }
            pos += 8;
        }
        while let Some(&b) = bytes.get(pos) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            pos += 1;
        }
        self.pos = pos;
    }

    /// One escape, the cursor just past its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let at = self.pos;
        let c = match self.peek() {
            None => return Err(JsonError::new(JsonErrorKind::Eof, at)),
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\x08',
            Some(b'f') => '\x0c',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                return self.unicode(out);
            }
            Some(_) => return Err(JsonError::new(JsonErrorKind::Escape, at)),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    /// A `\u` escape, the cursor on its hex digits; a surrogate needs its pair.
    fn unicode(&mut self, out: &mut String) -> Result<(), JsonError> {
        let at = self.pos;
        let n = self.hex4()? as u32;
        let code = match n {
            0xDC00..=0xDFFF => return Err(JsonError::new(JsonErrorKind::Surrogate, at)),
            0xD800..=0xDBFF => {
                for byte in [b'\\', b'u'] {
                    match self.peek() {
                        Some(b) if b == byte => self.pos += 1,
                        Some(_) => return Err(JsonError::new(JsonErrorKind::Surrogate, at)),
                        None => return Err(JsonError::new(JsonErrorKind::Eof, self.pos)),
                    }
                }
                let low = self.hex4()? as u32;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(JsonError::new(JsonErrorKind::Surrogate, at));
                }
                0x10000 + ((n - 0xD800) << 10 | (low - 0xDC00))
            }
            _ => n,
        };
        out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
        Ok(())
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u16, JsonError> {
        let Some(digits) = self.text.as_bytes().get(self.pos..self.pos + 4) else {
            self.pos = self.text.len();
            return Err(JsonError::new(JsonErrorKind::Eof, self.pos));
        };
        let mut n = 0u16;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(JsonError::new(JsonErrorKind::Escape, self.pos)),
            };
            n = n << 4 | v as u16;
        }
        self.pos += 4;
        Ok(n)
    }
}
