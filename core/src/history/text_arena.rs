//! The runs' search texts in one arena, searched with the very predicate the scan uses.
//!
//! Free-text search over the stored runs is `StoredRun::search.contains(needle)` for every run
//! (`HistoryQuery::matches`). This keeps every run's key and search text back to back in one
//! `String` and answers a needle by running that same `contains` over each live text, so its
//! answer is the scan's by construction: no candidate filter to get wrong. Building it is only
//! appending (no per-run allocation, no posting lists), so a page that reads the texts has them
//! searchable as soon as they are read.
//!
//! A changed text is appended again and its old copy marked dead; the arena is rewritten
//! without dead copies once they take more room than the live ones. Keys find their run through
//! a map from a 64-bit hash of the key to the newest run with that hash, runs with the same hash
//! chained behind it and told apart by their key bytes.
//!
//! A snapshot is written in key order, so the runs it loads are found by binary search and stay
//! out of the map: hashing 100 000 keys into it was two thirds of loading a snapshot (12 of
//! 18 ms in Chromium), paid before the first search of every history page load. Only runs
//! written after the load go into the map.

use crate::hash::HashMap;

const NONE: u32 = u32::MAX;

/// One run's place in the arena: `key` is `all[start..key_end]`, its text `all[key_end..end]`.
#[derive(Clone, Copy)]
struct Doc {
    start: u32,
    key_end: u32,
    end: u32,
    /// The previous run with the same key hash, or `NONE`.
    next: u32,
    live: bool,
}

#[derive(Default)]
pub struct TextArena {
    all: String,
    docs: Vec<Doc>,
    /// `docs[..sorted]` came from a snapshot in strictly ascending key order: found by binary
    /// search, never in `heads`.
    sorted: u32,
    /// Key hash to the newest doc with that hash (its chain follows `Doc::next`), for the docs
    /// after `sorted`.
    heads: HashMap<u64, u32>,
    live: usize,
    dead_bytes: usize,
}

