//! How numbers are shown, in one place so that every view agrees: durations as "45.2s", VRAM in
//! MB, ages as "3s ago". Byte counts are kept as bytes everywhere else.

pub use crate::fixed_point::fixed;

pub const MIB: f64 = 1024.0 * 1024.0;

/// Up to two decimals, no trailing zeros: 10 → "10", 0.5 → "0.5".
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let s = fixed(v, 2);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_owned()
    }
}

/// An optional figure as `shown` writes it, "n/a" when it is unknown: the same word
/// [`number`] and [`duration_ms`] give a figure that is not finite.
pub fn or_na(v: Option<f64>, shown: fn(f64) -> String) -> String {
    v.map(shown).unwrap_or_else(|| "n/a".into())
}

/// "45.2s" below a minute, "3m 05s" below an hour, "1h 02m" above.
pub fn duration_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "n/a".into();
    }
    let s = ms / 1000.0;
    if s < 60.0 {
        fixed(s, 1) + "s"
    } else if s < 3600.0 {
        let whole = s.round() as u64;
        format!("{}m {:02}s", whole / 60, whole % 60)
    } else {
        let mins = (s / 60.0).round() as u64;
        format!("{}h {:02}m", mins / 60, mins % 60)
    }
}

/// "now" under a second, then "Ns ago", "Nm ago", "Nh Mm ago" (the React version had no hours).
pub fn age_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 1000.0 {
        return "now".into();
    }
    let s = (ms / 1000.0).floor() as u64;
    if s < 60 {
        format!("{s}s ago")
    } else if s < 3600 {
        format!("{}m ago", s / 60)
    } else {
        format!("{}h {}m ago", s / 3600, (s % 3600) / 60)
    }
}

pub fn bytes_to_mb(bytes: f64) -> f64 {
    bytes / MIB
}

/// Whole MB, as the telemetry contract shows VRAM.
pub fn mb(bytes: f64) -> String {
    format!("{} MB", (bytes / MIB).round() as i64)
}

/// A signed MB delta with an explicit "+" for growth.
pub fn signed_mb(bytes: f64) -> String {
    let v = (bytes / MIB).round() as i64;
    if v > 0 {
        format!("+{v} MB")
    } else {
        format!("{v} MB")
    }
}

/// The first 8 characters of a ComfyUI prompt id (a UUID), enough to tell runs apart in a list;
/// other ids (imported scenes such as `run/scene-001`) are shown whole, since their start is
/// shared by every scene of a run.
pub fn short_id(id: &str) -> &str {
    let uuid_like = id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if !uuid_like {
        return id;
    }
    match id.char_indices().nth(8) {
        Some((at, _)) => &id[..at],
        None => id,
    }
}

pub fn percent(fraction: f64) -> String {
    format!("{}%", (fraction * 100.0).round() as i64)
}

/// A progress bar's fill as a CSS transform (`scaleX(0.4235)`), clamped to 0..=1 (NaN is
/// empty). The bar is scaled rather than sized so its animation stays on the
/// compositor: a width transition lays the page out again on every frame.
pub fn scale_x(fraction: f64) -> String {
    let f = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    format!("scaleX({})", fixed(f, 4))
}
