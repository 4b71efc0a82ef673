//! Where a walk over a list of keys goes on when it reads the list again from its start, longer:
//! just after the last key it looked at, found again by its value, not by its count.
//!
//! The history's key walk (`src/store/search_answer.rs`) reads the sort index's first n keys,
//! then the first 4n, and so on: IndexedDB has nothing to resume from but a count. Going on at
//! position n is wrong when another tab deleted a run among the first n between the reads: every
//! key moved up one, and the key now at n was never looked at. Found again by value, a deletion
//! before the place skips nothing and an addition before it repeats nothing (a run written
//! meanwhile is as if the walk had read a moment earlier). Looking a key at twice is harmless
//! (the page holds each run once), skipping one is not (the page would differ from the scan's).

/// Keys remembered to find the place again: deleting all of them between two reads (a "clear
/// all" in another tab, most likely) leaves only the count.
pub const ANCHORS: usize = 8;

/// The walk's place: how many keys it has gone past, and the last few it looked at.
#[derive(Debug, Default)]
pub struct KeyResume {
    passed: usize,
    /// Oldest first, at most [`ANCHORS`].
    recent: Vec<String>,
}

impl KeyResume {
    pub fn new() -> KeyResume {
        KeyResume::default()
    }

    /// Goes past the next key (`None`: one that is not a string, still counted).
    pub fn pass(&mut self, key: Option<&str>) {
        self.passed += 1;
        if let Some(key) = key {
            if self.recent.len() == ANCHORS {
                self.recent.remove(0);
            }
            self.recent.push(key.to_owned());
        }
    }

    /// Where to go on in the list read again (`len` keys, `key_at` the key at a position): just
    /// after the newest remembered key still in it, looked for around where it was; the count
    /// gone past when none is. The walk is then at that place.
    pub fn resume(&mut self, len: usize, key_at: &dyn Fn(usize) -> Option<String>) -> usize {
        let n = self.recent.len();
        for (i, anchor) in self.recent.iter().enumerate().rev() {
            // Where it was: the keys after it were passed after it.
            let was = self.passed.saturating_sub(n - i);
            let is = |at: &usize| key_at(*at).as_deref() == Some(anchor.as_str());
            // Deletions move it towards the start, additions away from it.
            let back = (0..=was.min(len.saturating_sub(1))).rev();
            if let Some(at) = back.chain(was + 1..len).find(is) {
                self.passed = at + 1;
                return self.passed;
            }
        }
        self.passed = self.passed.min(len);
        self.passed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &str) -> Vec<String> {
        names.split_whitespace().map(str::to_owned).collect()
    }

    /// Walks `first` as the first read, then reads `second` and returns where it goes on.
    fn walked(first: &str, second: &str) -> usize {
        let mut place = KeyResume::new();
        for k in keys(first) {
            place.pass(Some(&k));
        }
        let second = keys(second);
        place.resume(second.len(), &|i| second.get(i).cloned())
    }

    #[test]
    fn an_unchanged_list_goes_on_after_the_count() {
        assert_eq!(walked("a b c", "a b c d e"), 3);
        assert_eq!(walked("", "a b"), 0);
    }

    #[test]
    fn a_deletion_before_the_place_skips_nothing() {
        // "b" went: "d" is now at 2, and must be looked at.
        assert_eq!(walked("a b c", "a c d e"), 2);
        assert_eq!(walked("a b c", "c d"), 1);
    }

    #[test]
    fn an_addition_before_the_place_repeats_nothing() {
        assert_eq!(walked("a b c", "a x b c d"), 4);
    }

    #[test]
    fn the_last_key_deleted_itself_goes_on_after_the_one_before() {
        // "c" went: go on after "b"; "d" is looked at, nothing is skipped.
        assert_eq!(walked("a b c", "a b d e"), 2);
    }

    #[test]
    fn every_anchor_deleted_falls_back_to_the_count() {
        let first: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
        let mut place = KeyResume::new();
        for k in &first {
            place.pass(Some(k));
        }
        let second = keys("k0 k1 k2 z1 z2");
        assert_eq!(place.resume(second.len(), &|i| second.get(i).cloned()), 5);
        let mut again = KeyResume::new();
        for k in &first {
            again.pass(Some(k));
        }
        let longer: Vec<String> = (0..30).map(|i| format!("y{i}")).collect();
        assert_eq!(again.resume(longer.len(), &|i| longer.get(i).cloned()), 20);
    }

    #[test]
    fn keys_that_are_not_strings_still_count() {
        let mut place = KeyResume::new();
        place.pass(None);
        place.pass(None);
        assert_eq!(place.resume(5, &|_| None), 2);
    }

    #[test]
    fn the_place_moves_on_from_where_it_was_found() {
        let mut place = KeyResume::new();
        for k in keys("a b c") {
            place.pass(Some(&k));
        }
        let second = keys("a c d e");
        assert_eq!(place.resume(second.len(), &|i| second.get(i).cloned()), 2);
        for k in keys("d e") {
            place.pass(Some(&k));
        }
        let third = keys("a c d e f g");
        assert_eq!(place.resume(third.len(), &|i| third.get(i).cloned()), 4);
    }

    proptest::proptest! {
        /// Whatever another tab deleted or added between two reads, no key the walk has not
        /// passed lies before where it goes on, as long as one of its anchors is left.
        #[test]
        fn nothing_unpassed_lies_before_the_place(
            total in 1usize..60,
            passed in 0usize..60,
            deleted in proptest::collection::vec(proptest::bool::weighted(0.3), 60),
            added in proptest::collection::vec(0usize..70, 0..6),
        ) {
            let first: Vec<String> = (0..total).map(|i| format!("k{i}")).collect();
            let passed = passed.min(total);
            let mut place = KeyResume::new();
            for k in &first[..passed] {
                place.pass(Some(k));
            }
            let mut second: Vec<String> = first
                .iter()
                .zip(&deleted)
                .filter(|(_, gone)| !**gone)
                .map(|(k, _)| k.clone())
                .collect();
            for (n, at) in added.iter().enumerate() {
                second.insert((*at).min(second.len()), format!("new{n}"));
            }
            let anchors = &first[passed.saturating_sub(ANCHORS)..passed];
            let kept = anchors.iter().any(|a| second.contains(a));
            let at = place.resume(second.len(), &|i| second.get(i).cloned());
            proptest::prop_assert!(at <= second.len());
            if kept {
                let before: Vec<&String> = second[..at].iter().collect();
                for key in before {
                    proptest::prop_assert!(
                        first[..passed].contains(key) || key.starts_with("new"),
                        "{key} was never passed but lies before {at}"
                    );
                }
            }
        }
    }
}
