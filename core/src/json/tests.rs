//! Differential tests against serde_json: recorded frames and malformed texts (generated values
//! are in `tests_random.rs`). Same accept/reject decision, same `Value` (numbers to the bit),
//! same written text.

use super::serde_reference::{old_envelope, old_fields};
use super::*;
use serde_json::Value;
use std::path::Path;

/// Same decision and same value as serde_json; for accepted texts, the writer matches too.
pub(super) fn same_as_serde(text: &str) {
    let ours = parse(text);
    let theirs = serde_json::from_str::<Value>(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            assert!(
                identical(a, b),
                "value differs for {text:?}: {a:?} vs {b:?}"
            );
            assert_eq!(to_string(a), serde_json::to_string(b).unwrap(), "{text:?}");
        }
        (Err(_), Err(_)) => {}
        _ => panic!("decision differs for {text:?}: ours {ours:?}, serde_json {theirs:?}"),
    }
    let old = old_fields(text).ok().flatten();
    let new = fields(text).ok().flatten();
    assert_eq!(new, old, "fields differ for {text:?}");
    assert_eq!(
        envelope(text).ok().map(|e| (e.kind, e.data)),
        old_envelope(text).ok(),
        "envelope differs for {text:?}"
    );
}

/// Equal, with floats compared by their bits (`-0.0` and `0.0` apart, unlike `PartialEq`).
pub(super) fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            _ if x.is_f64() != y.is_f64() || x.is_u64() != y.is_u64() => false,
            (Some(p), Some(q)) if x.is_f64() => p.to_bits() == q.to_bits(),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| identical(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k, p), (l, q))| k == l && identical(p, q))
        }
        _ => a == b,
    }
}

fn json_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            json_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "jsonl")
        ) {
            out.push(path);
        }
    }
}

/// Every JSON text in the recorded fixtures: each file, each line of a `.jsonl`, and each
/// recorded frame (`msg`) written back to text.
pub(super) fn recorded_texts() -> Vec<String> {
    let mut files = Vec::new();
    json_files(Path::new("/work/shared/fixtures/comfyui"), &mut files);
    json_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        &mut files,
    );
    files.sort();
    let mut texts = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if path.extension().and_then(|e| e.to_str()) == Some("jsonl") {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(line) {
                    if let Some(msg) = o.get("msg") {
                        texts.push(serde_json::to_string(msg).unwrap());
                    }
                }
                texts.push(line.to_owned());
            }
        }
        texts.push(text);
    }
    texts
}

#[test]
fn recorded_frames_read_and_write_as_serde_json_does() {
    let texts = recorded_texts();
    assert!(texts.len() > 1000, "{} texts", texts.len());
    for text in &texts {
        same_as_serde(text);
        // Each recorded frame's `data`, as the decoder reads it.
        if let Ok(e) = envelope(text) {
            if let Some(data) = e.data {
                same_as_serde(data);
                for (_, raw) in fields(data).ok().flatten().unwrap_or_default() {
                    same_as_serde(raw);
                }
            }
        }
    }
}

#[test]
fn malformed_texts_are_rejected_as_serde_json_rejects_them() {
    let cases = [
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{1:2}",
        "{\"a\":1 \"b\":2}",
        "[1 2]",
        "nul",
        "nulll",
        "tru",
        "falsey",
        "True",
        "NaN",
        "Infinity",
        "-Infinity",
        "-",
        "--1",
        "+1",
        "01",
        "-01",
        "00",
        "1.",
        "1.e5",
        ".5",
        "1e",
        "1e+",
        "1e-",
        "1E5",
        "1e5x",
        "0x10",
        "1 2",
        "\"abc",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\u12g4\"",
        "\"\\uD800\"",
        "\"\\uDC00\"",
        "\"\\uD800\\u0041\"",
        "\"\\uD800x\"",
        "\"\\uD800\\\"",
        "\"\\uD800\\n\"",
        "\"\\uD83D\\uDE00\"",
        "\"\\uD83D\"",
        "\"\t\"",
        "\"a\nb\"",
        "\"\u{1}\"",
        "\"\u{7f}\"",
        "\"\\/\"",
        "[1]x",
        "[1] ",
        " [1]\n",
        "{}{}",
        "\u{feff}{}",
        "1e400",
        "-1e400",
        "1e-400",
        "0e99999999999",
        "1e99999999999",
        "0.0000000000000000000000000000001e-330",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "-0",
        "-0.0",
        "0.1",
        "1.7976931348623157e308",
        "1.7976931348623159e308",
        "4.9e-324",
        "2.5e-324",
        "123456789012345678901234567890",
        "1234567890123456789012.5e-3",
        "18446744073709551615.5",
        "1844674407370955161500001",
        "0.30000000000000004",
        "[1e]",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":1,\"a\":2}",
        "{\"a\":{\"b\":1},\"a\":[2]}",
        "{\"type\":\"x\",\"type\":\"y\"}",
        "{\"type\":\"x\",\"data\":1,\"data\":2}",
        "{\"type\":1}",
        "{\"type\":null,\"data\":null}",
        "{\"typ\\u0065\":\"progress\"}",
        "[\"progress\",{\"value\":1}]",
        "[\"progress\"]",
        "[]",
        "[null,null]",
        "[\"a\",1,2]",
        "[\"a\",]",
        "[1]",
        "null",
        "\"status\"",
        "{\"type\":\"x\",\"junk\":\"\\uD800\"}",
        "{\"type\":\"x\",\"junk\":1e999}",
        "{\"type\":\"x\",\"junk\":[1,{\"a\":[]},]}",
        "{\"type\":\"x\",\"data\":{\"k\":\"\\uDC00\"}}",
        "{\"a\":\"\\uDC00\"}",
    ];
    for text in cases {
        same_as_serde(text);
    }
}

#[test]
fn nesting_stops_where_serde_json_stops() {
    for depth in [1, 64, 126, 127, 128, 129, 200, 5000] {
        let arrays = "[".repeat(depth) + &"]".repeat(depth);
        let objects = "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth);
        same_as_serde(&arrays);
        same_as_serde(&objects);
        // A skipped value has no limit, as serde_json's `ignore_value` has none.
        same_as_serde(&format!("{{\"type\":\"x\",\"junk\":{arrays}}}"));
        same_as_serde(&format!("{{\"type\":\"x\",\"junk\":{arrays}"));
    }
    assert_eq!(
        parse(&"[".repeat(1_000_000)),
        Err(JsonError::new(JsonErrorKind::Depth, 127))
    );
}

#[test]
fn every_prefix_of_a_frame_is_judged_as_serde_json_judges_it() {
    let frame = r#"{"type":"progress_state","data":{"prompt_id":"p\u00e9","nodes":{"3":{"value":-1.5e-3,"max":20,"state":"running","x":[true,false,null,"\ud83d\ude00"]}}}}"#;
    for end in 0..=frame.len() {
        same_as_serde(&frame[..end]);
    }
}

#[test]
fn errors_are_short_and_say_where() {
    assert_eq!(
        parse("[1,]").unwrap_err().to_string(),
        "unexpected character at 3"
    );
    assert_eq!(
        parse("{\"a\"").unwrap_err(),
        JsonError::new(JsonErrorKind::Eof, 4)
    );
    assert_eq!(
        parse("01").unwrap_err(),
        JsonError::new(JsonErrorKind::Number, 1)
    );
}
