//! A `serde_json::Value` to indented JSON text, byte for byte what `serde_json::to_string_pretty`
//! writes (two spaces a level, `": "` after keys, empty arrays and objects as `[]` and `{}`):
//! the history's backup download, so that page links no serde_json `Serializer` either. Written
//! through [`PrettyWriter`], the report download's writer, so both share one copy of the code.

use super::pretty_writer::PrettyWriter;
use serde_json::Value;

/// The indented JSON text of `value`.
pub fn to_string_pretty(value: &Value) -> String {
    let mut w = PrettyWriter::new();
    w.value(value);
    w.finish()
}