/// FNV-1a: a fixed hash, so the same key always lands in the same chain.
fn hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl TextArena {
    pub fn new() -> TextArena {
        TextArena::default()
    }

    /// Runs held.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Bytes of the arena's text (live and dead copies), for the benchmarks.
    pub fn text_bytes(&self) -> usize {
        self.all.len()
    }

    fn key(&self, d: &Doc) -> &str {
        &self.all[d.start as usize..d.key_end as usize]
    }

    fn text(&self, d: &Doc) -> &str {
        &self.all[d.key_end as usize..d.end as usize]
    }

    /// The live doc holding `key`, if any: among those written since the snapshot, else in the
    /// snapshot's sorted docs.
    fn find(&self, key: &str, h: u64) -> Option<u32> {
        let mut at = self.heads.get(&h).copied().unwrap_or(NONE);
        while let Some(d) = self.docs.get(at as usize) {
            if d.live && self.key(d) == key {
                return Some(at);
            }
            at = d.next;
        }
        let sorted = &self.docs[..self.sorted as usize];
        let at = sorted.binary_search_by(|d| self.key(d).cmp(key)).ok()?;
        sorted[at].live.then_some(at as u32)
    }

    /// Adds a run or replaces its text; the same text again changes nothing.
    pub fn upsert(&mut self, key: &str, text: &str) {
        let h = hash(key);
        if let Some(id) = self.find(key, h) {
            let d = self.docs[id as usize];
            if self.text(&d) == text {
                return;
            }
            self.kill(id);
        }
        self.push(key, text, Some(h));
        self.compact_if_sparse();
    }

    /// Appends a run; `h` (its key's hash) puts it in the map, `None` leaves it to the sorted
    /// docs (compaction only).
    fn push(&mut self, key: &str, text: &str, h: Option<u64>) {
        let id = self.docs.len() as u32;
        let start = self.all.len() as u32;
        self.all.push_str(key);
        let key_end = self.all.len() as u32;
        self.all.push_str(text);
        let next = h.and_then(|h| self.heads.insert(h, id)).unwrap_or(NONE);
        self.docs.push(Doc {
            start,
            key_end,
            end: self.all.len() as u32,
            next,
            live: true,
        });
        self.live += 1;
    }

    pub fn remove(&mut self, key: &str) {
        if let Some(id) = self.find(key, hash(key)) {
            self.kill(id);
            self.compact_if_sparse();
        }
    }

    pub fn clear(&mut self) {
        *self = TextArena::default();
    }

    /// Marks a doc dead; it stays in its chain (skipped by `find`) until the next compaction.
    fn kill(&mut self, id: u32) {
        if let Some(d) = self.docs.get_mut(id as usize) {
            if d.live {
                d.live = false;
                self.live -= 1;
                self.dead_bytes += (d.end - d.start) as usize;
            }
        }
    }

    /// Rewrites the arena without dead copies once they outweigh the live ones. The sorted
    /// docs that live stay first and in order, so they stay out of the map.
    fn compact_if_sparse(&mut self) {
        if self.dead_bytes <= 4096 || self.dead_bytes <= self.all.len() - self.dead_bytes {
            return;
        }
        let old = std::mem::take(self);
        for (id, d) in old.docs.iter().enumerate().filter(|(_, d)| d.live) {
            let key = old.key(d);
            let in_order = (id as u32) < old.sorted;
            self.push(key, old.text(d), (!in_order).then(|| hash(key)));
            self.sorted += u32::from(in_order);
        }
    }

    /// Gives back the room the arena grew into beyond what it holds (growing doubles it).
    pub fn shrink_to_fit(&mut self) {
        self.all.shrink_to_fit();
        self.docs.shrink_to_fit();
    }

    /// The live runs as one text of keys and texts back to back, in key order, and for each
    /// run the offsets where its key and its text end: what `from_snapshot` reads back.
    pub fn snapshot(&self) -> (String, Vec<u32>) {
        let mut all = String::with_capacity(self.all.len() - self.dead_bytes);
        let mut ends = Vec::with_capacity(self.live * 2);
        let mut live: Vec<&Doc> = self.docs.iter().filter(|d| d.live).collect();
        crate::sort::sort_by(&mut live, |a, b| self.key(a).cmp(self.key(b)));
        for d in live {
            all.push_str(self.key(d));
            ends.push(all.len() as u32);
            all.push_str(self.text(d));
            ends.push(all.len() as u32);
        }
        (all, ends)
    }

    /// The arena a `snapshot` gave, taking its text as it is; `None` when the offsets do not
    /// fit the text (out of order, past its end, inside a character, or not covering it), so
    /// a damaged snapshot is never half read. Keys in strictly ascending order (as `snapshot`
    /// writes them) are searched in place; otherwise every key is hashed into the map, and a key
    /// given twice keeps its later text.
    pub fn from_snapshot(all: String, ends: &[u32]) -> Option<TextArena> {
        if ends.len() % 2 != 0 {
            return None;
        }
        let mut arena = TextArena {
            all,
            ..TextArena::default()
        };
        arena.docs.reserve(ends.len() / 2);
        let mut start = 0u32;
        let mut in_order = true;
        for pair in ends.chunks_exact(2) {
            let (key_end, end) = (pair[0], pair[1]);
            let fits = start <= key_end
                && key_end <= end
                && arena.all.is_char_boundary(key_end as usize)
                && arena.all.is_char_boundary(end as usize);
            if !fits {
                return None;
            }
            let doc = Doc {
                start,
                key_end,
                end,
                next: NONE,
                live: true,
            };
            if let Some(last) = arena.docs.last() {
                in_order = in_order && arena.key(last) < arena.key(&doc);
            }
            arena.docs.push(doc);
            start = end;
        }
        if start as usize != arena.all.len() {
            return None;
        }
        arena.live = arena.docs.len();
        if in_order {
            arena.sorted = arena.docs.len() as u32;
        } else {
            for id in 0..arena.docs.len() {
                let key = arena.key(&arena.docs[id]);
                let h = hash(key);
                let earlier = arena.find(key, h);
                if let Some(old) = earlier {
                    arena.kill(old);
                }
                arena.docs[id].next = arena.heads.insert(h, id as u32).unwrap_or(NONE);
            }
        }
        Some(arena)
    }

    /// The text of the run with this key, if held.
    pub fn text_of(&self, key: &str) -> Option<&str> {
        let id = self.find(key, hash(key))?;
        Some(self.text(&self.docs[id as usize]))
    }

    /// Calls `found` with the key of every run whose text contains `needle` (the scan's
    /// `contains`), in the order the texts were written; returns how many.
    pub fn matching<'a>(&'a self, needle: &str, mut found: impl FnMut(&'a str)) -> usize {
        let mut n = 0;
        for d in self.docs.iter().filter(|d| d.live) {
            if self.text(d).contains(needle) {
                found(self.key(d));
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
#[path = "text_arena_tests.rs"]
mod tests;
