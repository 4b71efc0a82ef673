//! An order of functions in which each is followed by the one most like the last few placed: a
//! greedy walk over MinHash estimates of how many byte trigrams two bodies share.
//!
//! MinHash: for each of [`HASHES`] hash functions, a body's signature keeps the smallest hash of
//! any of its trigrams. Two bodies agree on a hash with a probability equal to the Jaccard
//! similarity of their trigram sets, so counting agreeing hashes estimates it in
//! [`HASHES`] comparisons, whatever the bodies' lengths. The walk is quadratic in the number of
//! functions (3 000 functions: a fraction of a second).

use std::collections::VecDeque;

/// Hash functions per signature.
const HASHES: usize = 256;
/// Bytes per shingle. Three did best on the dashboard's chunks (docs/bytes.md).
const SHINGLE: usize = 3;
/// Functions placed last that a candidate is scored against, the newest weighing most: gzip
/// looks 32 kB back, so a function compresses well when it is like any of the last few placed,
/// not only the last. 16 did better than 1 on two builds (−0.5 and −1.3 kB gzip over the three
/// files; 4 and 8 were better on one build each, docs/bytes.md, "Twenty-first round").
const WINDOW: usize = 16;

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

type Signature = [u32; HASHES];

fn signature(body: &[u8]) -> Signature {
    let mut shingles: Vec<u64> = body
        .windows(SHINGLE)
        .map(|w| mix(w.iter().fold(0u64, |v, &b| v << 8 | u64::from(b))))
        .collect();
    shingles.sort_unstable();
    shingles.dedup();
    let mut sig = [u32::MAX; HASHES];
    for s in shingles {
        for (k, slot) in sig.iter_mut().enumerate() {
            let h = (mix(s ^ (k as u64).wrapping_mul(0xd6e8_feb8_6659_fd93)) >> 32) as u32;
            *slot = (*slot).min(h);
        }
    }
    sig
}

fn agreement(a: &Signature, b: &Signature) -> usize {
    a.iter().zip(b).filter(|(x, y)| x == y).count()
}

/// Each body's position in the order: starting from the largest body, then each time the
/// unplaced body most like one of the last [`WINDOW`] placed (its agreement with the one placed
/// `age` steps before weighted by 64 / (64 + age)); the largest when none is alike at all. Ties
/// go to the lowest index, so the order depends only on the bodies.
pub fn by_similarity(bodies: &[&[u8]]) -> Vec<usize> {
    let n = bodies.len();
    let sigs: Vec<Signature> = bodies.iter().map(|b| signature(b)).collect();
    let mut rank = vec![usize::MAX; n];
    let largest = |placed: &[usize]| {
        (0..n)
            .filter(|&f| placed[f] == usize::MAX)
            .max_by_key(|&f| (bodies[f].len(), std::cmp::Reverse(f)))
    };
    // The agreement of each of the last placed (newest first) with every body, computed once
    // when it is placed.
    let mut recent: VecDeque<Vec<u16>> = VecDeque::with_capacity(WINDOW);
    let mut current = largest(&rank);
    for position in 0..n {
        let Some(cur) = current else { break };
        rank[cur] = position;
        let mut row = if recent.len() == WINDOW {
            recent.pop_back().unwrap_or_default()
        } else {
            Vec::new()
        };
        row.clear();
        row.extend((0..n).map(|f| {
            if rank[f] == usize::MAX {
                agreement(&sigs[cur], &sigs[f]) as u16
            } else {
                0
            }
        }));
        recent.push_front(row);
        let mut best: Option<(usize, usize)> = None;
        for f in 0..n {
            if rank[f] != usize::MAX {
                continue;
            }
            let score = recent
                .iter()
                .enumerate()
                .map(|(age, row)| usize::from(row[f]) * 64 / (64 + age))
                .max()
                .unwrap_or(0);
            if score > 0 && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, f));
            }
        }
        current = best.map(|(_, f)| f).or_else(|| largest(&rank));
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_gets_one_position() {
        let bodies: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; usize::from(i % 7)]).collect();
        let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
        let mut rank = by_similarity(&refs);
        rank.sort_unstable();
        assert_eq!(rank, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn alike_bodies_end_up_next_to_each_other() {
        let a: Vec<u8> = (0..200u8).collect();
        let mut a2 = a.clone();
        a2[100] = 7;
        let b: Vec<u8> = (0..200u8).map(|x| x.wrapping_mul(37) ^ 0x5a).collect();
        let mut b2 = b.clone();
        b2[3] = 1;
        // Interleaved on input; the largest (a, by index) first, then its twin.
        let rank = by_similarity(&[&a, &b, &a2, &b2]);
        assert_eq!(rank[0], 0);
        assert_eq!(rank[2], 1);
        assert_eq!(rank[1].abs_diff(rank[3]), 1);
    }

    #[test]
    fn a_body_like_one_placed_before_the_last_comes_before_an_unlike_one() {
        // `a` holds two unrelated halves; `b` is its first half, `c` its second; `d` is like
        // nothing and larger than `b` and `c`. After `a` and one of the halves, the other half
        // is like `a` (placed before the last), so it comes next; `d` comes last.
        let first: Vec<u8> = (0..150u32).map(|x| x as u8).collect();
        let second: Vec<u8> = (0..150u32).map(|x| (x * 7 + 100) as u8 ^ 0xa5).collect();
        let a: Vec<u8> = first.iter().chain(&second).copied().collect();
        let d: Vec<u8> = (0..250u32).map(|x| (x * 13) as u8 ^ 0x3c).collect();
        let rank = by_similarity(&[&a, &first, &second, &d]);
        assert_eq!(rank[0], 0);
        assert_eq!(rank[3], 3);
    }

    #[test]
    fn the_order_is_the_same_every_time() {
        let bodies: Vec<Vec<u8>> = (0..30u8).map(|i| vec![i, i / 2, i / 3, 1, 2]).collect();
        let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
        assert_eq!(by_similarity(&refs), by_similarity(&refs));
    }

    #[test]
    fn empty_input_and_short_bodies() {
        assert!(by_similarity(&[]).is_empty());
        assert_eq!(by_similarity(&[&[], &[1]]).len(), 2);
    }
}
