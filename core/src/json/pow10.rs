//! 10^n as the nearest `f64`, for the number reading's `significand × 10^exp`: the values of
//! serde_json's 309-entry table (each a literal `1eN`, which the compiler rounds to nearest),
//! computed instead of stored. The table was 2.5 kB of the live page's data that no compression
//! shrinks (powers of ten have no pattern gzip can use), read for every number with a fraction
//! or an exponent (issue #22). The exponents numbers in frames have are small: those come from
//! a table of the exact powers; the rest are rounded from 5^n here, exactly as the literals are.

/// 10^0 to 10^22: exact in an `f64` (5^22 < 2^53), so no rounding to get right.
#[rustfmt::skip]
const EXACT: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The largest power of ten below `f64::MAX`.
pub(super) const MAX: u32 = 308;

/// Limbs of 5^308 (< 2^716) in 64 bits each.
const LIMBS: usize = 12;

/// The `f64` nearest to 10^n (ties to even), or `None` past [`MAX`].
pub(super) fn pow10(n: u32) -> Option<f64> {
    if let Some(&exact) = EXACT.get(n as usize) {
        return Some(exact);
    }
    if n > MAX {
        return None;
    }
    // 10^n = 5^n · 2^n: round 5^n to 53 bits, then scale by 2^n, which is exact.
    let five = pow5(n);
    let len = five.iter().rposition(|&l| l != 0).map_or(1, |i| i + 1);
    let bits = len as u32 * 64 - five[len - 1].leading_zeros();
    // n > 22, so 5^n has more than 53 bits: `cut` of them fall below the significand.
    let cut = bits - 53;
    let mut significand = bits_at(&five, cut, 53);
    let half = bits_at(&five, cut - 1, 1) == 1;
    let below = (0..cut - 1).any(|b| bits_at(&five, b, 1) == 1);
    let mut exp2 = cut + n;
    if half && (below || significand & 1 == 1) {
        significand += 1;
        if significand == 1 << 53 {
            significand >>= 1;
            exp2 += 1;
        }
    }
    // significand · 2^exp2, with the significand in [2^52, 2^53): its leading bit is implied.
    let biased = u64::from(exp2 + 52 + 1023);
    Some(f64::from_bits(
        (biased << 52) | (significand & ((1 << 52) - 1)),
    ))
}

/// 5^n in little-endian 64-bit limbs (n ≤ [`MAX`]).
fn pow5(n: u32) -> [u64; LIMBS] {
    let mut limbs = [0u64; LIMBS];
    limbs[0] = 1;
    for _ in 0..n {
        let mut carry = 0u64;
        for limb in &mut limbs {
            let wide = u128::from(*limb) * 5 + u128::from(carry);
            *limb = wide as u64;
            carry = (wide >> 64) as u64;
        }
    }
    limbs
}

/// `count` (≤ 64) bits of `limbs` from bit `from` up, as the low bits of a `u64`.
fn bits_at(limbs: &[u64; LIMBS], from: u32, count: u32) -> u64 {
    let (limb, shift) = ((from / 64) as usize, from % 64);
    let low = limbs.get(limb).map_or(0, |l| l >> shift);
    let high = match (shift, limbs.get(limb + 1)) {
        (1.., Some(next)) => next << (64 - shift),
        _ => 0,
    };
    let all = low | high;
    if count == 64 {
        all
    } else {
        all & ((1 << count) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::{pow10, MAX};

    /// Every power the number reading may ask for is the literal serde_json's table held: the
    /// compiler's (and `str::parse`'s) correctly rounded `1eN`.
    #[test]
    fn every_power_is_the_nearest_f64() {
        for n in 0..=MAX {
            let literal: f64 = format!("1e{n}").parse().unwrap();
            assert_eq!(
                pow10(n).map(f64::to_bits),
                Some(literal.to_bits()),
                "10^{n}"
            );
        }
        assert_eq!(pow10(MAX + 1), None);
        assert_eq!(pow10(u32::MAX), None);
    }
}
