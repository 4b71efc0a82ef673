//! The core's hash tables: `hashbrown`'s, with a small, fast hash.
//!
//! One table implementation for the whole wasm: Leptos' `indexmap` already links `hashbrown`
//! (crates.io), and `std::collections::HashMap` is a second, separately compiled copy of it (with
//! SipHash and a per-thread seed) that cost the live page's first load about 1 kB gzip. The hash
//! is the Firefox/rustc "Fx" hash: one multiply per word instead of SipHash's rounds, which made
//! hashing the larger part of evaluating 100 000 runs. Not collision-resistant against chosen
//! keys, and neither was the std table here: the wasm target has no randomness for its seed, so
//! its keys were fixed. The keys are prompt ids and names from the user's own servers, and a
//! collision only costs time.

use std::hash::{BuildHasherDefault, Hasher};

/// The Firefox/rustc "Fx" hash.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;
pub type HashMap<K, V> = hashbrown::HashMap<K, V, FxBuild>;
pub type HashSet<T> = hashbrown::HashSet<T, FxBuild>;
/// The insight's name (kept: it says which hash the maps use).
pub type FxHashMap<K, V> = HashMap<K, V>;
