//! Dice similarity on Bloom-filter encodings, blocking and assignment.
//!
//! `Dice(A, B) = 2 |A ∧ B| / (|A| + |B|)`. Popcounts `|A|`, `|B|` are precomputed; per pair only
//! the AND-popcount over the `u64` words is computed, and the threshold test is
//! `2 c ≥ t (|A| + |B|)` (no division). The kernel is compiled three times and chosen at run time:
//! AVX-512 with `VPOPCNTDQ` (eight words per instruction), AVX2 + `POPCNT`, and portable code;
//! 1024-bit filters (`[u64; 16]`) get a fully unrolled loop.
//!
//! **Length filter.** `Dice(A, B) ≤ 2 min(|A|,|B|) / (|A| + |B|)`, so for a threshold `t` only
//! `|B| ∈ [|A| t / (2 - t), |A| (2 - t) / t]` can reach it. The second party's encodings are
//! sorted by popcount and each query scans only that range. With schema blocking keys (keyed
//! hashes computed by each party), only pairs sharing a key are compared instead.
//!
//! **Assignment.** Two parties: candidate pairs at or above the threshold are sorted by
//! similarity (ties by indices) and accepted greedily when neither record is taken (1-to-1).
//! Several parties: the same greedy order merges clusters when they hold no record of the same
//! party (every cluster has at most one record per party).

use std::collections::HashMap;

use rayon::prelude::*;

use super::EncodingSet;
use crate::error::{LinkError, Result};

/// Dice similarity of two filters (1.0 when both are empty).
pub fn dice(a: &[u64], b: &[u64]) -> f64 {
    let (mut pa, mut pb, mut c) = (0u32, 0u32, 0u32);
    for (x, y) in a.iter().zip(b) {
        pa += x.count_ones();
        pb += y.count_ones();
        c += (x & y).count_ones();
    }
    if pa + pb == 0 {
        1.0
    } else {
        2.0 * f64::from(c) / f64::from(pa + pb)
    }
}

#[inline(always)]
fn and_pop<const W: usize>(a: &[u64; W], b: &[u64; W]) -> u32 {
    let mut c = 0;
    for i in 0..W {
        c += (a[i] & b[i]).count_ones();
    }
    c
}

#[inline(always)]
fn and_pop_dyn(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum()
}

/// Scan: compare `a` (popcount `pa`) with filters `bits` (`words` each, popcounts `pops`), push
/// `(j, dice)` for those at or above `t`.
#[inline(always)]
fn scan_impl(
    a: &[u64],
    pa: u32,
    bits: &[u64],
    pops: &[u32],
    words: usize,
    t: f32,
    out: &mut Vec<(u32, f32)>,
) {
    if words == 16 {
        let a16: &[u64; 16] = match a.try_into() {
            Ok(x) => x,
            Err(_) => return,
        };
        for (j, (b, &pb)) in bits.chunks_exact(16).zip(pops).enumerate() {
            let b16: &[u64; 16] = match b.try_into() {
                Ok(x) => x,
                Err(_) => continue,
            };
            let c = and_pop::<16>(a16, b16);
            let denom = (pa + pb) as f32;
            if 2.0 * c as f32 >= t * denom {
                out.push((
                    j as u32,
                    if denom > 0.0 {
                        2.0 * c as f32 / denom
                    } else {
                        1.0
                    },
                ));
            }
        }
    } else {
        for (j, (b, &pb)) in bits.chunks_exact(words).zip(pops).enumerate() {
            let c = and_pop_dyn(a, b);
            let denom = (pa + pb) as f32;
            if 2.0 * c as f32 >= t * denom {
                out.push((
                    j as u32,
                    if denom > 0.0 {
                        2.0 * c as f32 / denom
                    } else {
                        1.0
                    },
                ));
            }
        }
    }
}

