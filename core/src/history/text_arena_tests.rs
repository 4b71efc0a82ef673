//! `TextArena` against a plain scan of the same texts.

use super::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

fn scan(texts: &BTreeMap<String, String>, needle: &str) -> BTreeSet<String> {
    texts
        .iter()
        .filter(|(_, t)| t.contains(needle))
        .map(|(k, _)| k.clone())
        .collect()
}

fn found(arena: &TextArena, needle: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let n = arena.matching(needle, |k| {
        keys.insert(k.to_owned());
    });
    assert_eq!(n, keys.len(), "a run found twice");
    keys
}

#[test]
fn finds_a_prompt_id_among_many_runs_and_follows_changes() {
    let mut arena = TextArena::new();
    for i in 0..2_000 {
        arena.upsert(
            &format!("s|p{i}"),
            &format!("bench-{i:06} ksampler vaedecode"),
        );
    }
    assert_eq!(
        found(&arena, "bench-000042"),
        BTreeSet::from(["s|p42".into()])
    );
    assert_eq!(arena.matching("ksampler", |_| ()), 2_000);
    assert_eq!(arena.matching("k", |_| ()), 2_000);
    // Keys are not searched, only texts.
    assert_eq!(arena.matching("s|p", |_| ()), 0);
    arena.upsert("s|p42", "bench-000042 saveimage error: oom");
    assert_eq!(found(&arena, "oom"), BTreeSet::from(["s|p42".into()]));
    assert_eq!(arena.matching("ksampler", |_| ()), 1_999);
    arena.remove("s|p42");
    assert!(found(&arena, "bench-000042").is_empty());
    assert_eq!(arena.len(), 1_999);
    arena.clear();
    assert!(arena.is_empty());
    assert_eq!(arena.matching("", |_| ()), 0);
}

#[test]
fn multibyte_text_matches_as_substring_search_does() {
    let mut arena = TextArena::new();
    arena.upsert("a", "größe überlauf");
    arena.upsert("b", "grosse");
    arena.upsert("ü", "");
    assert_eq!(found(&arena, "öße"), BTreeSet::from(["a".into()]));
    assert_eq!(found(&arena, "ß"), BTreeSet::from(["a".into()]));
    assert_eq!(
        found(&arena, "gr"),
        BTreeSet::from(["a".into(), "b".into()])
    );
    assert_eq!(found(&arena, "").len(), 3);
    // Across the end of one text and the start of the next key: no match.
    assert!(found(&arena, "seü").is_empty());
}

#[test]
fn keys_with_the_same_hash_stay_apart() {
    let mut arena = TextArena::new();
    // Force every key into one chain: the chain, not the hash, tells them apart.
    for i in 0..50 {
        arena.upsert(&format!("k{i}"), &format!("t{i}"));
    }
    arena.heads.clear();
    let mut chain = NONE;
    for (id, d) in arena.docs.iter_mut().enumerate() {
        d.next = chain;
        chain = id as u32;
    }
    let h = hash("k7");
    arena.heads.insert(h, chain);
    // Lookups hash the key, so only `k7`'s hash finds the chain; the chain still
    // compares keys, so a replacement of k7 kills k7 and nothing else.
    arena.upsert("k7", "changed");
    assert_eq!(found(&arena, "changed"), BTreeSet::from(["k7".into()]));
    assert_eq!(found(&arena, "t7").len(), 0);
    assert_eq!(arena.len(), 50);
}

#[test]
fn an_occurrence_across_a_key_or_into_the_next_run_is_not_a_match() {
    let mut arena = TextArena::new();
    arena.upsert("ab", "cd");
    arena.upsert("ef", "gh");
    arena.upsert("ij", "xgh");
    // "bc" runs from a key into its text, "de" from a text into the next key, "hi" across the
    // next: none is inside one text. "gh" is in two texts, "c" and "cd" in one.
    for needle in ["bc", "de", "dfg", "hi", "abcd", "fg"] {
        assert!(found(&arena, needle).is_empty(), "{needle}");
    }
    assert_eq!(
        found(&arena, "gh"),
        BTreeSet::from(["ef".into(), "ij".into()])
    );
    assert_eq!(found(&arena, "cd"), BTreeSet::from(["ab".into()]));
    // A dead copy's text is skipped, and so is a needle that starts in a dead text.
    arena.upsert("ef", "zz");
    assert_eq!(found(&arena, "gh"), BTreeSet::from(["ij".into()]));
    assert_eq!(
        found(&arena, ""),
        BTreeSet::from(["ab".into(), "ef".into(), "ij".into()])
    );
}

