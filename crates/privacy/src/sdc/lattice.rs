//! The generalisation lattice and the optimal full-domain search.
//!
//! A node assigns one level to each quasi-identifier; node `a` is a *generalisation* of `b` when
//! `a ≥ b` on every QI. Nodes are numbered in mixed radix (`index = Σ level_i · stride_i`), so
//! a node's direct predecessors/successors are `index ∓ stride_i`.
//!
//! # Search
//!
//! The search visits the lattice bottom-up, one *height* (sum of levels) at a time, and uses the
//! two monotonicity properties that make ARX's Flash fast:
//!
//! * **Utility bound**: every metric has a lower bound that never decreases under
//!   generalisation (see [`crate::metrics`]). Once an anonymous node with value `best` is known,
//!   a node whose bound is `≥ best` is *pruned* and so is everything above it: a node with a
//!   pruned predecessor is never evaluated.
//! * **Anonymity**: with models that are monotone under suppression (k-anonymity, distinct
//!   l-diversity, or any model with a zero suppression limit) a node above an anonymous node is
//!   anonymous (*tagged*, not checked).
//!
//! * **Projections** (Incognito's subset property): a record whose label on one QI, or whose
//!   pair of labels on two QIs, is shared by fewer than `k` records is in a class smaller than
//!   `k` at every node with those levels, so it must be suppressed there. Before the sweep,
//!   the suppressed records this forces are counted for every level of every QI and every
//!   pair of levels of every pair of QIs (on tiny projected tables), together with the set of
//!   distinct tuples concerned (a bitset). A node's forced suppression is at least the weight of
//!   the union of its pairs' sets; when that exceeds the limit the node is not anonymous and is
//!   never evaluated. The per-QI counts give a minimum level per QI: the sweep only covers the
//!   box above it.
//!
//! Before the sweep a greedy descent from the top node (at each step, the anonymous direct
//! predecessor with the best metric) provides a good first `best`, so pruning starts at once.
//!
//! Every evaluated node gets its classes by *roll-up* from the direct predecessor with the fewest
//! classes (kept for one height only), never from the rows; the bottom node's classes are the
//! snapshot of distinct tuples.
//!
//! Because every pruned node provably cannot beat `best` and every other node is evaluated, the
//! result is the global optimum among anonymous nodes; [`exhaustive`] (used by the tests)
//! evaluates every node to confirm it.

use std::time::Instant;

use serde::Serialize;

use super::classes::{Classes, Key};
use super::Engine;

/// Most class entries kept for roll-ups at one time; beyond it, nodes roll up from the base
/// instead (slower, same result), so memory stays bounded on large tables.
pub const STORE_BUDGET: usize = 1 << 23;

/// Most nodes a lattice may have.
pub const MAX_NODES: usize = 1 << 24;

const PRUNED: u8 = 1;
const ANONYMOUS: u8 = 2;

/// The lattice of a problem: `max[i]` is the top level of QI `i`.
#[derive(Debug, Clone)]
pub struct Lattice {
    pub max: Vec<u8>,
    pub strides: Vec<usize>,
    pub size: usize,
}

impl Lattice {
    /// `None` when the lattice has more than [`MAX_NODES`] nodes.
    pub fn new(max: Vec<u8>) -> Option<Lattice> {
        let mut strides = Vec::with_capacity(max.len());
        let mut size = 1usize;
        for &m in &max {
            strides.push(size);
            size = size.checked_mul(m as usize + 1)?;
            if size > MAX_NODES {
                return None;
            }
        }
        Some(Lattice { max, strides, size })
    }

    pub fn levels(&self, index: usize) -> Vec<u8> {
        self.max
            .iter()
            .zip(&self.strides)
            .map(|(&m, &s)| ((index / s) % (m as usize + 1)) as u8)
            .collect()
    }

    pub fn index(&self, levels: &[u8]) -> usize {
        levels
            .iter()
            .zip(&self.strides)
            .map(|(&l, &s)| l as usize * s)
            .sum()
    }

    pub fn height(&self) -> usize {
        self.max.iter().map(|&m| m as usize).sum()
    }

    fn predecessors(&self, index: usize, levels: &[u8]) -> impl Iterator<Item = usize> + '_ {
        let levels = levels.to_vec();
        (0..self.max.len())
            .filter(move |&i| levels[i] > 0)
            .map(move |i| index - self.strides[i])
    }
}

/// Figures of one search.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchStats {
    /// Nodes in the lattice.
    pub lattice_size: usize,
    /// Nodes whose classes were computed.
    pub nodes_checked: usize,
    /// Nodes skipped because of the utility bound (theirs or a predecessor's).
    pub nodes_pruned: usize,
    /// Nodes skipped because a one- or two-QI projection forces too much suppression.
    pub nodes_infeasible: usize,
    /// Checked nodes known anonymous from a predecessor.
    pub nodes_tagged_anonymous: usize,
    /// Anonymous nodes found.
    pub anonymous_nodes: usize,
    /// Classes read by roll-ups: the work of the search, independent of the machine.
    pub classes_rolled_up: usize,
    /// Wall-clock time of the search, milliseconds.
    pub search_ms: f64,
}

