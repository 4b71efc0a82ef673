//! A trigram index over the runs' search texts, so free-text search need not read every record.
//!
//! Exact by construction: if a needle is a substring of a text, every 3-byte window of the needle
//! is a 3-byte window of the text (windows of UTF-8 bytes, so any text and any needle work). The
//! runs holding all of the needle's trigrams are therefore a superset of the matches, and each
//! is then checked with the very predicate the scan uses, `text.contains(needle)`. Needles
//! shorter than 3 bytes have no trigram and are checked against every text.
//!
//! Posting lists are delta-encoded varints of ascending document ids (about one byte per entry
//! for the common trigrams), so 100 000 runs cost their texts plus a few MB. A changed text gets
//! a new id rather than being edited out of its old lists; the old id reads as dead and the lists
//! are rebuilt once dead ids outnumber live ones.

use crate::sort::sort_by_key;
use std::collections::HashMap;
use std::rc::Rc;

/// A run's key and lower-cased search text (`StoredRun::search`).
struct Doc {
    key: Rc<str>,
    text: Box<str>,
}

/// Ascending ids, each stored as the varint of its distance to the previous one.
#[derive(Default)]
struct Postings {
    bytes: Vec<u8>,
    last: Option<u32>,
    len: u32,
}

impl Postings {
    fn push(&mut self, id: u32) {
        let mut delta = match self.last {
            Some(last) if id <= last => return,
            Some(last) => id - last,
            None => id,
        };
        while delta >= 0x80 {
            self.bytes.push((delta as u8 & 0x7f) | 0x80);
            delta >>= 7;
        }
        self.bytes.push(delta as u8);
        self.last = Some(id);
        self.len += 1;
    }

    fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        let mut at = 0;
        let mut prev: Option<u32> = None;
        std::iter::from_fn(move || {
            let mut delta: u32 = 0;
            let mut shift = 0;
            loop {
                let b = *self.bytes.get(at)?;
                at += 1;
                delta |= u32::from(b & 0x7f) << shift;
                if b < 0x80 {
                    break;
                }
                shift += 7;
            }
            let id = prev.map_or(delta, |p| p + delta);
            prev = Some(id);
            Some(id)
        })
    }
}

/// The distinct trigrams of `text`, as 3 bytes packed in a `u32`.
pub fn trigrams(text: &str) -> Vec<u32> {
    let mut grams: Vec<u32> = text
        .as_bytes()
        .windows(3)
        .map(|w| u32::from(w[0]) << 16 | u32::from(w[1]) << 8 | u32::from(w[2]))
        .collect();
    crate::sort::sort(&mut grams);
    grams.dedup();
    grams
}

#[derive(Default)]
pub struct TextIndex {
    /// By id; `None` once replaced or removed.
    docs: Vec<Option<Doc>>,
    ids: HashMap<Rc<str>, u32>,
    postings: HashMap<u32, Postings>,
    dead: usize,
}

impl TextIndex {
    pub fn new() -> TextIndex {
        TextIndex::default()
    }

    /// Runs indexed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Adds a run or replaces its text; the same text again changes nothing.
    pub fn upsert(&mut self, key: &str, text: &str) {
        if let Some(&id) = self.ids.get(key) {
            if self.text(id) == Some(text) {
                return;
            }
            self.kill(id);
        }
        let key: Rc<str> = Rc::from(key);
        let id = self.docs.len() as u32;
        for gram in trigrams(text) {
            self.postings.entry(gram).or_default().push(id);
        }
        self.docs.push(Some(Doc {
            key: key.clone(),
            text: text.into(),
        }));
        self.ids.insert(key, id);
        self.compact_if_sparse();
    }

    pub fn remove(&mut self, key: &str) {
        if let Some(id) = self.ids.remove(key) {
            self.kill(id);
            self.compact_if_sparse();
        }
    }

    pub fn clear(&mut self) {
        *self = TextIndex::default();
    }

    fn text(&self, id: u32) -> Option<&str> {
        self.docs
            .get(id as usize)
            .and_then(Option::as_ref)
            .map(|d| &*d.text)
    }

    fn kill(&mut self, id: u32) {
        if let Some(slot) = self.docs.get_mut(id as usize) {
            if slot.take().is_some() {
                self.dead += 1;
            }
        }
    }

    /// Rebuilds the lists without dead ids once they are more than half of all ids.
    fn compact_if_sparse(&mut self) {
        if self.dead <= 32 || self.dead <= self.ids.len() {
            return;
        }
        let docs: Vec<Doc> = std::mem::take(&mut self.docs)
            .into_iter()
            .flatten()
            .collect();
        *self = TextIndex::default();
        for doc in docs {
            let id = self.docs.len() as u32;
            for gram in trigrams(&doc.text) {
                self.postings.entry(gram).or_default().push(id);
            }
            self.ids.insert(doc.key.clone(), id);
            self.docs.push(Some(doc));
        }
    }

