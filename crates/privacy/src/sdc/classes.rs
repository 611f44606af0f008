//! Equivalence classes of a transformation, computed fast.
//!
//! Each row's quasi-identifier codes at a node's levels are packed into one `u64` key (each QI
//! gets `bits` bits at a fixed `shift`, enough for its level-0 dictionary, which no higher level
//! exceeds). A class is a key with its record count and, when sensitive attributes are
//! configured, one histogram per sensitive attribute (dense, flattened: class `c`'s counts of
//! attribute `s` are `hist[c * width + offset[s]..][..domain]`).
//!
//! The search never goes back to the rows: the input is first reduced to its distinct level-0
//! tuples (the *snapshot*), and a node's classes are derived from the classes of a more specific
//! node (*roll-up*): generalising a class key by a few levels with the precomputed
//! [`CodedHierarchy::up`](crate::hierarchy::CodedHierarchy) maps and re-grouping costs one hash
//! insert per class of the finer node, usually far fewer than the rows.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::hierarchy::CodedHierarchy;
use crate::table::Table;

/// A fast hasher for the packed `u64` keys (a multiply–rotate mix; keys are not attacker
/// controlled in a way that matters here: the input is the data owner's own table).
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        // Folded 128-bit multiply: every input bit reaches every output bit.
        let p = u128::from(self.0 ^ x) * 0x9E37_79B9_7F4A_7C15_u128;
        self.0 = (p as u64) ^ ((p >> 64) as u64);
    }
}

/// A hash map keyed by packed class keys.
pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// Where each QI lives in a packed key and where each sensitive histogram lives in a class.
#[derive(Debug, Clone)]
pub struct Layout {
    pub shifts: Vec<u32>,
    pub masks: Vec<u64>,
    /// Offset of each sensitive attribute's histogram inside a class's histogram block.
    pub hist_offsets: Vec<usize>,
    /// Total histogram width of one class (0 without sensitive attributes).
    pub hist_width: usize,
}

impl Layout {
    /// Packs QIs with the given level-0 dictionary sizes; `None` if they need more than 64 bits.
    pub fn new(domains: &[usize], sensitive_domains: &[usize]) -> Option<Layout> {
        let mut shift = 0u32;
        let mut shifts = Vec::new();
        let mut masks = Vec::new();
        for &d in domains {
            let bits = bits_for(d);
            if shift + bits > 64 {
                return None;
            }
            shifts.push(shift);
            masks.push(if bits == 64 {
                u64::MAX
            } else {
                ((1u64 << bits) - 1) << shift
            });
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

    /// Bits a key needs for these domains.
    pub fn bits_needed(domains: &[usize]) -> u32 {
        domains.iter().map(|&d| bits_for(d)).sum()
    }

    #[inline]
    pub fn code(&self, key: u64, qi: usize) -> u32 {
        ((key & self.masks[qi]) >> self.shifts[qi]) as u32
    }

    #[inline]
    pub fn with_code(&self, key: u64, qi: usize, code: u32) -> u64 {
        (key & !self.masks[qi]) | (u64::from(code) << self.shifts[qi])
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
    pub fn find_or_insert(&mut self, key: u64, keys: &[u64]) -> u32 {
        let p = u128::from(key) * 0x9E37_79B9_7F4A_7C15_u128;
        let mut i = ((p as u64) ^ ((p >> 64) as u64)) as usize & self.mask;
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
pub struct Classes {
    pub keys: Vec<u64>,
    pub counts: Vec<u32>,
    pub hist: Vec<u32>,
}

impl Classes {
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
        layout: &Layout,
        qi_columns: &[usize],
        sensitive_columns: &[usize],
    ) -> (Classes, Vec<u32>) {
        let n = table.n_rows();
        let width = layout.hist_width;
        let mut map: KeyMap<u32> = KeyMap::default();
        let mut out = Classes::default();
        let mut row_class = Vec::with_capacity(n);
        for row in 0..n {
            let mut key = 0u64;
            for (qi, &col) in qi_columns.iter().enumerate() {
                key |= u64::from(table.columns[col].codes[row]) << layout.shifts[qi];
            }
            let next = out.keys.len() as u32;
            let c = *map.entry(key).or_insert(next);
            if c == next {
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
    pub fn regroup(&self, width: usize, grouper: &mut Grouper, f: impl Fn(u64) -> u64) -> Classes {
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
        layout: &Layout,
        hierarchies: &[CodedHierarchy],
        from: &[u8],
        to: &[u8],
        grouper: &mut Grouper,
    ) -> Classes {
        let changed: Vec<usize> = (0..from.len()).filter(|&i| from[i] != to[i]).collect();
        if changed.len() == 1 {
            // The common case in the search: one QI, one or more levels up.
            let qi = changed[0];
            let (a, b) = (from[qi] as usize, to[qi] as usize);
            let h = &hierarchies[qi];
            // Indexed by the QI's field of the key, so no bounds check in the loop below.
            let field = layout.masks[qi] >> layout.shifts[qi];
            let map: Vec<u64> = (0..=field)
                .map(|c| {
                    let c = c as u32;
                    let to = if (c as usize) < h.labels[a].len() {
                        h.lift(c, a, b)
                    } else {
                        c
                    };
                    u64::from(to) << layout.shifts[qi]
                })
                .collect();
            let (mask, shift) = (layout.masks[qi], layout.shifts[qi]);
            return self.regroup(layout.hist_width, grouper, |key| {
                (key & !mask) | map[((key & mask) >> shift) as usize]
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
        let l = Layout::new(&[2, 74, 1], &[2, 3]).unwrap();
        assert_eq!(l.shifts, vec![0, 1, 8]);
        let k = l.with_code(l.with_code(0, 1, 73), 0, 1);
        assert_eq!(l.code(k, 1), 73);
        assert_eq!(l.code(k, 0), 1);
        assert_eq!(l.hist_width, 5);
        assert!(Layout::new(&[1 << 40, 1 << 30], &[]).is_none());
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
        let l = Layout::new(&[2, 2], &[2]).unwrap();
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
