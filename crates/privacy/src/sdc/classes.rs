//! Equivalence classes of a transformation, computed fast.
//!
//! Each row's quasi-identifier codes at a node's levels are packed into one integer key (each
//! QI gets `bits` bits at a fixed `shift`, enough for its level-0 dictionary, which no higher
//! level exceeds): a `u64` when the QIs fit in 64 bits, a `u128` otherwise ([`Key`]). A class is a key with its record count and, when sensitive attributes are
//! configured, one histogram per sensitive attribute (dense, flattened: class `c`'s counts of
//! attribute `s` are `hist[c * width + offset[s]..][..domain]`).
//!
//! The search never goes back to the rows: the input is first reduced to its distinct level-0
//! tuples (the *snapshot*), and a node's classes are derived from the classes of a more specific
//! node (*roll-up*): generalising a class key by a few levels with the precomputed
//! [`CodedHierarchy::up`](crate::hierarchy::CodedHierarchy) maps and re-grouping costs one hash
//! insert per class of the finer node, usually far fewer than the rows.

use crate::hierarchy::CodedHierarchy;
use crate::table::Table;

/// A packed class key: `u64`, or `u128` for wide sets of quasi-identifiers.
pub trait Key:
    Copy
    + Eq
    + Default
    + std::fmt::Debug
    + std::ops::BitAnd<Output = Self>
    + std::ops::BitOr<Output = Self>
    + std::ops::Not<Output = Self>
    + std::ops::Shl<u32, Output = Self>
    + std::ops::Shr<u32, Output = Self>
    + From<u32>
{
    /// Bits in the key.
    const BITS: u32;
    /// The low 32 bits.
    fn low_u32(self) -> u32;
    /// A well-mixed 64-bit hash (keys come from the data owner's own table, so no defence
    /// against adversarial collisions is needed).
    fn hash(self) -> u64;
}

#[inline(always)]
fn mix(x: u64) -> u64 {
    // Folded 128-bit multiply: every input bit reaches every output bit.
    let p = u128::from(x) * 0x9E37_79B9_7F4A_7C15_u128;
    (p as u64) ^ ((p >> 64) as u64)
}

impl Key for u64 {
    const BITS: u32 = 64;
    #[inline(always)]
    fn low_u32(self) -> u32 {
        self as u32
    }
    #[inline(always)]
    fn hash(self) -> u64 {
        mix(self)
    }
}

impl Key for u128 {
    const BITS: u32 = 128;
    #[inline(always)]
    fn low_u32(self) -> u32 {
        self as u32
    }
    #[inline(always)]
    fn hash(self) -> u64 {
        mix(self as u64 ^ mix((self >> 64) as u64))
    }
}

/// Where each QI lives in a packed key and where each sensitive histogram lives in a class.
#[derive(Debug, Clone)]
pub struct Layout<K = u64> {
    pub shifts: Vec<u32>,
    pub masks: Vec<K>,
    /// Offset of each sensitive attribute's histogram inside a class's histogram block.
    pub hist_offsets: Vec<usize>,
    /// Total histogram width of one class (0 without sensitive attributes).
    pub hist_width: usize,
}

impl<K: Key> Layout<K> {
    /// Packs QIs with the given level-0 dictionary sizes; `None` if they need more than
    /// `K::BITS` bits.
    pub fn new(domains: &[usize], sensitive_domains: &[usize]) -> Option<Layout<K>> {
        let mut shift = 0u32;
        let mut shifts = Vec::new();
        let mut masks = Vec::new();
        for &d in domains {
            let bits = bits_for(d);
            if shift + bits > K::BITS {
                return None;
            }
            shifts.push(shift);
            let ones = if bits == K::BITS {
                !K::default()
            } else {
                !(!K::default() << bits)
            };
            masks.push(ones << shift);
            shift += bits;
        }
        let mut hist_offsets = Vec::new();
        let mut width = 0;
        for &d in sensitive_domains {
            hist_offsets.push(width);
            width += d;
        }
        Some(Layout {
            shifts,
            masks,
            hist_offsets,
            hist_width: width,
        })
    }

    #[inline]
    pub fn code(&self, key: K, qi: usize) -> u32 {
        ((key & self.masks[qi]) >> self.shifts[qi]).low_u32()
    }

    #[inline]
    pub fn with_code(&self, key: K, qi: usize, code: u32) -> K {
        (key & !self.masks[qi]) | (K::from(code) << self.shifts[qi])
    }
}

