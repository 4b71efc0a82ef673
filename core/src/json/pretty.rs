//! A `serde_json::Value` to indented JSON text, byte for byte what `serde_json::to_string_pretty`
//! writes (two spaces a level, `": "` after keys, empty arrays and objects as `[]` and `{}`):
//! the history's backup download, so that page links no serde_json `Serializer` either.

use super::write::{write_str, write_value};
use serde_json::Value;

/// The indented JSON text of `value`.
pub fn to_string_pretty(value: &Value) -> String {
    let mut out = String::new();
    pretty(&mut out, value, 0);
    out
}

fn pretty(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                next_line(out, i, level + 1);
                pretty(out, item, level + 1);
            }
            close(out, level, ']');
        }
        Value::Object(map) if !map.is_empty() => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                next_line(out, i, level + 1);
                write_str(out, key);
                out.push_str(": ");
                pretty(out, item, level + 1);
            }
            close(out, level, '}');
        }
        other => write_value(out, other),
    }
}

fn next_line(out: &mut String, index: usize, level: usize) {
    out.push_str(if index > 0 { ",\n" } else { "\n" });
    indent(out, level);
}

fn close(out: &mut String, level: usize, bracket: char) {
    out.push('\n');
    indent(out, level);
    out.push(bracket);
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}