    /// Ids of live runs holding every trigram of `needle`, ascending: the smallest list first,
    /// narrowed by each longer one in turn. `None` when the needle has no trigram.
    fn candidates(&self, needle: &str) -> Option<Vec<u32>> {
        let grams = trigrams(needle);
        if grams.is_empty() {
            return None;
        }
        let mut lists = Vec::with_capacity(grams.len());
        for gram in &grams {
            match self.postings.get(gram) {
                Some(list) => lists.push(list),
                // No run has this trigram, so none can contain the needle.
                None => return Some(Vec::new()),
            }
        }
        sort_by_key(&mut lists, |l| l.len);
        let mut ids: Vec<u32> = lists[0].ids().collect();
        for list in &lists[1..] {
            if ids.is_empty() {
                break;
            }
            let mut other = list.ids().peekable();
            ids.retain(|&id| {
                while other.next_if(|&o| o < id).is_some() {}
                other.peek() == Some(&id)
            });
        }
        Some(ids)
    }

    /// Keys of the runs whose text contains `needle`, in no particular order: the same set as
    /// `text.contains(needle)` over every indexed text.
    pub fn matching(&self, needle: &str) -> Vec<Rc<str>> {
        let check = |doc: &Doc| doc.text.contains(needle).then(|| doc.key.clone());
        match self.candidates(needle) {
            Some(ids) => ids
                .into_iter()
                .filter_map(|id| self.docs.get(id as usize)?.as_ref().and_then(check))
                .collect(),
            None => self.docs.iter().flatten().filter_map(check).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
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

    fn found(index: &TextIndex, needle: &str) -> BTreeSet<String> {
        index
            .matching(needle)
            .iter()
            .map(|k| k.to_string())
            .collect()
    }

    #[test]
    fn postings_round_trip_large_gaps() {
        let mut p = Postings::default();
        for id in [0, 1, 127, 128, 300, 70_000, 4_000_000_000] {
            p.push(id);
        }
        p.push(5); // out of order: ignored
        assert_eq!(
            p.ids().collect::<Vec<_>>(),
            [0, 1, 127, 128, 300, 70_000, 4_000_000_000]
        );
    }

    #[test]
    fn finds_a_prompt_id_among_many_runs_and_follows_changes() {
        let mut index = TextIndex::new();
        for i in 0..2_000 {
            index.upsert(
                &format!("s|p{i}"),
                &format!("bench-{i:06} ksampler vaedecode"),
            );
        }
        assert_eq!(
            found(&index, "bench-000042"),
            BTreeSet::from(["s|p42".into()])
        );
        assert_eq!(index.matching("ksampler").len(), 2_000);
        assert_eq!(index.matching("k").len(), 2_000);
        index.upsert("s|p42", "bench-000042 saveimage error: oom");
        assert_eq!(found(&index, "oom"), BTreeSet::from(["s|p42".into()]));
        assert_eq!(index.matching("ksampler").len(), 1_999);
        index.remove("s|p42");
        assert!(index.matching("bench-000042").is_empty());
        assert_eq!(index.len(), 1_999);
    }

    #[test]
    fn multibyte_text_matches_as_substring_search_does() {
        let mut index = TextIndex::new();
        index.upsert("a", "größe überlauf");
        index.upsert("b", "grosse");
        assert_eq!(found(&index, "öße"), BTreeSet::from(["a".into()]));
        assert_eq!(found(&index, "ß"), BTreeSet::from(["a".into()]));
        assert_eq!(
            found(&index, "gr"),
            BTreeSet::from(["a".into(), "b".into()])
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Upsert(u8, String),
        Remove(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u8..24, "[abc ]{0,12}").prop_map(|(k, t)| Op::Upsert(k, t)),
            1 => (0u8..24).prop_map(Op::Remove),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Whatever was written, replaced or removed, the index finds exactly what a scan of
        /// the current texts finds, for needles of every length (compaction included: 24 keys
        /// rewritten up to 300 times leave many dead ids).
        #[test]
        fn index_search_equals_scan(
            ops in prop::collection::vec(op(), 0..300),
            needles in prop::collection::vec("[abc ]{0,5}", 1..12),
        ) {
            let mut index = TextIndex::new();
            let mut texts = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Upsert(k, t) => {
                        index.upsert(&k.to_string(), &t);
                        texts.insert(k.to_string(), t);
                    }
                    Op::Remove(k) => {
                        index.remove(&k.to_string());
                        texts.remove(&k.to_string());
                    }
                }
            }
            prop_assert_eq!(index.len(), texts.len());
            let substrings: Vec<String> = texts
                .values()
                .filter(|t| t.len() > 3)
                .map(|t| t[1..t.len() - 1].to_owned())
                .collect();
            for needle in needles.iter().chain(&substrings) {
                prop_assert_eq!(found(&index, needle), scan(&texts, needle), "needle {:?}", needle);
            }
        }
    }
}