impl Layout {
    /// Bits a key needs for these domains.
    pub fn bits_needed(domains: &[usize]) -> u32 {
        domains.iter().map(|&d| bits_for(d)).sum()
    }
}

fn bits_for(domain: usize) -> u32 {
    let max = domain.saturating_sub(1) as u64;
    (64 - max.leading_zeros()).max(1)
}

/// A reusable open-addressing hash table from packed keys to class numbers (linear probing;
/// a generation stamp per slot makes clearing free). Grouping is the search's inner loop, and
/// reusing one table avoids allocating and rehashing at every node.
#[derive(Debug, Default)]
pub struct Grouper {
    /// `(generation, index into the caller's key list)` per slot: 8 bytes, so the table stays
    /// small and cache-resident; keys are compared in the caller's (dense) key list.
    slots: Vec<(u32, u32)>,
    generation: u32,
    mask: usize,
}

impl Grouper {
    /// Clears the table and makes room for `n` distinct keys (the table used is the smallest
    /// power of two at least twice `n`).
    pub fn reset(&mut self, n: usize) {
        let want = (n.max(8) * 2).next_power_of_two();
        if want > self.slots.len() {
            self.slots = vec![(0, 0); want];
            self.generation = 0;
        }
        self.mask = want - 1;
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.iter_mut().for_each(|s| s.0 = 0);
            self.generation = 1;
        }
    }

    /// The index of `key` in `keys` (the distinct keys inserted since the last
    /// [`Grouper::reset`], in order); `keys.len()` when the key is new, and the caller must
    /// then push it. At most `n` keys (of the last reset) may be inserted.
    #[inline(always)]
    pub fn find_or_insert<K: Key>(&mut self, key: K, keys: &[K]) -> u32 {
        let mut i = key.hash() as usize & self.mask;
        loop {
            let slot = &mut self.slots[i];
            if slot.0 != self.generation {
                *slot = (self.generation, keys.len() as u32);
                return slot.1;
            }
            if keys[slot.1 as usize] == key {
                return slot.1;
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// The equivalence classes of one node.
#[derive(Debug, Clone, Default)]
pub struct Classes<K = u64> {
    pub keys: Vec<K>,
    pub counts: Vec<u32>,
    pub hist: Vec<u32>,
}

impl<K: Key> Classes<K> {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Releases unused capacity (classes kept for later roll-ups).
    pub fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
        self.counts.shrink_to_fit();
        self.hist.shrink_to_fit();
    }

    /// Records in all classes.
    pub fn records(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// Class `c`'s histogram block.
    #[inline]
    pub fn hist_of(&self, c: usize, width: usize) -> &[u32] {
        &self.hist[c * width..(c + 1) * width]
    }

    /// The distinct level-0 tuples of `table` (see the module docs), with the row → class index.
    pub fn snapshot(
        table: &Table,
        layout: &Layout<K>,
        qi_columns: &[usize],
        sensitive_columns: &[usize],
    ) -> (Classes<K>, Vec<u32>) {
        let n = table.n_rows();
        let width = layout.hist_width;
        let mut grouper = Grouper::default();
        grouper.reset(n);
        let mut out = Classes::default();
        let mut row_class = Vec::with_capacity(n);
        for row in 0..n {
            let mut key = K::default();
            for (qi, &col) in qi_columns.iter().enumerate() {
                key = key | (K::from(table.columns[col].codes[row]) << layout.shifts[qi]);
            }
            let c = grouper.find_or_insert(key, &out.keys);
            if c as usize == out.keys.len() {
                out.keys.push(key);
                out.counts.push(0);
                if width > 0 {
                    out.hist.resize(out.hist.len() + width, 0);
                }
            }
            out.counts[c as usize] += 1;
            for (s, &col) in sensitive_columns.iter().enumerate() {
                let v = table.columns[col].codes[row] as usize;
                out.hist[c as usize * width + layout.hist_offsets[s] + v] += 1;
            }
            row_class.push(c);
        }
        (out, row_class)
    }

    /// Regroups classes under `f` (a key map that merges keys), adding counts and histograms.
    pub fn regroup(&self, width: usize, grouper: &mut Grouper, f: impl Fn(K) -> K) -> Classes<K> {
        grouper.reset(self.len());
        let mut out = Classes {
            keys: Vec::with_capacity(self.len() / 2 + 1),
            counts: Vec::with_capacity(self.len() / 2 + 1),
            hist: Vec::new(),
        };
        for (i, &key) in self.keys.iter().enumerate() {
            let k = f(key);
            let c = grouper.find_or_insert(k, &out.keys) as usize;
            if c == out.keys.len() {
                out.keys.push(k);
                out.counts.push(0);
                if width > 0 {
                    out.hist.resize(out.hist.len() + width, 0);
                }
            }
            out.counts[c] += self.counts[i];
            if width > 0 {
                let src = &self.hist[i * width..(i + 1) * width];
                let dst = &mut out.hist[c * width..(c + 1) * width];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
        }
        out
    }

    /// Classes of the node `to`, from classes of the node `from` (`from <= to` on every QI).
    pub fn roll_up(
        &self,
        layout: &Layout<K>,
        hierarchies: &[CodedHierarchy],
        from: &[u8],
        to: &[u8],
        grouper: &mut Grouper,
    ) -> Classes<K> {
        let changed: Vec<usize> = (0..from.len()).filter(|&i| from[i] != to[i]).collect();
        if changed.len() == 1 {
            // The common case in the search: one QI, one or more levels up.
            let qi = changed[0];
            let (a, b) = (from[qi] as usize, to[qi] as usize);
            let h = &hierarchies[qi];
            // The new field, already shifted into place.
            let map: Vec<K> = (0..h.labels[a].len() as u32)
                .map(|c| K::from(h.lift(c, a, b)) << layout.shifts[qi])
                .collect();
            let (mask, shift) = (layout.masks[qi], layout.shifts[qi]);
            return self.regroup(layout.hist_width, grouper, |key| {
                (key & !mask) | map[((key & mask) >> shift).low_u32() as usize]
            });
        }
        let maps: Vec<(usize, Vec<u32>)> = changed
            .iter()
            .map(|&qi| {
                let (a, b) = (from[qi] as usize, to[qi] as usize);
                let h = &hierarchies[qi];
                (
                    qi,
                    (0..h.labels[a].len() as u32)
                        .map(|c| h.lift(c, a, b))
                        .collect(),
                )
            })
            .collect();
        self.regroup(layout.hist_width, grouper, |mut key| {
            for (qi, map) in &maps {
                key = layout.with_code(key, *qi, map[layout.code(key, *qi) as usize]);
            }
            key
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_packs_and_refuses_overflow() {
        let l: Layout = Layout::new(&[2, 74, 1], &[2, 3]).unwrap();
        assert_eq!(l.shifts, vec![0, 1, 8]);
        let k = l.with_code(l.with_code(0, 1, 73), 0, 1);
        assert_eq!(l.code(k, 1), 73);
        assert_eq!(l.code(k, 0), 1);
        assert_eq!(l.hist_width, 5);
        assert!(Layout::<u64>::new(&[1 << 40, 1 << 30], &[]).is_none());
        let w: Layout<u128> = Layout::new(&[1 << 40, 1 << 30, 1000], &[]).unwrap();
        let k = w.with_code(w.with_code(0, 1, (1 << 30) - 1), 2, 999);
        assert_eq!(w.code(k, 1), (1 << 30) - 1);
        assert_eq!(w.code(k, 2), 999);
        assert_eq!(w.code(k, 0), 0);
        assert_eq!(Layout::bits_needed(&[2, 3, 4, 5]), 1 + 2 + 2 + 3);
    }

    #[test]
    fn snapshot_and_regroup() {
        let rows = [
            ["a", "x", "s"],
            ["a", "x", "t"],
            ["b", "x", "s"],
            ["a", "y", "s"],
        ];
        let t = Table::from_rows(
            &["p", "q", "s"],
            rows.iter()
                .map(|r| r.iter().map(|v| v.to_string()).collect::<Vec<_>>()),
        );
        let l: Layout = Layout::new(&[2, 2], &[2]).unwrap();
        let (c, rc) = Classes::snapshot(&t, &l, &[0, 1], &[2]);
        assert_eq!(c.len(), 3);
        assert_eq!(c.counts, vec![2, 1, 1]);
        assert_eq!(c.hist_of(0, 2), &[1, 1]);
        assert_eq!(rc, vec![0, 0, 1, 2]);
        let all = c.regroup(2, &mut Grouper::default(), |k| k & !l.masks[0]);
        assert_eq!(all.counts, vec![3, 1]);
        assert_eq!(all.hist_of(0, 2), &[2, 1]);
        assert_eq!(all.records(), 4);
    }
}
