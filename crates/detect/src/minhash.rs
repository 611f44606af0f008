//! MinHash signatures over word shingles and LSH banding.
//!
//! Each token is hashed once (see [`crate::text`]); a shingle's hash is folded from the keys of
//! its `w` tokens, and each of the `k` permutations is a multiply-add-shift hash of the 32-bit
//! shingle hash, so a signature costs one multiply per permutation per shingle. Banding (`b` bands of `r` rows, `b·r ≤ k`) is chosen for the
//! similarity threshold by [`Banding::for_threshold`].

use serde::{Deserialize, Serialize};

use crate::text::{fmix64, splitmix64, Token};

/// Parameters of shingling and MinHash.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MinHashParams {
    /// Words per shingle. The default, 1, makes the verified similarity the Jaccard similarity of
    /// the slot-normalised token sets: on planted corpora with 10–20% word insertions/deletions,
    /// 2- and 3-word shingles lose most true pairs at a threshold of 0.5 (see the README).
    pub shingle: usize,
    /// Number of permutations (signature length).
    pub num_perm: usize,
    /// Seed of the permutations (signatures are only comparable under the same seed).
    pub seed: u64,
}

impl Default for MinHashParams {
    fn default() -> Self {
        MinHashParams {
            shingle: 1,
            num_perm: 256,
            seed: 0x6374_6875_6264_6574,
        }
    }
}

/// Computes shingle sets and signatures.
#[derive(Debug, Clone)]
pub struct MinHasher {
    params: MinHashParams,
    mul: Vec<u64>,
    add: Vec<u64>,
}

impl MinHasher {
    /// A hasher for these parameters.
    pub fn new(params: MinHashParams) -> Self {
        let mut s = params.seed;
        let mul = (0..params.num_perm)
            .map(|_| splitmix64(&mut s) | 1)
            .collect();
        let add = (0..params.num_perm).map(|_| splitmix64(&mut s)).collect();
        MinHasher { params, mul, add }
    }

    /// The parameters.
    pub fn params(&self) -> &MinHashParams {
        &self.params
    }

    /// The sorted, deduplicated 32-bit hashes of the word shingles of `tokens`. A text shorter
    /// than one shingle gives one shingle of all its tokens; an empty text gives none.
    pub fn shingles(&self, tokens: &[Token]) -> Vec<u32> {
        let w = self.params.shingle.max(1);
        let mut out = Vec::with_capacity(tokens.len());
        if tokens.is_empty() {
            return out;
        }
        let n = if tokens.len() < w {
            1
        } else {
            tokens.len() - w + 1
        };
        let w = w.min(tokens.len());
        for i in 0..n {
            let mut h: u64 = 0x5851_f42d_4c95_7f2d;
            for t in &tokens[i..i + w] {
                h = (h ^ t.key)
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    .rotate_left(31);
            }
            let h = fmix64(h);
            out.push((h ^ (h >> 32)) as u32);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The MinHash signature of a shingle set (all `u32::MAX` for an empty set). Permutation
    /// `i` is the multiply-add-shift hash `(a_i · s + b_i) >> 32` (64-bit arithmetic, odd `a_i`),
    /// a 2-universal family on 32-bit keys: one multiply per permutation per shingle.
    pub fn signature(&self, shingles: &[u32]) -> Vec<u32> {
        let mut sig = vec![u32::MAX; self.mul.len()];
        for &s in shingles {
            let s = s as u64;
            for ((m, &a), &b) in sig.iter_mut().zip(&self.mul).zip(&self.add) {
                let v = (a.wrapping_mul(s).wrapping_add(b) >> 32) as u32;
                *m = (*m).min(v);
            }
        }
        sig
    }
}

/// Exact Jaccard similarity of two sorted, deduplicated sets.
pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Jaccard estimate from two signatures: the share of equal positions.
pub fn estimate(a: &[u32], b: &[u32]) -> f64 {
    let eq = a.iter().zip(b).filter(|(x, y)| x == y).count();
    eq as f64 / a.len().max(1) as f64
}

/// LSH banding: `bands` bands of `rows` signature values each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Banding {
    /// Number of bands (b).
    pub bands: usize,
    /// Rows per band (r).
    pub rows: usize,
}

impl Banding {
    /// Probability that two sets of Jaccard similarity `j` share at least one band.
    pub fn candidate_probability(&self, j: f64) -> f64 {
        1.0 - (1.0 - j.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// The banding with the most rows per band (fewest false candidates) that still makes a
    /// pair at the threshold a candidate with probability ≥ `recall`.
    pub fn for_threshold(num_perm: usize, threshold: f64, recall: f64) -> Banding {
        let mut best = Banding {
            bands: num_perm.max(1),
            rows: 1,
        };
        for rows in 1..=num_perm.max(1) {
            let b = Banding {
                bands: num_perm / rows,
                rows,
            };
            if b.bands == 0 {
                break;
            }
            if b.candidate_probability(threshold) >= recall {
                best = b;
            }
        }
        best
    }

    /// The bucket key of band `band` of a signature.
    #[inline]
    pub fn key(&self, sig: &[u32], band: usize) -> u64 {
        let mut h = (band as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2545_f491_4f6c_dd1d;
        for &v in &sig[band * self.rows..(band + 1) * self.rows] {
            h = (h ^ v as u64)
                .wrapping_mul(0xff51_afd7_ed55_8ccd)
                .rotate_left(27);
        }
        fmix64(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize;

    #[test]
    fn estimate_tracks_jaccard() {
        let h = MinHasher::new(MinHashParams {
            shingle: 1,
            num_perm: 256,
            seed: 7,
        });
        let a: Vec<u32> = (0..1000).collect();
        let b: Vec<u32> = (500..1500).collect();
        let j = jaccard(&a, &b);
        assert!((j - 1.0 / 3.0).abs() < 1e-9);
        let e = estimate(&h.signature(&a), &h.signature(&b));
        // sd = sqrt(J(1-J)/256) ~ 0.029; 5 sd.
        assert!((e - j).abs() < 0.15, "{e} vs {j}");
    }

    #[test]
    fn banding_for_threshold() {
        let b = Banding::for_threshold(128, 0.5, 0.99);
        assert!(b.candidate_probability(0.5) >= 0.99);
        assert!(b.bands * b.rows <= 128);
        let b = Banding::for_threshold(256, 0.5, 0.98);
        assert_eq!((b.bands, b.rows), (64, 4));
        assert!(b.candidate_probability(0.1) < 0.2, "{b:?}");
    }

    #[test]
    fn shingles_of_short_text() {
        let h = MinHasher::new(MinHashParams {
            shingle: 5,
            ..Default::default()
        });
        assert_eq!(h.shingles(&tokenize("two words")).len(), 1);
        assert!(h.shingles(&tokenize("")).is_empty());
    }
}