/// The best node found.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimum {
    pub levels: Vec<u8>,
    pub value: f64,
}

fn better(value: f64, best: &Option<Optimum>) -> bool {
    best.as_ref().is_none_or(|b| value < b.value)
}

/// QIs `i < j`: `ok[combo]` and `rare[combo]` (see [`Feasibility`]).
type PairProjection = (usize, usize, Vec<bool>, Vec<Vec<u64>>);

/// Which nodes can be anonymous at all, from one- and two-QI projections (see the module docs).
struct Feasibility {
    /// Lowest feasible level per QI.
    min: Vec<u8>,
    /// `pairs[(i, j)]`: feasibility of each `(level_i, level_j)`, row-major over `j`'s levels,
    /// and the bitset of snapshot classes whose pair of labels is rare (empty: none).
    pairs: Vec<PairProjection>,
    /// Snapshot class sizes, to weigh a union of sets.
    weights: Vec<u32>,
    limit: u64,
    scratch: std::cell::RefCell<Vec<u64>>,
}

impl Feasibility {
    fn new<K: Key>(engine: &Engine<K>, lattice: &Lattice) -> Feasibility {
        let q = lattice.max.len();
        let k = engine.metric.min_class;
        let limit = engine.max_suppressed;
        if k <= 1 {
            return Feasibility {
                min: vec![0; q],
                pairs: Vec::new(),
                weights: Vec::new(),
                limit,
                scratch: Default::default(),
            };
        }
        let snap = &engine.snapshot;
        let code = |c: usize, qi: usize| engine.layout.code(snap.keys[c], qi);
        // Forced suppression of one QI at one level.
        let mut min = vec![0u8; q];
        for (qi, h) in engine.hierarchies.iter().enumerate() {
            let mut level = lattice.max[qi];
            for l in (0..=lattice.max[qi]).rev() {
                let mut freq = vec![0u64; h.labels[l as usize].len()];
                for c in 0..snap.len() {
                    freq[h.lift(code(c, qi), 0, l as usize) as usize] += u64::from(snap.counts[c]);
                }
                let forced: u64 = freq.iter().filter(|&&f| f < u64::from(k)).sum();
                if forced > limit {
                    break;
                }
                level = l;
            }
            min[qi] = level;
        }
        // Forced suppression of pairs, on the distinct level-0 pairs.
        let mut pairs = Vec::new();
        for i in 0..q {
            for j in i + 1..q {
                let mut grouper = super::classes::Grouper::default();
                grouper.reset(snap.len());
                let mut keys: Vec<(u32, u32)> = Vec::new();
                let mut packed: Vec<u64> = Vec::new();
                let mut counts: Vec<u64> = Vec::new();
                let mut pair_of = Vec::with_capacity(snap.len());
                for c in 0..snap.len() {
                    let key = (u64::from(code(c, i)) << 32) | u64::from(code(c, j));
                    let slot = grouper.find_or_insert(key, &packed) as usize;
                    if slot == keys.len() {
                        keys.push((code(c, i), code(c, j)));
                        packed.push(key);
                        counts.push(0);
                    }
                    counts[slot] += u64::from(snap.counts[c]);
                    pair_of.push(slot as u32);
                }
                let words = snap.len().div_ceil(64);
                let mut sets =
                    vec![Vec::new(); (lattice.max[i] as usize + 1) * (lattice.max[j] as usize + 1)];
                let (hi, hj) = (&engine.hierarchies[i], &engine.hierarchies[j]);
                let width = lattice.max[j] as usize + 1;
                let mut ok = vec![true; (lattice.max[i] as usize + 1) * width];
                for li in min[i]..=lattice.max[i] {
                    for lj in min[j]..=lattice.max[j] {
                        let mut g = super::classes::Grouper::default();
                        g.reset(keys.len());
                        let mut freq: Vec<u64> = Vec::new();
                        let mut seen: Vec<u64> = Vec::new();
                        let mut slot_of = Vec::with_capacity(keys.len());
                        for &(a, b) in &keys {
                            let key = (u64::from(hi.lift(a, 0, li as usize)) << 32)
                                | u64::from(hj.lift(b, 0, lj as usize));
                            let s = g.find_or_insert(key, &seen) as usize;
                            if s == freq.len() {
                                freq.push(0);
                                seen.push(key);
                            }
                            slot_of.push(s);
                        }
                        for (p, &s) in slot_of.iter().enumerate() {
                            freq[s] += counts[p];
                        }
                        let rare: Vec<bool> =
                            slot_of.iter().map(|&s| freq[s] < u64::from(k)).collect();
                        let forced: u64 = rare
                            .iter()
                            .zip(&counts)
                            .filter(|(&r, _)| r)
                            .map(|(_, &c)| c)
                            .sum();
                        let combo = li as usize * width + lj as usize;
                        ok[combo] = forced <= limit;
                        if forced > 0 {
                            let mut set = vec![0u64; words];
                            for (c, &p) in pair_of.iter().enumerate() {
                                if rare[p as usize] {
                                    set[c / 64] |= 1 << (c % 64);
                                }
                            }
                            sets[combo] = set;
                        }
                    }
                }
                if sets.iter().any(|s| !s.is_empty()) {
                    pairs.push((i, j, ok, sets));
                }
            }
        }
        Feasibility {
            min,
            pairs,
            weights: snap.counts.clone(),
            limit,
            scratch: Default::default(),
        }
    }