#[test]
fn a_snapshot_loads_back_and_a_damaged_one_not_at_all() {
    let mut arena = TextArena::new();
    for i in 0..300 {
        arena.upsert(&format!("k{i}"), &format!("größe {i}"));
    }
    for i in 0..200 {
        arena.remove(&format!("k{i}"));
    }
    arena.upsert("k250", "changed");
    let (all, ends) = arena.snapshot();
    let back = TextArena::from_snapshot(all.clone(), &ends).expect("loads");
    assert_eq!(back.len(), 100);
    assert_eq!(found(&back, "changed"), BTreeSet::from(["k250".into()]));
    assert_eq!(found(&back, "größe"), found(&arena, "größe"));
    // Inside a multibyte character, past the end, out of order, an odd count, text left
    // over: nothing loads.
    for bad in [&[1, 4][..], &[2, 9], &[3, 2], &[2, 5, 8], &[1, 5]] {
        assert!(
            TextArena::from_snapshot("kgröße".into(), bad).is_none(),
            "{bad:?}"
        );
    }
    let b = TextArena::from_snapshot("kgröße".into(), &[1, 8]).expect("loads");
    assert_eq!(found(&b, "grö"), BTreeSet::from(["k".into()]));
    // Keys out of order (an older snapshot's write order) load through the map.
    let mut b = TextArena::from_snapshot("kbja".into(), &[1, 2, 3, 4]).expect("loads");
    assert_eq!(b.sorted, 0);
    b.upsert("j", "c");
    assert_eq!(found(&b, "a"), BTreeSet::new());
    assert_eq!(found(&b, "c"), BTreeSet::from(["j".into()]));
    // A key twice: the later text.
    let b = TextArena::from_snapshot("kaka2".into(), &[1, 2, 3, 5]).expect("loads");
    assert_eq!(b.len(), 1);
    assert_eq!(found(&b, "a2"), BTreeSet::from(["k".into()]));
    assert!(found(&b, "a").len() == 1);
    assert!(TextArena::from_snapshot(String::new(), &[]).is_some_and(|a| a.is_empty()));
}

#[test]
fn a_loaded_snapshot_stays_findable_through_a_compaction() {
    let mut arena = TextArena::new();
    for i in 0..100 {
        arena.upsert(&format!("k{i:03}"), "old");
    }
    let (all, ends) = arena.snapshot();
    let mut loaded = TextArena::from_snapshot(all, &ends).expect("loads");
    // One run rewritten until its dead copies outweigh the rest: the arena is rewritten.
    for n in 0..400 {
        loaded.upsert("k000", &format!("churn {n} {}", "x".repeat(40)));
    }
    assert!(loaded.text_bytes() < 4_000, "compacted");
    assert_eq!(loaded.sorted, 99, "the sorted docs still live stay sorted");
    // The sorted docs are still found: replaced and removed, not doubled.
    loaded.upsert("k050", "new");
    loaded.remove("k051");
    assert_eq!(loaded.len(), 99);
    assert_eq!(found(&loaded, "old").len(), 97);
    assert_eq!(found(&loaded, "new"), BTreeSet::from(["k050".into()]));
}

/// A key that starts and ends with letters the texts and needles use, so occurrences can run
/// from a text into the next key and from a key into its text: the arena's one search over
/// all of them must not count those.
fn key(k: u8) -> String {
    let letters = ['a', 'b', 'c', 'é'];
    let k = usize::from(k);
    format!("{}{k}{}", letters[k % 4], letters[(k / 4) % 4])
}

#[derive(Debug, Clone)]
enum Op {
    Upsert(u8, String),
    Remove(u8),
}

/// Applies `ops` to the arena and to the plain map it is checked against.
fn apply(ops: Vec<Op>, arena: &mut TextArena, texts: &mut BTreeMap<String, String>) {
    for op in ops {
        match op {
            Op::Upsert(k, t) => {
                arena.upsert(&key(k), &t);
                texts.insert(key(k), t);
            }
            Op::Remove(k) => {
                arena.remove(&key(k));
                texts.remove(&key(k));
            }
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..24, "[abcé ]{0,12}").prop_map(|(k, t)| Op::Upsert(k, t)),
        1 => (0u8..24).prop_map(Op::Remove),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whatever was written, replaced or removed, the arena finds exactly what a scan of
    /// the current texts finds, for needles of every length (compaction included: 24 keys
    /// rewritten up to 2 000 times leave many dead copies).
    #[test]
    fn arena_search_equals_scan(
        ops in prop::collection::vec(op(), 0..2_000),
        later in prop::collection::vec(op(), 0..600),
        needles in prop::collection::vec("[abcé ]{0,5}", 1..12),
    ) {
        let mut arena = TextArena::new();
        let mut texts = BTreeMap::new();
        apply(ops, &mut arena, &mut texts);
        prop_assert_eq!(arena.len(), texts.len());
        let (all, ends) = arena.snapshot();
        let mut loaded = TextArena::from_snapshot(all, &ends).expect("a snapshot loads");
        prop_assert_eq!(loaded.len(), texts.len());
        // A snapshot is in key order, so it loads as sorted docs found without the map.
        prop_assert_eq!(loaded.sorted as usize, texts.len());
        prop_assert!(loaded.heads.is_empty());
        let substrings: Vec<String> = texts
            .values()
            .filter_map(|t| {
                let mut chars = t.chars();
                chars.next();
                chars.next_back();
                Some(chars.as_str().to_owned()).filter(|s| !s.is_empty())
            })
            .collect();
        for needle in needles.iter().chain(&substrings) {
            prop_assert_eq!(found(&arena, needle), scan(&texts, needle), "needle {:?}", needle);
            prop_assert_eq!(found(&loaded, needle), scan(&texts, needle), "loaded, needle {:?}", needle);
        }
        // Written to after the load: replacing and removing runs of the sorted docs, adding new
        // ones to the map, compacting both.
        apply(later, &mut loaded, &mut texts);
        prop_assert_eq!(loaded.len(), texts.len());
        for needle in needles.iter().chain(&substrings) {
            prop_assert_eq!(found(&loaded, needle), scan(&texts, needle), "written after the load, needle {:?}", needle);
        }
    }
}
