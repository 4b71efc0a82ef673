use super::*;
use std::collections::{BTreeMap, BTreeSet};

/// A small deterministic generator (no rand in the core's tests).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn as_btree<V: Clone>(m: &StrMap<V>) -> BTreeMap<String, V> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[test]
fn a_map_agrees_with_a_btree_map_over_random_operations() {
    let mut rng = Lcg(7);
    let mut ours: StrMap<u64> = StrMap::new();
    let mut theirs: BTreeMap<String, u64> = BTreeMap::new();
    for step in 0..20_000u64 {
        // 64 keys, so inserts, replacements and removals all happen often.
        let key = format!("prompt-{}", rng.next() % 64);
        match rng.next() % 6 {
            0 | 1 => assert_eq!(ours.insert(key.clone(), step), theirs.insert(key, step)),
            2 => assert_eq!(ours.remove(&key), theirs.remove(&key)),
            3 => assert_eq!(ours.get(&key), theirs.get(&key)),
            4 => {
                *ours.get_or_insert_with(&key, || 0) += 1;
                *theirs.entry(key).or_insert(0) += 1;
            }
            _ => {
                let cut = rng.next() % 3;
                ours.retain(|_, v| *v % 3 != cut);
                theirs.retain(|_, v| *v % 3 != cut);
            }
        }
        assert_eq!(ours.len(), theirs.len());
        if step % 97 == 0 {
            assert_eq!(as_btree(&ours), theirs);
        }
    }
    assert_eq!(as_btree(&ours), theirs);
    for k in theirs.keys() {
        assert!(ours.contains_key(k));
    }
}

#[test]
fn a_set_agrees_with_a_btree_set_over_random_operations() {
    let mut rng = Lcg(11);
    let mut ours = StrSet::new();
    let mut theirs = BTreeSet::new();
    for _ in 0..20_000 {
        let key = format!("{:x}", rng.next() % 200);
        match rng.next() % 4 {
            0 | 1 => assert_eq!(ours.insert(key.as_str()), theirs.insert(key)),
            2 => assert_eq!(ours.remove(&key), theirs.remove(&key)),
            _ => assert_eq!(ours.contains(&key), theirs.contains(&key)),
        }
    }
    let mut keys: Vec<String> = ours.iter().cloned().collect();
    keys.sort();
    assert_eq!(keys, theirs.into_iter().collect::<Vec<_>>());
}

#[test]
fn entries_keep_insertion_order_until_a_removal_moves_the_last_one() {
    let mut m: StrMap<u32> = ["a", "b", "c", "d"].into_iter().zip(1..).collect();
    assert_eq!(
        m.keys().map(String::as_str).collect::<Vec<_>>(),
        ["a", "b", "c", "d"]
    );
    assert_eq!(m.remove("b"), Some(2));
    assert_eq!(
        m.keys().map(String::as_str).collect::<Vec<_>>(),
        ["a", "d", "c"]
    );
    assert_eq!(m.get("d"), Some(&4));
    assert_eq!(m.insert("b", 5), None);
    assert_eq!(m.insert("b", 6), Some(5));
    assert_eq!(m.values().copied().collect::<Vec<_>>(), [1, 4, 3, 6]);
}

#[test]
fn drain_and_clear_leave_a_usable_empty_map() {
    let mut m: StrMap<u32> = [("x", 1), ("y", 2)].into_iter().collect();
    let mut taken: Vec<(String, u32)> = m.drain().collect();
    taken.sort();
    assert_eq!(taken, [("x".to_owned(), 1), ("y".to_owned(), 2)]);
    assert!(m.is_empty() && m.get("x").is_none());
    m.insert("z", 3);
    assert_eq!(m.get("z"), Some(&3));
    m.clear();
    assert!(m.is_empty() && !m.contains_key("z"));
    let mut s: StrSet = ["p", "q"].into_iter().collect();
    assert_eq!(s.drain().count(), 2);
    assert!(s.is_empty() && !s.contains("p"));
    assert!(s.insert("p"));
}

#[test]
fn equality_ignores_order_and_debug_reads_as_a_map() {
    let a: StrMap<u8> = [("a", 1), ("b", 2)].into_iter().collect();
    let b: StrMap<u8> = [("b", 2), ("a", 1)].into_iter().collect();
    let c: StrMap<u8> = [("b", 2), ("a", 3)].into_iter().collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(format!("{a:?}"), r#"{"a": 1, "b": 2}"#);
    let s: StrSet = ["b", "a"].into_iter().collect();
    assert_eq!(s, ["a", "b"].into_iter().collect());
}

#[test]
fn many_keys_grow_the_table_and_every_one_is_still_found() {
    let mut m: StrMap<usize> = StrMap::new();
    for i in 0..5_000 {
        m.insert(format!("{i:08}"), i);
    }
    for i in (0..5_000).step_by(2) {
        assert_eq!(m.remove(&format!("{i:08}")), Some(i));
    }
    for i in 0..5_000 {
        assert_eq!(
            m.get(&format!("{i:08}")).copied(),
            (i % 2 == 1).then_some(i)
        );
    }
}

#[test]
fn a_set_says_where_a_removed_key_was_and_moves_the_last_one_there() {
    let mut s: StrSet = ["a", "b", "c", "d"].into_iter().collect();
    assert_eq!(s.remove_position("b"), Some(1));
    assert_eq!(s.as_slice(), ["a", "d", "c"]);
    assert_eq!(s.position("d"), Some(1));
    assert_eq!(s.remove_position("b"), None);
    assert_eq!(s.remove_position("c"), Some(2));
    assert_eq!(s.as_slice(), ["a", "d"]);
}
