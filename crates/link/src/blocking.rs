//! Blocking: which pairs are compared at all.
//!
//! A rule is a list of keys (`column` or `column:n` for the first `n` characters of the
//! normalised value); two records are a candidate pair under the rule when all keys are equal and
//! none is missing. Rules are unioned. Per rule, every record gets a 64-bit key hash (keys with a
//! missing part are skipped); records are sorted by hash and each run of equal hashes is a block.
//! Within a block all pairs are emitted (dedupe), or only pairs from different datasets (link). A
//! hash collision can only add candidate pairs, never lose one. The union is a sort + dedup of
//! pairs packed as `u64` (`lo << 32 | hi`, `lo < hi`).

use rayon::prelude::*;

use crate::compare::{PreparedColumn, NULL_ID};

/// A resolved blocking key: prepared column and optional prefix length.
pub struct ResolvedKey<'a> {
    pub column: &'a PreparedColumn,
    pub prefix: Option<usize>,
}

fn fx(h: u64, v: u64) -> u64 {
    (h.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

fn str_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Key hash of every record under one rule (`None` when a key part is missing).
fn rule_keys(keys: &[ResolvedKey<'_>], n: usize) -> Vec<(u64, u32)> {
    // Prefix keys: hash per dictionary value once.
    let per_key: Vec<Vec<u64>> = keys
        .iter()
        .map(|k| {
            k.column
                .dict
                .iter()
                .map(|v| match k.prefix {
                    None => str_hash(v),
                    Some(p) => {
                        let end = v.char_indices().nth(p).map_or(v.len(), |(i, _)| i);
                        str_hash(&v[..end])
                    }
                })
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    'rec: for r in 0..n {
        let mut h = 0u64;
        for (k, hashes) in keys.iter().zip(&per_key) {
            let id = k.column.ids[r];
            if id == NULL_ID {
                continue 'rec;
            }
            h = fx(h, hashes[id as usize]);
        }
        out.push((h, r as u32));
    }
    out
}

/// Candidate pairs of all rules, unioned, sorted and deduplicated. `source[r]` is the dataset of
/// record `r`; with `link_only`, pairs within one dataset are not emitted.
pub fn candidate_pairs(
    rules: &[Vec<ResolvedKey<'_>>],
    source: &[u16],
    link_only: bool,
) -> Vec<u64> {
    let n = source.len();
    let mut pairs: Vec<u64> = Vec::new();
    for rule in rules {
        let mut keys = rule_keys(rule, n);
        keys.par_sort_unstable();
        let mut start = 0;
        while start < keys.len() {
            let mut end = start + 1;
            while end < keys.len() && keys[end].0 == keys[start].0 {
                end += 1;
            }
            let block = &keys[start..end];
            for (i, &(_, a)) in block.iter().enumerate() {
                for &(_, b) in &block[i + 1..] {
                    if link_only && source[a as usize] == source[b as usize] {
                        continue;
                    }
                    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                    pairs.push((u64::from(lo) << 32) | u64::from(hi));
                }
            }
            start = end;
        }
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
}

/// Unpack a pair.
#[inline]
pub fn unpack(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}
