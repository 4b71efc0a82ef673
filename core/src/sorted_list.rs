//! A small map kept as a `Vec` of `(key, value)` in key order, for the few-entry maps of the
//! page: a `BTreeMap` compiles its own tree code for every key and value type (issue #22), a
//! sorted list only a binary search and an insert.

use std::cmp::Ordering;

/// The value under a key of a list kept in key order (as a `BTreeMap` keeps it), added when new:
/// `cmp` compares an entry's key with the one sought. The history trends' sums by workflow and
/// by day, and the counts of unknown message types, are kept this way.
pub(crate) fn slot<K, V: Default>(
    list: &mut Vec<(K, V)>,
    cmp: impl Fn(&K) -> Ordering,
    key: impl FnOnce() -> K,
) -> &mut V {
    let i = match list.binary_search_by(|e| cmp(&e.0)) {
        Ok(i) => i,
        Err(i) => {
            list.insert(i, (key(), V::default()));
            i
        }
    };
    &mut list[i].1
}

#[cfg(test)]
mod tests {
    use super::slot;

    #[test]
    fn keys_stay_in_order_and_each_is_there_once() {
        let mut counts: Vec<(String, u64)> = Vec::new();
        for kind in ["b", "a", "c", "a", "b", "a"] {
            *slot(&mut counts, |k| k.as_str().cmp(kind), || kind.to_owned()) += 1;
        }
        let expected: Vec<(String, u64)> = vec![("a".into(), 3), ("b".into(), 2), ("c".into(), 1)];
        assert_eq!(counts, expected);
    }
}
