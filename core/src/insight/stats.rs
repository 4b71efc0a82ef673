//! The few statistics the rules share: medians, the normal tail, a rank-sum test and a
//! proportion test, and the confidence every finding carries. No libm: `erfc` is a rational
//! approximation accurate to about 1e-7, far finer than any confidence we print.

use crate::sort::{sort_by, sort_floats};

/// Median of unsorted values (sorted on a copy: one sort for every page, `crate::sort`,
/// instead of a selection algorithm of its own); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    sort_floats(&mut v);
    sorted_median(&v)
}

/// Median of sorted values: the mean of the middle two for an even count.
pub fn sorted_median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Nearest-rank percentile of unsorted values (the history tab's definition), on a sorted copy.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
    let mut v = values.to_vec();
    sort_floats(&mut v);
    Some(v[rank.min(n) - 1])
}

/// The `k` greatest items by `key`, greatest first (ties in their given order).
pub fn top_k<T>(items: Vec<T>, k: usize, key: impl Fn(&T) -> f64) -> Vec<T> {
    let mut keyed: Vec<(f64, T)> = items.into_iter().map(|t| (key(&t), t)).collect();
    sort_by(&mut keyed, |a, b| b.0.total_cmp(&a.0));
    keyed.truncate(k);
    keyed.into_iter().map(|(_, t)| t).collect()
}

/// Complementary error function (Numerical Recipes' `erfcc`, |error| < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// P(Z ≥ z) for a standard normal Z: the one-sided p-value of a z score.
pub fn upper_tail(z: f64) -> f64 {
    if z.is_nan() {
        return 1.0;
    }
    (0.5 * erfc(z / std::f64::consts::SQRT_2)).clamp(0.0, 1.0)
}

/// Mann–Whitney U test, normal approximation with the tie correction: the two-sided p-value
/// that `a` and `b` come from the same distribution. `None` when either side is empty.
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> Option<f64> {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|v| (*v, true))
        .chain(b.iter().map(|v| (*v, false)))
        .collect();
    sort_by(&mut all, |x, y| x.0.total_cmp(&y.0));
    let n = all.len() as f64;
    let (mut rank_sum_a, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        // Ranks i+1..=j+1 share their mean.
        let rank = (i + j + 2) as f64 / 2.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        rank_sum_a += rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let var = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)).max(1.0));
    if var <= 0.0 {
        // Every value equal: no evidence of a difference.
        return Some(1.0);
    }
    let z = (u - mean).abs() / var.sqrt();
    Some((2.0 * upper_tail(z)).min(1.0))
}

/// One-sided p-value that a rate of `k` in `n` exceeds `p0` (normal approximation of the
/// binomial, with a continuity correction). 1 when `n` is 0.
pub fn proportion_above_p(k: usize, n: usize, p0: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let (k, n) = (k as f64, n as f64);
    let sd = (p0 * (1.0 - p0) / n).sqrt();
    let z = ((k - 0.5) / n - p0) / sd;
    upper_tail(z)
}

/// One-sided p-value that the mean of `values` exceeds `mu0` (z test, the standard deviation
/// floored at `sd_floor` so identical values do not divide by zero). 1 when empty.
pub fn mean_above_p(values: &[f64], mu0: f64, sd_floor: f64) -> f64 {
    let n = values.len() as f64;
    if values.is_empty() {
        return 1.0;
    }
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    let sd = var.sqrt().max(sd_floor);
    upper_tail((mean - mu0) / (sd / n.sqrt()))
}

/// The prior weight, in runs, that a finding's confidence is shrunk towards 0 by.
pub const PRIOR_RUNS: f64 = 10.0;

/// No rule fires unless its test's p-value is at most this.
pub const MAX_P: f64 = 0.05;

/// Whether a p-value allows a finding (a NaN never does).
pub fn significant(p: f64) -> bool {
    p <= MAX_P
}

/// Confidence of a finding: `(1 − p) · n / (n + 10)`, rounded to three decimals. `p` is the
/// rule's one-sided p-value (how likely data this extreme would be without the effect), `n` its
/// sample size; the shrink factor keeps a perfect-looking effect in 5 runs (0.33) below the same
/// effect in 100 (0.91), so confidence grows with the sample as well as with the effect.
pub fn confidence(p: f64, n: usize) -> f64 {
    let n = n as f64;
    let p = if p.is_nan() { 1.0 } else { p.clamp(0.0, 1.0) };
    let c = (1.0 - p) * n / (n + PRIOR_RUNS);
    (c * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_tail_matches_its_table() {
        assert!((upper_tail(0.0) - 0.5).abs() < 1e-7);
        assert!((upper_tail(1.959_964) - 0.025).abs() < 1e-6);
        assert!((upper_tail(-1.644_854) - 0.95).abs() < 1e-6);
        assert!(upper_tail(40.0) < 1e-300 + 1e-12);
    }

    #[test]
    fn rank_sum_separates_shifted_samples_and_not_equal_ones() {
        let a: Vec<f64> = (0..20).map(|i| 10.0 + i as f64 * 0.1).collect();
        let b: Vec<f64> = (0..20).map(|i| 20.0 + i as f64 * 0.1).collect();
        assert!(mann_whitney_p(&a, &b).expect("p") < 1e-6);
        assert!(mann_whitney_p(&a, &a).expect("p") > 0.9);
        assert_eq!(mann_whitney_p(&[1.0, 1.0], &[1.0, 1.0]), Some(1.0));
        assert_eq!(mann_whitney_p(&[], &[1.0]), None);
    }

    #[test]
    fn medians_and_proportions() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(percentile(&[5.0, 1.0, 3.0, 2.0, 4.0], 95.0), Some(5.0));
        assert_eq!(percentile(&[5.0, 1.0, 3.0, 2.0, 4.0], 50.0), Some(3.0));
        assert_eq!(top_k(vec![3.0, 9.0, 1.0, 7.0], 2, |v| *v), vec![9.0, 7.0]);
        assert!(proportion_above_p(50, 100, 0.05) < 1e-6);
        assert!(proportion_above_p(5, 100, 0.05) > 0.4);
        assert!(mean_above_p(&[0.9; 10], 0.5, 0.02) < 1e-6);
    }

    #[test]
    fn confidence_grows_with_the_sample() {
        assert!(confidence(0.0, 5) < confidence(0.0, 50));
        assert_eq!(confidence(0.0, 10), 0.5);
        assert_eq!(confidence(1.0, 100), 0.0);
    }
}
