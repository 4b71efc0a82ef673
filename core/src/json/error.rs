//! What went wrong in a JSON text, and where (a byte offset into the text).
//!
//! The messages are short on purpose: serde_json's `ErrorCode` Display, its line/column
//! tracking and the `Unexpected` formatting (which reached `<str as Debug>::fmt`) were kilobytes
//! of the live page's wasm for texts that only ever end up in a decode-error counter.

/// Why a text is not JSON (or not JSON we accept), and the byte offset where it was seen. One
/// message format for every kind: a `Display` per variant was a formatting call each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} at {at}", .kind.text())]
pub struct JsonError {
    pub kind: JsonErrorKind,
    pub at: usize,
}

impl JsonError {
    pub(super) fn new(kind: JsonErrorKind, at: usize) -> JsonError {
        JsonError { kind, at }
    }
}

/// What was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// The text ended inside a value.
    Eof,
    /// A byte that cannot start or continue what was being read.
    Unexpected,
    /// Malformed number (`01`, `1.`, `1e`, `-`).
    Number,
    /// A number too large for an f64.
    Range,
    /// Unknown escape or bad `\u` digits.
    Escape,
    /// A `\u` surrogate without its pair.
    Surrogate,
    /// An unescaped control character inside a string.
    Control,
    /// More than the nesting limit of arrays and objects.
    Depth,
    /// The same field twice where only one is allowed.
    Duplicate,
    /// A value of the wrong kind where a specific one was expected.
    Type,
    /// Something after the value.
    Trailing,
}

impl JsonErrorKind {
    fn text(self) -> &'static str {
        match self {
            JsonErrorKind::Eof => "unexpected end of JSON",
            JsonErrorKind::Unexpected => "unexpected character",
            JsonErrorKind::Number => "invalid number",
            JsonErrorKind::Range => "number out of range",
            JsonErrorKind::Escape => "invalid escape",
            JsonErrorKind::Surrogate => "lone surrogate",
            JsonErrorKind::Control => "control character in string",
            JsonErrorKind::Depth => "nested too deep",
            JsonErrorKind::Duplicate => "duplicate field",
            JsonErrorKind::Type => "unexpected value",
            JsonErrorKind::Trailing => "trailing characters",
        }
    }
}