    /// Whether the node may be anonymous.
    fn feasible(&self, levels: &[u8], max: &[u8]) -> bool {
        let combo =
            |i: usize, j: usize| levels[i] as usize * (max[j] as usize + 1) + levels[j] as usize;
        if !(levels.iter().zip(&self.min).all(|(l, m)| l >= m)
            && self.pairs.iter().all(|(i, j, ok, _)| ok[combo(*i, *j)]))
        {
            return false;
        }
        let mut union = self.scratch.borrow_mut();
        union.clear();
        for (i, j, _, sets) in &self.pairs {
            let set = &sets[combo(*i, *j)];
            if set.is_empty() {
                continue;
            }
            if union.is_empty() {
                union.extend_from_slice(set);
            } else {
                union.iter_mut().zip(set).for_each(|(u, s)| *u |= s);
            }
        }
        // Each distinct tuple holds at least one record: a cheap first test.
        let bits: u64 = union.iter().map(|w| u64::from(w.count_ones())).sum();
        if bits > self.limit {
            return false;
        }
        let mut forced = 0u64;
        for (w, &word) in union.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let b = word.trailing_zeros() as usize;
                forced += u64::from(self.weights[w * 64 + b]);
                word &= word - 1;
            }
        }
        forced <= self.limit
    }
}

/// Greedy descent from the top (see the module docs); classes come from `base`, the classes of
/// the lowest feasible node `base_levels`.
fn greedy_bound<K: Key>(
    engine: &Engine<K>,
    lattice: &Lattice,
    feasibility: &Feasibility,
    base: &Classes<K>,
    stats: &mut SearchStats,
) -> Option<Optimum> {
    let mut cur = lattice.max.clone();
    let classes = engine.roll_up(base, &feasibility.min, &cur);
    stats.nodes_checked += 1;
    stats.classes_rolled_up += base.len();
    let (value, anonymous) = engine.evaluate(&classes, &cur);
    if !anonymous {
        return None;
    }
    let mut best = Optimum {
        levels: cur.clone(),
        value,
    };
    loop {
        let mut step: Option<(Vec<u8>, f64)> = None;
        for i in 0..cur.len() {
            if cur[i] == 0 {
                continue;
            }
            let mut p = cur.clone();
            p[i] -= 1;
            if !feasibility.feasible(&p, &lattice.max) {
                continue;
            }
            let classes = engine.roll_up(base, &feasibility.min, &p);
            stats.nodes_checked += 1;
            stats.classes_rolled_up += base.len();
            let (value, anonymous) = engine.evaluate(&classes, &p);
            if anonymous && step.as_ref().is_none_or(|s| value < s.1) {
                step = Some((p, value));
            }
        }
        match step {
            Some((p, value)) => {
                if value < best.value {
                    best = Optimum {
                        levels: p.clone(),
                        value,
                    };
                }
                cur = p;
            }
            None => return Some(best),
        }
    }
}

