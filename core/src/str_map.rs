//! Maps and sets keyed by strings (prompt ids, mostly) whose hashing and probing code exists once
//! in the wasm, whatever the value type.
//!
//! A `hashbrown::HashMap<String, V>` compiles its table code (growing, probing, inserting,
//! dropping) once per `V`: about 1.2 kB of wasm for each of the dozen maps the live path keeps.
//! Here the keys, their hashes and the table of positions are one non-generic [`StrSet`], and a
//! [`StrMap`] adds only a `Vec<V>` kept in the same order, so per `V` there is a vector's push
//! and swap-remove. Entries iterate in insertion order, except that a removal moves the last
//! entry into the removed one's place.

use crate::hash::FxHasher;
use hashbrown::HashTable;
use std::fmt;
use std::hash::Hasher;

fn hash(key: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(key.as_bytes());
    h.finish()
}

/// A set of strings; also the key half of a [`StrMap`].
#[derive(Clone, Default)]
pub struct StrSet {
    /// Positions into `keys`, hashed by `hashes[position]`.
    table: HashTable<u32>,
    hashes: Vec<u64>,
    keys: Vec<String>,
}

impl StrSet {
    pub fn new() -> StrSet {
        StrSet::default()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Where `key` is, if it is here.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.find(key, hash(key))
    }

    fn find(&self, key: &str, h: u64) -> Option<usize> {
        self.table
            .find(h, |&i| {
                self.hashes[i as usize] == h && self.keys[i as usize] == key
            })
            .map(|&i| i as usize)
    }

    /// Where `key` is, adding it at the end when it is not here (`true`): the key is hashed
    /// once, and made a `String` only when added. Only this wrapper is generic (one per key
    /// type); the table work is in `find` and `push`.
    fn find_or_push(&mut self, key: impl Into<String> + AsRef<str>) -> (usize, bool) {
        let h = hash(key.as_ref());
        match self.find(key.as_ref(), h) {
            Some(at) => (at, false),
            None => (self.push(key.into(), h), true),
        }
    }

    /// Adds a key known to be absent, with its hash; its position.
    fn push(&mut self, key: String, h: u64) -> usize {
        let at = self.keys.len();
        let hashes = &self.hashes;
        self.table
            .insert_unique(h, at as u32, |&i| hashes[i as usize]);
        self.hashes.push(h);
        self.keys.push(key);
        at
    }

    /// Where `key` is, added at the end if it was not here (a name's number when interning).
    pub fn position_or_insert(&mut self, key: &str) -> usize {
        self.find_or_push(key).0
    }

    pub fn contains(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The key at `at` (positions are insertion order until a removal).
    pub fn at(&self, at: usize) -> Option<&str> {
        self.keys.get(at).map(String::as_str)
    }

    /// The keys in their order.
    pub fn as_slice(&self) -> &[String] {
        &self.keys
    }

    pub fn into_vec(self) -> Vec<String> {
        self.keys
    }

    /// Adds `key` at the end; `false` (and nothing changes) when it was here already.
    pub fn insert(&mut self, key: impl Into<String> + AsRef<str>) -> bool {
        self.find_or_push(key).1
    }

    /// Removes `key`; `false` when it was not here.
    pub fn remove(&mut self, key: &str) -> bool {
        self.remove_position(key).is_some()
    }

    /// Removes `key` and says where it was: the last key now stands there (as with
    /// `Vec::swap_remove`), so a vector kept in step swap-removes the same position.
    pub fn remove_position(&mut self, key: &str) -> Option<usize> {
        let at = self.position(key)?;
        self.swap_remove(at);
        Some(at)
    }

    /// Removes the key at `at`; the last key takes its place (as `Vec::swap_remove`).
    fn swap_remove(&mut self, at: usize) -> String {
        let last = self.keys.len() - 1;
        let h = self.hashes[at];
        if let Ok(entry) = self.table.find_entry(h, |&i| i as usize == at) {
            entry.remove();
        }
        if at != last {
            let moved = self.hashes[last];
            if let Some(slot) = self.table.find_mut(moved, |&i| i as usize == last) {
                *slot = at as u32;
            }
        }
        self.hashes.swap_remove(at);
        self.keys.swap_remove(at)
    }

    /// Keeps the keys whose `keep[position]` is true, in order.
    fn retain_positions(&mut self, keep: &[bool]) {
        let mut i = 0;
        self.keys.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        let mut i = 0;
        self.hashes.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        self.reindex();
    }

    fn reindex(&mut self) {
        self.table.clear();
        let hashes = &self.hashes;
        for (at, &h) in hashes.iter().enumerate() {
            self.table
                .insert_unique(h, at as u32, |&i| hashes[i as usize]);
        }
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let mask: Vec<bool> = self.keys.iter().map(|k| keep(k)).collect();
        if mask.iter().any(|k| !k) {
            self.retain_positions(&mask);
        }
    }

    pub fn clear(&mut self) {
        self.table.clear();
        self.hashes.clear();
        self.keys.clear();
    }

    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.keys.iter()
    }

