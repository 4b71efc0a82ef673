//! One stable sort for the whole wasm.
//!
//! `slice::sort_by` is compiled anew for every element type and every comparison closure, about
//! 3 kB of wasm each time (its quicksort, drift sort and small-sort parts), and the live page had
//! fourteen of them. Here the sorting is done once, on positions, through a `dyn` comparison;
//! each caller only adds the few bytes that move its elements into place. Same result as
//! `sort_by`: stable, equal elements keep their order.

use std::cmp::Ordering;

/// `items.sort_by(cmp)`.
pub fn sort_by<T>(items: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let order = order_of(items.len(), &|a, b| cmp(&items[a], &items[b]));
    permute(items, order);
}

/// `items.sort_by_key(key)`.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// `items.sort()`.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// Floats in `f64::total_cmp` order (what `sort_by(|a, b| a.total_cmp(b))` gives).
pub fn sort_floats(items: &mut [f64]) {
    sort_by(items, f64::total_cmp);
}

/// The positions `0..n` in sorted order: the one place `slice::sort_by` is compiled.
fn order_of(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| cmp(*a, *b));
    order
}

/// Puts the element at `order[k]` at `k`, for every `k`, following each cycle of the
/// permutation once.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..order.len() {
        let mut k = start;
        while order[k] != DONE {
            let from = order[k];
            order[k] = DONE;
            if from != start {
                items.swap(k, from);
            }
            k = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_as_the_standard_stable_sort() {
        // Pairs sorted by their first half only: stability shows in the second.
        let mut seed = 7u32;
        for len in 0..60 {
            let items: Vec<(u8, u32)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (((seed >> 16) % 5) as u8, i)
                })
                .collect();
            let mut ours = items.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = items.clone();
            std.sort_by_key(|p| p.0);
            assert_eq!(ours, std, "{items:?}");
            let mut reversed = items.clone();
            sort_by_key(&mut reversed, |p| std::cmp::Reverse(p.0));
            let mut std = items;
            std.sort_by_key(|p| std::cmp::Reverse(p.0));
            assert_eq!(reversed, std);
        }
    }

    #[test]
    fn floats_and_owned_values() {
        let mut f = vec![3.0, f64::NAN, -0.0, 0.0, -1.5, f64::INFINITY];
        sort_floats(&mut f);
        let mut std = vec![3.0, f64::NAN, -0.0, 0.0, -1.5, f64::INFINITY];
        std.sort_by(|a, b| a.total_cmp(b));
        assert_eq!(format!("{f:?}"), format!("{std:?}"));
        let mut names: Vec<String> = ["b", "a", "c", "a"].map(String::from).to_vec();
        sort(&mut names);
        assert_eq!(names, ["a", "a", "b", "c"]);
    }
}