/// Compare a batch of queries (`words` u64 each, popcounts `qp`) with a run of filters; pushes
/// `(query index, index in run, dice)` for pairs at or above `t`. (Register blocking of four
/// queries per loaded filter was measured slower than one query streaming over the run.)
pub fn scan_many(
    q: &[u64],
    qp: &[u32],
    bits: &[u64],
    pops: &[u32],
    words: usize,
    t: f64,
    out: &mut Vec<(u32, u32, f32)>,
) {
    let nq = qp.len().min(q.len() / words.max(1));
    let mut k = 0;
    let mut hits = Vec::new();
    while k < nq {
        hits.clear();
        scan(
            &q[k * words..(k + 1) * words],
            qp[k],
            bits,
            pops,
            words,
            t,
            &mut hits,
        );
        out.extend(hits.iter().map(|&(j, d)| (k as u32, j, d)));
        k += 1;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq,avx512bw,popcnt")]
fn scan_avx512(
    a: &[u64],
    pa: u32,
    bits: &[u64],
    pops: &[u32],
    words: usize,
    t: f32,
    out: &mut Vec<(u32, f32)>,
) {
    scan_impl(a, pa, bits, pops, words, t, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn scan_avx2(
    a: &[u64],
    pa: u32,
    bits: &[u64],
    pops: &[u32],
    words: usize,
    t: f32,
    out: &mut Vec<(u32, f32)>,
) {
    scan_impl(a, pa, bits, pops, words, t, out)
}

/// Which kernel [`scan`] uses on this CPU.
pub fn kernel_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512vpopcntdq")
            && std::is_x86_feature_detected!("avx512bw")
        {
            return "avx512-vpopcntdq";
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            return "avx2-popcnt";
        }
    }
    "portable"
}

/// Compare one filter with a run of filters (see module docs); pushes `(index in run, dice)`.
pub fn scan(
    a: &[u64],
    pa: u32,
    bits: &[u64],
    pops: &[u32],
    words: usize,
    t: f64,
    out: &mut Vec<(u32, f32)>,
) {
    let t = t as f32;
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512vpopcntdq")
            && std::is_x86_feature_detected!("avx512bw")
        {
            // SAFETY: the CPU supports the features the function is compiled for.
            unsafe { scan_avx512(a, pa, bits, pops, words, t, out) };
            return;
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            // SAFETY: as above.
            unsafe { scan_avx2(a, pa, bits, pops, words, t, out) };
            return;
        }
    }
    scan_impl(a, pa, bits, pops, words, t, out)
}

/// Popcount range `[lo, hi]` of filters that can reach Dice `t` with a filter of popcount `p`.
pub fn length_bounds(p: u32, t: f64) -> (u32, u32) {
    if t <= 0.0 {
        return (0, u32::MAX);
    }
    let p = f64::from(p);
    let lo = (p * t / (2.0 - t)).ceil().max(0.0) as u32;
    let hi = (p * (2.0 - t) / t).floor().min(f64::from(u32::MAX)) as u32;
    (lo.saturating_sub(1), hi.saturating_add(1)) // one bit of slack against rounding
}

/// Candidate pairs `(i in a, j in b, dice)` with Dice ≥ `t`: by schema blocking keys when both
/// sets have them and `use_blocking`, otherwise all pairs within the popcount length filter.
pub fn candidates(
    a: &EncodingSet,
    b: &EncodingSet,
    t: f64,
    use_blocking: bool,
) -> Result<Vec<(u32, u32, f32)>> {
    a.check(&b.fingerprint, "first party's encodings")?;
    b.check(&a.fingerprint, "second party's encodings")?;
    if a.words != b.words {
        return Err(LinkError::Encoding("filters of different lengths".into()));
    }
    if !(0.0..=1.0).contains(&t) {
        return Err(LinkError::Encoding(format!("threshold {t} outside [0, 1]")));
    }
    let w = a.words;
    if use_blocking && !a.block_keys.is_empty() && !b.block_keys.is_empty() {
        let mut index: HashMap<(usize, u64), Vec<u32>> = HashMap::new();
        for (j, keys) in b.block_keys.iter().enumerate() {
            for (r, &k) in keys.iter().enumerate() {
                if k != 0 {
                    index.entry((r, k)).or_default().push(j as u32);
                }
            }
        }
        let out: Vec<(u32, u32, f32)> = a
            .block_keys
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, keys)| {
                let mut js: Vec<u32> = keys
                    .iter()
                    .enumerate()
                    .filter(|(_, &k)| k != 0)
                    .filter_map(|(r, &k)| index.get(&(r, k)))
                    .flatten()
                    .copied()
                    .collect();
                js.sort_unstable();
                js.dedup();
                let fa = a.filter(i);
                let pa = a.popcounts[i];
                js.into_iter().filter_map(move |j| {
                    let c = and_pop_dyn(fa, b.filter(j as usize));
                    let denom = (pa + b.popcounts[j as usize]) as f32;
                    let d = if denom > 0.0 {
                        2.0 * c as f32 / denom
                    } else {
                        1.0
                    };
                    (f64::from(d) >= t).then_some((i as u32, j, d))
                })
            })
            .collect();
        return Ok(out);
    }
    // Sort b by popcount for the length filter.
    let mut order: Vec<u32> = (0..b.len() as u32).collect();
    order.sort_by_key(|&j| b.popcounts[j as usize]);
    let pops: Vec<u32> = order.iter().map(|&j| b.popcounts[j as usize]).collect();
    let mut bits = Vec::with_capacity(b.bits.len());
    for &j in &order {
        bits.extend_from_slice(b.filter(j as usize));
    }
    let mut a_order: Vec<u32> = (0..a.len() as u32).collect();
    a_order.sort_by_key(|&i| a.popcounts[i as usize]);
    let a_pops: Vec<u32> = a_order.iter().map(|&i| a.popcounts[i as usize]).collect();
    let mut a_bits = Vec::with_capacity(a.bits.len());
    for &i in &a_order {
        a_bits.extend_from_slice(a.filter(i as usize));
    }
    let group = 4;
    let groups = a.len().div_ceil(group);
    let out = (0..groups)
        .into_par_iter()
        .with_min_len(16)
        .fold(Vec::new, |mut acc: Vec<(u32, u32, f32)>, g| {
            let (qs, qe) = (g * group, ((g + 1) * group).min(a.len()));
            let lo = length_bounds(a_pops[qs], t).0;
            let hi = length_bounds(a_pops[qe - 1], t).1;
            let s = pops.partition_point(|&p| p < lo);
            let e = pops.partition_point(|&p| p <= hi);
            let mut hits = Vec::new();
            scan_many(
                &a_bits[qs * w..qe * w],
                &a_pops[qs..qe],
                &bits[s * w..e * w],
                &pops[s..e],
                w,
                t,
                &mut hits,
            );
            acc.extend(
                hits.into_iter()
                    .map(|(qi, j, d)| (a_order[qs + qi as usize], order[s + j as usize], d)),
            );
            acc
        })
        .reduce(Vec::new, |mut x, y| {
            x.extend(y);
            x
        });
    Ok(out)
}

