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

use super::classes::Classes;
use super::Engine;

/// Most nodes a lattice may have.
pub const MAX_NODES: usize = 1 << 26;

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
    /// Checked nodes known anonymous from a predecessor.
    pub nodes_tagged_anonymous: usize,
    /// Anonymous nodes found.
    pub anonymous_nodes: usize,
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

/// Greedy descent from the top (see the module docs).
fn greedy_bound(engine: &Engine, lattice: &Lattice, stats: &mut SearchStats) -> Option<Optimum> {
    let mut cur = lattice.max.clone();
    let classes = engine.classes_at(&cur);
    stats.nodes_checked += 1;
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
            let classes = engine.classes_at(&p);
            stats.nodes_checked += 1;
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
pub fn optimal(engine: &Engine, lattice: &Lattice) -> (Option<Optimum>, SearchStats) {
    let start = Instant::now();
    let mut stats = SearchStats {
        lattice_size: lattice.size,
        ..SearchStats::default()
    };
    let mut best = greedy_bound(engine, lattice, &mut stats);
    let height = lattice.height();
    let mut by_height: Vec<Vec<u32>> = vec![Vec::new(); height + 1];
    for index in 0..lattice.size {
        let h: usize = lattice.levels(index).iter().map(|&l| l as usize).sum();
        by_height[h].push(index as u32);
    }
    let mut flags = vec![0u8; lattice.size];
    let mut previous: std::collections::HashMap<u32, Classes> = Default::default();
    for (h, nodes) in by_height.iter().enumerate() {
        let mut current: std::collections::HashMap<u32, Classes> = Default::default();
        for &index in nodes {
            let index = index as usize;
            let levels = lattice.levels(index);
            let preds: Vec<usize> = lattice.predecessors(index, &levels).collect();
            if preds.iter().any(|&p| flags[p] & PRUNED != 0) {
                flags[index] |= PRUNED;
                stats.nodes_pruned += 1;
                continue;
            }
            let classes = if h == 0 {
                engine.snapshot.clone()
            } else {
                // Every predecessor was evaluated (none is pruned), so each is in `previous`.
                let source = preds
                    .iter()
                    .filter_map(|&p| previous.get(&(p as u32)).map(|c| (p, c)))
                    .min_by_key(|(_, c)| c.len());
                match source {
                    Some((p, c)) => engine.roll_up(c, &lattice.levels(p), &levels),
                    None => engine.classes_at(&levels),
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
            if anonymous {
                flags[index] |= ANONYMOUS;
                stats.anonymous_nodes += 1;
                if better(value, &best) {
                    best = Some(Optimum { levels, value });
                }
            }
            if h < height {
                current.insert(index as u32, classes);
            }
        }
        previous = current;
    }
    stats.search_ms = start.elapsed().as_secs_f64() * 1e3;
    (best, stats)
}

/// Evaluates every node (for tests and small lattices).
pub fn exhaustive(engine: &Engine, lattice: &Lattice) -> (Option<Optimum>, SearchStats) {
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