    /// Takes every key out, leaving the set empty.
    pub fn drain(&mut self) -> std::vec::Drain<'_, String> {
        self.table.clear();
        self.hashes.clear();
        self.keys.drain(..)
    }
}

impl fmt::Debug for StrSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.keys).finish()
    }
}

impl PartialEq for StrSet {
    /// The same keys, in any order.
    fn eq(&self, other: &StrSet) -> bool {
        self.len() == other.len() && self.keys.iter().all(|k| other.contains(k))
    }
}

impl<S: Into<String> + AsRef<str>> Extend<S> for StrSet {
    fn extend<I: IntoIterator<Item = S>>(&mut self, iter: I) {
        for k in iter {
            self.insert(k);
        }
    }
}

impl<S: Into<String> + AsRef<str>> FromIterator<S> for StrSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> StrSet {
        let mut set = StrSet::new();
        set.extend(iter);
        set
    }
}

impl<'a> IntoIterator for &'a StrSet {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.keys.iter()
    }
}

/// A map from strings to `V`: a [`StrSet`] of keys and their values in the same order.
#[derive(Clone)]
pub struct StrMap<V> {
    keys: StrSet,
    values: Vec<V>,
}

impl<V> Default for StrMap<V> {
    fn default() -> Self {
        StrMap {
            keys: StrSet::default(),
            values: Vec::new(),
        }
    }
}

impl<V> StrMap<V> {
    pub fn new() -> StrMap<V> {
        StrMap::default()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.keys.position(key).map(|at| &self.values[at])
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.keys.position(key).map(|at| &mut self.values[at])
    }

    /// Sets `key`'s value; the one it replaces, if any.
    pub fn insert(&mut self, key: impl Into<String> + AsRef<str>, value: V) -> Option<V> {
        match self.keys.find_or_push(key) {
            (at, false) => Some(std::mem::replace(&mut self.values[at], value)),
            (_, true) => {
                self.values.push(value);
                None
            }
        }
    }

    /// `key`'s value, made by `make` when it has none yet (the `entry().or_insert_with()` of a
    /// `HashMap`).
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> V) -> &mut V {
        let (at, added) = self.keys.find_or_push(key);
        if added {
            self.values.push(make());
        }
        &mut self.values[at]
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }

    pub fn remove_entry(&mut self, key: &str) -> Option<(String, V)> {
        let at = self.keys.position(key)?;
        let k = self.keys.swap_remove(at);
        Some((k, self.values.swap_remove(at)))
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut V) -> bool) {
        let mask: Vec<bool> = self
            .keys
            .keys
            .iter()
            .zip(self.values.iter_mut())
            .map(|(k, v)| keep(k, v))
            .collect();
        if mask.iter().all(|k| *k) {
            return;
        }
        self.keys.retain_positions(&mask);
        let mut i = 0;
        self.values.retain(|_| {
            i += 1;
            mask[i - 1]
        });
    }

    pub fn clear(&mut self) {
        self.keys.clear();
        self.values.clear();
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &V)> + ExactSizeIterator {
        self.keys.keys.iter().zip(self.values.iter())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut V)> {
        self.keys.keys.iter().zip(self.values.iter_mut())
    }

    pub fn keys(&self) -> std::slice::Iter<'_, String> {
        self.keys.iter()
    }

    pub fn values(&self) -> std::slice::Iter<'_, V> {
        self.values.iter()
    }

    pub fn values_mut(&mut self) -> std::slice::IterMut<'_, V> {
        self.values.iter_mut()
    }

    /// Takes every entry out, leaving the map empty.
    pub fn drain(&mut self) -> impl Iterator<Item = (String, V)> + '_ {
        self.keys.drain().zip(self.values.drain(..))
    }
}

impl<V: fmt::Debug> fmt::Debug for StrMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: PartialEq> PartialEq for StrMap<V> {
    /// The same entries, in any order.
    fn eq(&self, other: &StrMap<V>) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<S: Into<String> + AsRef<str>, V> Extend<(S, V)> for StrMap<V> {
    fn extend<I: IntoIterator<Item = (S, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<S: Into<String> + AsRef<str>, V> FromIterator<(S, V)> for StrMap<V> {
    fn from_iter<I: IntoIterator<Item = (S, V)>>(iter: I) -> StrMap<V> {
        let mut map = StrMap::new();
        map.extend(iter);
        map
    }
}

#[cfg(test)]
#[path = "str_map_tests.rs"]
mod tests;
