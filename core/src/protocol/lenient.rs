//! Field readers that accept what ComfyUI really sends rather than what its docs imply: node ids
//! that are strings or numbers, progress values that are ints or floats, and nulls anywhere.

use serde_json::Value;

/// A node or prompt id: ComfyUI sends strings, but API-format prompts written by hand often use
/// numbers, and some extensions forward those as-is.
pub fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// [`id_of`] of a value no longer needed (a string id is moved, not copied).
pub(crate) fn into_id(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        other => id_of(&other),
    }
}

pub fn number_of(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => decimal(s),
        _ => None,
    }?;
    n.is_finite().then_some(n)
}

/// A numeric string as `str::parse::<f64>` reads it (sign, digits, point, exponent; surrounding
/// whitespace ignored), but converted by the JSON reader's number reading (`crate::json`, serde_json's
/// core's own float parser brings 15 kB of code and tables into the live page (issue #22). JSON's
/// grammar is stricter ("+1", ".5", "5.", "007" are not JSON), so the text is rewritten into it
/// first. `inf`/`nan` give `None`, as they would be dropped as non-finite anyway.
pub(crate) fn decimal(s: &str) -> Option<f64> {
    let s = s.trim();
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let mut json = String::with_capacity(s.len() + 2);
    if negative {
        json.push('-');
    }
    match int.trim_start_matches('0') {
        "" => json.push('0'),
        int => json.push_str(int),
    }
    if !frac.is_empty() {
        json.push('.');
        json.push_str(frac);
    }
    if let Some(e) = exponent {
        let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
        if unsigned.is_empty() || !digits(unsigned) {
            return None;
        }
        json.push('e');
        json.push_str(e);
    }
    crate::json::parse(&json).ok()?.as_f64()
}

#[cfg(test)]
mod tests {
    use super::decimal;

    /// What `str::parse::<f64>` gives, finite only (`number_of` drops the rest).
    fn std_finite(s: &str) -> Option<f64> {
        s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
    }

    fn same(s: &str) {
        let ours = decimal(s).filter(|v| v.is_finite());
        match (ours, std_finite(s)) {
            (Some(a), Some(b)) => {
                let tolerance = b.abs() * 2.0 * f64::EPSILON;
                assert!((a - b).abs() <= tolerance, "{s:?}: {a} vs {b}");
                assert_eq!(a.is_sign_negative(), b.is_sign_negative(), "{s:?}: sign");
            }
            (a, b) => assert_eq!(a, b, "{s:?}"),
        }
    }

    #[test]
    fn numeric_strings_read_as_str_parse_reads_them() {
        for s in [
            "0",
            "1",
            "-1",
            "+1",
            "007",
            "-007.50",
            "0.5",
            ".5",
            "-.5",
            "5.",
            "-5.",
            "1e3",
            "1E3",
            "1e+3",
            "1e-3",
            "2.5E-10",
            "5.e3",
            ".5e1",
            "1e05",
            " 42 ",
            "\t3.25\n",
            "0.1",
            "0.15",
            "123456789012345678901234567890",
            "1.7976931348623157e308",
            "4.9e-324",
            "1e-400",
            "-0",
            "-0.0",
            "0e999999999999999999",
            "1e-999999999999999999",
            "12.5%",
            "1,5",
            "",
            " ",
            "-",
            "+",
            ".",
            "-.",
            "e5",
            ".e5",
            "1e",
            "1e+",
            "1e-",
            "1.2.3",
            "--1",
            "+-1",
            "0x10",
            "1_000",
            "inf",
            "-inf",
            "NaN",
            "infinity",
            "1e400",
            "-1e400",
            "١",
        ] {
            same(s);
        }
    }

    /// Up to 15 significant digits the value is exact; a full 17-digit text may land one unit in
    /// the last place off (serde_json without `float_roundtrip`), as a JSON number would.
    #[test]
    fn typical_progress_values_are_exact() {
        for i in 0..20000 {
            let v = i as f64 * 0.37 - 4000.0;
            for s in [
                format!("{v:.3}"),
                format!("{:.2e}", v),
                format!("{}", i * 7),
            ] {
                assert_eq!(decimal(&s), s.parse::<f64>().ok(), "{s}");
            }
            same(&format!("{v}"));
            same(&format!("{v:e}"));
        }
    }
}