fn greedy_order(c: &mut [(u32, u32, f32)]) {
    c.sort_by(|x, y| y.2.total_cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
}

/// Greedy 1-to-1 assignment of scored pairs (strongest first).
pub fn greedy_one_to_one(mut cands: Vec<(u32, u32, f32)>) -> Vec<(u32, u32, f32)> {
    greedy_order(&mut cands);
    let mut used_a = std::collections::HashSet::new();
    let mut used_b = std::collections::HashSet::new();
    cands
        .into_iter()
        .filter(|&(i, j, _)| {
            !used_a.contains(&i) && !used_b.contains(&j) && used_a.insert(i) && used_b.insert(j)
        })
        .collect()
}

/// Link two parties: Dice threshold then 1-to-1 assignment.
pub fn match_two(
    a: &EncodingSet,
    b: &EncodingSet,
    t: f64,
    use_blocking: bool,
) -> Result<Vec<(u32, u32, f32)>> {
    Ok(greedy_one_to_one(candidates(a, b, t, use_blocking)?))
}

/// Link several parties (at most 64): clusters of `(party, record)` with at most one record per
/// party, merged greedily from the most similar pair down.
pub fn match_multi(
    sets: &[&EncodingSet],
    t: f64,
    use_blocking: bool,
) -> Result<Vec<Vec<(u16, u32)>>> {
    if sets.len() > 64 {
        return Err(LinkError::Encoding("at most 64 parties".into()));
    }
    let mut edges: Vec<(u32, u32, f32)> = Vec::new();
    let offsets: Vec<u32> = sets
        .iter()
        .scan(0u32, |acc, s| {
            let o = *acc;
            *acc += s.len() as u32;
            Some(o)
        })
        .collect();
    for p in 0..sets.len() {
        for q in p + 1..sets.len() {
            for (i, j, d) in candidates(sets[p], sets[q], t, use_blocking)? {
                edges.push((offsets[p] + i, offsets[q] + j, d));
            }
        }
    }
    greedy_order(&mut edges);
    let n: usize = sets.iter().map(|s| s.len()).sum();
    let mut party = vec![0u16; n];
    for (p, s) in sets.iter().enumerate() {
        for i in 0..s.len() {
            party[offsets[p] as usize + i] = p as u16;
        }
    }
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut mask: Vec<u64> = party.iter().map(|&p| 1u64 << p).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    for (a, b, _) in edges {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb && mask[ra as usize] & mask[rb as usize] == 0 {
            parent[rb as usize] = ra;
            mask[ra as usize] |= mask[rb as usize];
        }
    }
    let mut groups: HashMap<u32, Vec<(u16, u32)>> = HashMap::new();
    for r in 0..n as u32 {
        let root = find(&mut parent, r);
        let p = party[r as usize];
        groups
            .entry(root)
            .or_default()
            .push((p, r - offsets[p as usize]));
    }
    let mut out: Vec<Vec<(u16, u32)>> = groups.into_values().filter(|g| g.len() > 1).collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn scan_many_agrees_with_dice(
            qs in proptest::collection::vec(proptest::collection::vec(any::<u64>(), 16), 1..10),
            bs in proptest::collection::vec(proptest::collection::vec(any::<u64>(), 16), 1..10),
            t in 0.0f64..1.0,
        ) {
            let pc = |v: &Vec<u64>| v.iter().map(|x| x.count_ones()).sum::<u32>();
            let qp: Vec<u32> = qs.iter().map(pc).collect();
            let bp: Vec<u32> = bs.iter().map(pc).collect();
            let mut out = Vec::new();
            scan_many(&qs.concat(), &qp, &bs.concat(), &bp, 16, t, &mut out);
            for (i, q) in qs.iter().enumerate() {
                for (j, b) in bs.iter().enumerate() {
                    let d = dice(q, b);
                    let hit = out.iter().find(|h| h.0 as usize == i && h.1 as usize == j);
                    if d >= t + 1e-6 { prop_assert!(hit.is_some()); }
                    if d < t - 1e-6 { prop_assert!(hit.is_none()); }
                }
            }
        }

        #[test]
        fn dice_symmetric_in_unit_interval(a in proptest::collection::vec(any::<u64>(), 16), b in proptest::collection::vec(any::<u64>(), 16)) {
            let d = dice(&a, &b);
            prop_assert!((0.0..=1.0).contains(&d));
            prop_assert_eq!(d, dice(&b, &a));
            prop_assert_eq!(dice(&a, &a), 1.0);
        }

        #[test]
        fn scan_agrees_with_dice_and_length_filter_is_safe(
            a in proptest::collection::vec(any::<u64>(), 16),
            bs in proptest::collection::vec(proptest::collection::vec(any::<u64>(), 16), 1..20),
            t in 0.0f64..1.0,
        ) {
            let pa: u32 = a.iter().map(|x| x.count_ones()).sum();
            let pops: Vec<u32> = bs.iter().map(|b| b.iter().map(|x| x.count_ones()).sum()).collect();
            let flat: Vec<u64> = bs.concat();
            let mut out = Vec::new();
            scan(&a, pa, &flat, &pops, 16, t, &mut out);
            for (j, b) in bs.iter().enumerate() {
                let d = dice(&a, b);
                let hit = out.iter().find(|h| h.0 as usize == j);
                if d >= t + 1e-6 { prop_assert!(hit.is_some()); }
                if d < t - 1e-6 { prop_assert!(hit.is_none()); }
                if d >= t + 1e-6 {
                    let (lo, hi) = length_bounds(pa, t);
                    prop_assert!(pops[j] >= lo && pops[j] <= hi, "length filter would drop a match");
                }
            }
        }
    }
}
