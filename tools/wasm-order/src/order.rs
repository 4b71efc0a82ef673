//! An order of functions in which each is followed by the one most like it: a greedy walk over
//! MinHash estimates of how many byte trigrams two bodies share.
//!
//! MinHash: for each of [`HASHES`] hash functions, a body's signature keeps the smallest hash of
//! any of its trigrams. Two bodies agree on a hash with a probability equal to the Jaccard
//! similarity of their trigram sets, so counting agreeing hashes estimates it in
//! [`HASHES`] comparisons, whatever the bodies' lengths. The walk is quadratic in the number of
//! functions (3 000 functions: a fraction of a second).

/// Hash functions per signature.
const HASHES: usize = 256;
/// Bytes per shingle. Three did best on the dashboard's chunks (docs/bytes.md).
const SHINGLE: usize = 3;

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
/// unplaced body most like the last one placed (the largest when none is alike at all). Ties go
/// to the lowest index, so the order depends only on the bodies.
pub fn by_similarity(bodies: &[&[u8]]) -> Vec<usize> {
    let sigs: Vec<Signature> = bodies.iter().map(|b| signature(b)).collect();
    let mut rank = vec![usize::MAX; bodies.len()];
    let largest = |placed: &[usize]| {
        (0..bodies.len())
            .filter(|&f| placed[f] == usize::MAX)
            .max_by_key(|&f| (bodies[f].len(), std::cmp::Reverse(f)))
    };
    let mut current = largest(&rank);
    for position in 0..bodies.len() {
        let Some(cur) = current else { break };
        rank[cur] = position;
        let mut best: Option<(usize, usize)> = None;
        for f in 0..bodies.len() {
            if rank[f] != usize::MAX {
                continue;
            }
            let score = agreement(&sigs[cur], &sigs[f]);
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
