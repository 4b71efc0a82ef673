//! What went wrong in a JSON text, and where (a byte offset into the text).
//!
//! The messages are short on purpose: serde_json's `ErrorCode` Display, its line/column
//! tracking and the `Unexpected` formatting (which reached `<str as Debug>::fmt`) were kilobytes
//! of the live page's wasm for texts that only ever end up in a decode-error counter.

/// Why a text is not JSON (or not JSON we accept), with the byte offset where it was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// The text ended inside a value.
    #[error("unexpected end of JSON at {0}")]
    Eof(usize),
    /// A byte that cannot start or continue what was being read.
    #[error("unexpected character at {0}")]
    Unexpected(usize),
    /// Malformed number (`01`, `1.`, `1e`, `-`).
    #[error("invalid number at {0}")]
    Number(usize),
    /// A number too large for an f64.
    #[error("number out of range at {0}")]
    Range(usize),
    /// Unknown escape or bad `\u` digits.
    #[error("invalid escape at {0}")]
    Escape(usize),
    /// A `\u` surrogate without its pair.
    #[error("lone surrogate at {0}")]
    Surrogate(usize),
    /// An unescaped control character inside a string.
    #[error("control character in string at {0}")]
    Control(usize),
    /// More than the nesting limit of arrays and objects.
    #[error("nested too deep at {0}")]
    Depth(usize),
    /// The same field twice where only one is allowed.
    #[error("duplicate field at {0}")]
    Duplicate(usize),
    /// A value of the wrong kind where a specific one was expected.
    #[error("unexpected value at {0}")]
    Type(usize),
    /// Something after the value.
    #[error("trailing characters at {0}")]
    Trailing(usize),
}
