//! Generated values round-tripped both ways against serde_json: a small deterministic
//! generator (nested objects and arrays, escapes, unicode with surrogate pairs, big, negative,
//! float and exponent numbers) whose texts are read by both readers, and whose values are
//! written by both writers.

use super::tests::{identical, same_as_serde};
use super::*;
use serde_json::{Map, Number, Value};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PIECES: &[&str] = &[
    "a", "node", " ", "\"", "\\", "/", "\n", "\t", "\r", "\u{8}", "\u{c}", "\u{1}", "\u{1f}",
    "\u{7f}", "é", "ß", "日本", "😀", "𝄞", "\u{2028}", "\u{feff}", "progress", "{", "]", ":", ",",
];

fn string(rng: &mut Rng) -> String {
    (0..rng.below(6))
        .map(|_| PIECES[rng.below(PIECES.len() as u64) as usize])
        .collect()
}

fn number(rng: &mut Rng) -> Value {
    let n = match rng.below(8) {
        0 => Number::from(rng.next()),
        1 => Number::from(-(rng.below(1 << 40) as i64)),
        2 => Number::from(rng.next() as i64),
        3 => Number::from(rng.below(100)),
        _ => {
            let bits = rng.next();
            let f = match rng.below(4) {
                0 => f64::from_bits(bits),
                1 => (bits % 1_000_000) as f64 / 1000.0,
                2 => -((bits % 1000) as f64) * 1e-7,
                _ => (bits as f64) * 1e250,
            };
            return Number::from_f64(f).map_or(Value::Null, Value::Number);
        }
    };
    Value::Number(n)
}

fn value(rng: &mut Rng, depth: u32) -> Value {
    match rng.below(if depth == 0 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => number(rng),
        3 | 4 => Value::String(string(rng)),
        5 => Value::Array((0..rng.below(5)).map(|_| value(rng, depth - 1)).collect()),
        _ => Value::Object(
            (0..rng.below(5))
                .map(|_| (string(rng), value(rng, depth - 1)))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// Numbers written by hand rather than by a writer: long digit runs, exponents, signs.
fn number_text(rng: &mut Rng) -> String {
    let digits = |rng: &mut Rng, n: u64| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect()
    };
    let mut s = String::new();
    if rng.below(2) == 0 {
        s.push('-');
    }
    let len = 1 + rng.below(25);
    let int = digits(rng, len);
    s.push_str(int.trim_start_matches('0'));
    if s.is_empty() || s == "-" {
        s.push('0');
    }
    if rng.below(2) == 0 {
        s.push('.');
        let len = 1 + rng.below(25);
        s.push_str(&digits(rng, len));
    }
    if rng.below(2) == 0 {
        s.push(['e', 'E'][rng.below(2) as usize]);
        s.push_str(["", "+", "-"][rng.below(3) as usize]);
        let len = 1 + rng.below(3);
        s.push_str(&digits(rng, len));
    }
    s
}

#[test]
fn generated_values_round_trip_both_ways() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..4000 {
        let v = value(&mut rng, 5);
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(to_string(&v), text);
        same_as_serde(&text);
        let back = parse(&to_string(&v)).unwrap();
        assert!(identical(&back, &serde_json::from_str(&text).unwrap()));
        // Pretty text (whitespace everywhere), and a few corruptions of it.
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        assert_eq!(to_string_pretty(&v), pretty);
        same_as_serde(&pretty);
        if !pretty.is_empty() {
            let cut = rng.below(pretty.len() as u64) as usize;
            if let Some(prefix) = pretty.get(..cut) {
                same_as_serde(prefix);
            }
            let mut bytes = pretty.clone().into_bytes();
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] = b"{}[],:\"\\0-.eu \x01"[rng.below(15) as usize];
            if let Ok(broken) = String::from_utf8(bytes) {
                same_as_serde(&broken);
            }
        }
    }
}

#[test]
fn generated_number_texts_read_to_the_same_bits() {
    let mut rng = Rng(42);
    for _ in 0..20000 {
        let text = number_text(&mut rng);
        same_as_serde(&text);
        same_as_serde(&format!("[{text}]"));
    }
}
