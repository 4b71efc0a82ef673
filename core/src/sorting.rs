//! Sorting for the pages that load lazily, with one copy of the sort algorithm among them.
//!
//! The standard library's sorts are generic: every `sort_by` call with its own closure (and
//! every `select_nth_unstable_by`) compiles the whole algorithm again, 3–5 kB of wasm each. The
//! history, report and insight code had about 40 of them, some 65 kB of the split chunks
//! (issue #22). Here the algorithm runs once, on indices, behind a `dyn` comparison; what each
//! call site adds is its comparison and a few swaps. The comparisons cost an indirect call each,
//! which the largest sort (100 000 search results) does in milliseconds.

use std::cmp::Ordering;

/// The order of `n` items under `cmp`, compared by index: `order[k]` is the index of the item
/// that comes `k`-th. Stable: equal items keep their order.
pub fn order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut at: Vec<usize> = (0..n).collect();
    at.sort_unstable_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
    at
}

/// Sorts `v` by `cmp`, stably (as `slice::sort_by`).
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    let mut at = order(v.len(), &|a, b| cmp(&v[a], &v[b]));
    permute(v, &mut at);
}

/// Sorts `v` by the key `key` gives, stably (as `slice::sort_by_key`).
pub fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts numbers ascending by `f64::total_cmp`.
pub fn sort_floats(v: &mut [f64]) {
    sort_by(v, f64::total_cmp);
}

/// Puts `v[at[k]]` at `k` for every `k`, following each cycle of the permutation with swaps
/// (`at` is used up: each position is marked done as it is filled).
fn permute<T>(v: &mut [T], at: &mut [usize]) {
    for start in 0..at.len() {
        let mut k = start;
        while at[k] != k {
            let next = at[k];
            at[k] = k;
            if next == start {
                break;
            }
            v.swap(k, next);
            k = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so the tests need no crate.
    fn numbers(n: usize, seed: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % 50
            })
            .collect()
    }

    #[test]
    fn sorts_as_the_standard_stable_sort_does() {
        for n in [0, 1, 2, 3, 7, 64, 1000] {
            let items: Vec<(u64, usize)> = numbers(n, n as u64 + 1)
                .into_iter()
                .enumerate()
                .map(|(i, v)| (v, i))
                .collect();
            let mut ours = items.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = items;
            std.sort_by_key(|a| a.0);
            assert_eq!(ours, std, "n = {n}");
        }
    }

    #[test]
    fn equal_items_keep_their_order() {
        let mut v = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
        sort_by_key(&mut v, |x| x.0);
        assert_eq!(v, [(0, 'e'), (1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
    }

    #[test]
    fn reverse_keys_and_floats() {
        let mut v = vec![3, 1, 2];
        sort_by_key(&mut v, |x| std::cmp::Reverse(*x));
        assert_eq!(v, [3, 2, 1]);
        let mut f = vec![2.5, -1.0, f64::INFINITY, 0.0, -0.0];
        sort_floats(&mut f);
        assert_eq!(
            f.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            [-1.0, -0.0, 0.0, 2.5, f64::INFINITY].map(f64::to_bits)
        );
    }

    #[test]
    fn items_that_cannot_be_copied_are_moved_whole() {
        let mut v: Vec<String> = ["pear", "apple", "fig", "banana"]
            .map(String::from)
            .to_vec();
        sort_by(&mut v, |a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
        assert_eq!(v, ["fig", "pear", "apple", "banana"]);
    }
}
