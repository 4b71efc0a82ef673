//! JSON text in and out, of our own, over `serde_json::Value` (still the tree type everywhere).
//!
//! serde_json's text machinery (its `Deserializer` with `deserialize_any`, `ignore_value`,
//! number and string parsers, error formatting; its `Serializer` and `format_escaped_str`; the
//! serde derives and visitors that drove them) was about 38 kB of the live page's wasm
//! (≈15 kB gzip, issue #22). These readers and the writer do the same work directly, and accept,
//! reject and produce exactly what serde_json did: `tests.rs` checks them against serde_json on
//! recorded frames, generated values and malformed texts.
//!
//! - [`parse`]: a whole text to a `Value` (nesting limit 128, numbers as serde_json reads them);
//! - [`fields`], [`envelope`]: the frame decoder's borrowed one-pass scanner;
//! - [`to_string`], [`to_string_pretty`]: a `Value` to compact or indented text;
//! - [`PrettyWriter`]: indented text member by member, in a struct's field order.

mod cursor;
mod error;
mod number;
mod pow10;
mod pretty;
mod pretty_writer;
mod read;
mod scan;
mod write;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod serde_reference;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_random;

pub use error::{JsonError, JsonErrorKind};
pub use pretty::to_string_pretty;
pub use pretty_writer::PrettyWriter;
pub use read::parse;
pub use scan::{envelope, fields, Envelope, RawFields};
pub use write::{to_string, write_str, write_value};
