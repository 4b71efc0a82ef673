//! `format!("{:.N}", v)` for an `f64`, character for character, without core's float formatter.
//!
//! Core's `<f64 as Display>` (Grisu with a Dragon fallback, its tables and bignums) is about
//! 12 kB of the live page's wasm (issue #22), and one `{:.1}` anywhere in the page keeps all of
//! it. A fixed number of decimals needs much less: the value is `m · 2^e` exactly, so `v · 10^N`
//! is an integer plus a binary fraction, rounded half to even as the standard library rounds it.

/// The most decimals [`fixed`] writes; more are clamped to it.
pub const MAX_DECIMALS: u32 = 9;

/// `v` with exactly `decimals` digits after the point, as `format!("{v:.decimals$}")` writes it:
/// correctly rounded (half to even on the exact binary value), "-" on negative values and on
/// negative zero, "inf", "-inf" and "NaN" for the rest.
pub fn fixed(v: f64, decimals: u32) -> String {
    let decimals = decimals.min(MAX_DECIMALS);
    if v.is_nan() {
        return "NaN".into();
    }
    let mut out = String::new();
    if v.is_sign_negative() {
        out.push('-');
    }
    if v.is_infinite() {
        out.push_str("inf");
        return out;
    }
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    // v = mantissa · 2^exponent, exactly.
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    let scale = 10u128.pow(decimals);
    let digits = if exponent >= 0 {
        // An integer of up to 309 digits: no fraction to round.
        let mut text = whole_digits(mantissa, exponent as u32);
        text.extend(std::iter::repeat_n('0', decimals as usize));
        text
    } else {
        // mantissa · 10^N < 2^83: the part below the point is `scaled`'s lowest `shift` bits.
        let scaled = mantissa as u128 * scale;
        let shift = exponent.unsigned_abs();
        let rounded = if shift > 100 {
            0 // below 2^-17 even after scaling: rounds to zero
        } else {
            let quotient = scaled >> shift;
            let rest = scaled - (quotient << shift);
            let half = 1u128 << (shift - 1);
            if rest > half || (rest == half && quotient & 1 == 1) {
                quotient + 1
            } else {
                quotient
            }
        };
        let text = rounded.to_string();
        // At least one digit before the point.
        let pad = (decimals as usize + 1).saturating_sub(text.len());
        "0".repeat(pad) + &text
    };
    let point = digits.len() - decimals as usize;
    out.push_str(&digits[..point]);
    if decimals > 0 {
        out.push('.');
        out.push_str(&digits[point..]);
    }
    out
}

/// The decimal digits of `mantissa · 2^exponent`, in base-10^9 limbs, least significant first.
fn whole_digits(mantissa: u64, exponent: u32) -> String {
    const BASE: u64 = 1_000_000_000;
    let mut limbs = vec![
        mantissa % BASE,
        (mantissa / BASE) % BASE,
        mantissa / (BASE * BASE),
    ];
    let mut left = exponent;
    while left > 0 {
        let step = left.min(29);
        left -= step;
        let mut carry = 0u64;
        for limb in &mut limbs {
            let v = (*limb << step) + carry;
            *limb = v % BASE;
            carry = v / BASE;
        }
        while carry > 0 {
            limbs.push(carry % BASE);
            carry /= BASE;
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut text = String::with_capacity(limbs.len() * 9);
    for (i, limb) in limbs.iter().rev().enumerate() {
        let part = limb.to_string();
        if i > 0 {
            text.extend(std::iter::repeat_n('0', 9 - part.len()));
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn std_fixed(v: f64, decimals: u32) -> String {
        format!("{v:.prec$}", prec = decimals as usize)
    }

    #[test]
    fn edges_read_as_the_standard_library_writes_them() {
        let values = [
            0.0,
            -0.0,
            0.05,
            0.15,
            0.25,
            0.35,
            -0.04,
            0.5,
            1.5,
            2.5,
            -2.5,
            0.125,
            0.375,
            9.95,
            9.96,
            99.95,
            999.9999,
            1e-7,
            5e-324,
            -5e-324,
            2.2250738585072014e-308,
            f64::MIN_POSITIVE,
            4503599627370495.5,
            4503599627370496.0,
            9007199254740993.0,
            1e15,
            1e16,
            1e17,
            1e22,
            1e23,
            123_456_789.987_654_33,
            1.7976931348623157e308,
            -1.7976931348623157e308,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for v in values {
            for decimals in 0..=MAX_DECIMALS {
                assert_eq!(
                    fixed(v, decimals),
                    std_fixed(v, decimals),
                    "{v:e} with {decimals}"
                );
            }
        }
    }

    #[test]
    fn more_decimals_than_the_maximum_are_clamped() {
        assert_eq!(fixed(1.25, 40), std_fixed(1.25, MAX_DECIMALS));
    }

    #[test]
    fn percentages_and_durations_as_the_views_show_them() {
        for i in 0..200_000 {
            let v = i as f64 * 0.001_37;
            for decimals in [0, 1, 2] {
                assert_eq!(fixed(v, decimals), std_fixed(v, decimals), "{v}");
                assert_eq!(fixed(-v, decimals), std_fixed(-v, decimals), "{v}");
            }
            let percent = i as f64 / 2000.0 * 100.0;
            assert_eq!(fixed(percent, 1), std_fixed(percent, 1), "{percent}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn any_bit_pattern(bits in any::<u64>(), decimals in 0..=MAX_DECIMALS) {
            let v = f64::from_bits(bits);
            prop_assert_eq!(fixed(v, decimals), std_fixed(v, decimals));
        }

        #[test]
        fn any_everyday_value(v in -1e7f64..1e7, decimals in 0..=MAX_DECIMALS) {
            prop_assert_eq!(fixed(v, decimals), std_fixed(v, decimals));
        }
    }
}