/// The optimal search (see the module docs).
pub fn optimal<K: Key>(engine: &Engine<K>, lattice: &Lattice) -> (Option<Optimum>, SearchStats) {
    let start = Instant::now();
    let mut stats = SearchStats {
        lattice_size: lattice.size,
        ..SearchStats::default()
    };
    let feasibility = Feasibility::new(engine, lattice);
    let base = engine.classes_at(&feasibility.min);
    stats.classes_rolled_up += engine.snapshot.len();
    let mut best = greedy_bound(engine, lattice, &feasibility, &base, &mut stats);
    let mut by_height: Vec<Vec<u32>> = vec![Vec::new(); lattice.height() + 1];
    for index in 0..lattice.size {
        let h: usize = lattice.levels(index).iter().map(|&l| l as usize).sum();
        by_height[h].push(index as u32);
    }
    let mut flags = vec![0u8; lattice.size];
    // Classes kept for roll-ups: the previous height's, each dropped as soon as the sweep has
    // passed its last successor (nodes of a height are visited in increasing index order).
    let mut previous: std::collections::HashMap<u32, Classes<K>> = Default::default();
    let mut releases: Vec<(u32, u32)> = Vec::new();
    for nodes in &by_height {
        let mut current: std::collections::HashMap<u32, Classes<K>> = Default::default();
        let mut current_releases: Vec<(u32, u32)> = Vec::new();
        let mut released = 0;
        let mut stored = 0usize;
        for &index in nodes {
            while released < releases.len() && releases[released].0 < index {
                previous.remove(&releases[released].1);
                released += 1;
            }
            let index = index as usize;
            let levels = lattice.levels(index);
            if !feasibility.feasible(&levels, &lattice.max) {
                stats.nodes_infeasible += 1;
                continue;
            }
            let preds: Vec<usize> = lattice.predecessors(index, &levels).collect();
            if preds.iter().any(|&p| flags[p] & PRUNED != 0) {
                flags[index] |= PRUNED;
                stats.nodes_pruned += 1;
                continue;
            }
            let classes = {
                // Evaluated predecessors are in `previous`; infeasible ones were skipped, and a
                // node without an evaluated predecessor rolls up from the base.
                let source = preds
                    .iter()
                    .filter_map(|&p| previous.get(&(p as u32)).map(|c| (p, c)))
                    .min_by_key(|(_, c)| c.len());
                match source {
                    Some((p, c)) => {
                        stats.classes_rolled_up += c.len();
                        engine.roll_up(c, &lattice.levels(p), &levels)
                    }
                    None => {
                        stats.classes_rolled_up += base.len();
                        engine.roll_up(&base, &feasibility.min, &levels)
                    }
                }
            };
            stats.nodes_checked += 1;
            let bound = engine.lower_bound(&classes, &levels);
            if best.as_ref().is_some_and(|b| bound >= b.value) {
                flags[index] |= PRUNED;
                stats.nodes_pruned += 1;
                continue;
            }
            let inherited = engine.monotone && preds.iter().any(|&p| flags[p] & ANONYMOUS != 0);
            let (value, anonymous) = engine.evaluate(&classes, &levels);
            debug_assert!(!inherited || anonymous, "monotonicity violated");
            if inherited {
                stats.nodes_tagged_anonymous += 1;
            }
            let last_successor = (0..levels.len())
                .rev()
                .find(|&i| levels[i] < lattice.max[i])
                .map(|i| index + lattice.strides[i]);
            if anonymous {
                flags[index] |= ANONYMOUS;
                stats.anonymous_nodes += 1;
                if better(value, &best) {
                    best = Some(Optimum { levels, value });
                }
            }
            if let Some(last) = last_successor {
                if stored + classes.len() <= engine.store_budget {
                    stored += classes.len();
                    let mut classes = classes;
                    classes.shrink_to_fit();
                    current.insert(index as u32, classes);
                    current_releases.push((last as u32, index as u32));
                }
            }
        }
        current_releases.sort_unstable();
        releases = current_releases;
        previous = current;
    }
    stats.search_ms = start.elapsed().as_secs_f64() * 1e3;
    (best, stats)
}

/// Evaluates every node (for tests and small lattices).
pub fn exhaustive<K: Key>(engine: &Engine<K>, lattice: &Lattice) -> (Option<Optimum>, SearchStats) {
    let start = Instant::now();
    let mut stats = SearchStats {
        lattice_size: lattice.size,
        ..SearchStats::default()
    };
    let mut best: Option<Optimum> = None;
    for index in 0..lattice.size {
        let levels = lattice.levels(index);
        let classes = engine.classes_at(&levels);
        stats.nodes_checked += 1;
        let (value, anonymous) = engine.evaluate(&classes, &levels);
        if anonymous {
            stats.anonymous_nodes += 1;
            if better(value, &best) {
                best = Some(Optimum { levels, value });
            }
        }
    }
    stats.search_ms = start.elapsed().as_secs_f64() * 1e3;
    (best, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lattice_indexing() {
        let l = Lattice::new(vec![1, 4, 2]).unwrap();
        assert_eq!(l.size, 30);
        assert_eq!(l.height(), 7);
        for i in 0..l.size {
            assert_eq!(l.index(&l.levels(i)), i);
        }
        let lv = l.levels(17);
        let preds: Vec<usize> = l.predecessors(17, &lv).collect();
        for p in preds {
            let pl = l.levels(p);
            let diff: usize = lv.iter().zip(&pl).map(|(a, b)| (a - b) as usize).sum();
            assert_eq!(diff, 1);
        }
        assert!(Lattice::new(vec![255; 8]).is_none());
    }
}
