//! Privacy models, checked per equivalence class.
//!
//! * **k-anonymity**: every class has at least `k` records.
//! * **distinct l-diversity**: every class has at least `l` distinct values of the sensitive
//!   attribute.
//! * **entropy l-diversity**: the entropy of the sensitive values in every class is at least
//!   `ln l`.
//! * **t-closeness**: the distance between a class's distribution of the sensitive attribute and
//!   its distribution in the whole table is at most `t`; with the *equal* ground distance this is
//!   the total-variation distance `½ Σ |p − q|`, with the *hierarchical* distance it is the
//!   earth mover's distance over the attribute's hierarchy (Li et al., 2007): every internal
//!   node `N` at height `h` of a hierarchy of height `H` costs `h/H · min(pos(N), neg(N))`, where
//!   `pos`/`neg` add up the positive and negative surpluses `p − q` its children pass up.
//!
//! A class that fails any model is suppressed; a transformation is *anonymous* when the suppressed
//! records are at most the suppression limit. k-anonymity and distinct l-diversity stay satisfied
//! when classes merge, so with them a generalisation of an anonymous transformation is anonymous
//! ([`Model::monotone_with_suppression`]); entropy l-diversity and t-closeness keep that property
//! only without suppression, and the search then checks every node it visits.

use serde::{Deserialize, Serialize};

use crate::hierarchy::CodedHierarchy;

/// The ground distance of t-closeness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Distance {
    #[default]
    Equal,
    Hierarchical,
}

/// One privacy model; `attribute` indexes the problem's sensitive attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    KAnonymity {
        k: usize,
    },
    DistinctLDiversity {
        attribute: usize,
        l: usize,
    },
    EntropyLDiversity {
        attribute: usize,
        l: f64,
    },
    TCloseness {
        attribute: usize,
        t: f64,
        distance: Distance,
    },
}

impl Model {
    /// Whether merging a satisfying class with any class yields a satisfying class.
    pub fn monotone_with_suppression(&self) -> bool {
        matches!(
            self,
            Model::KAnonymity { .. } | Model::DistinctLDiversity { .. }
        )
    }
}

/// Tolerance of floating-point comparisons in entropy and distance checks.
const EPS: f64 = 1e-9;

/// The models with what checking them needs: the overall distribution of each sensitive
/// attribute and its hierarchy.
#[derive(Debug, Clone)]
pub struct Checker {
    pub models: Vec<Model>,
    /// Per sensitive attribute: offset in the histogram block and domain size.
    pub slots: Vec<(usize, usize)>,
    /// Per sensitive attribute: overall distribution.
    pub overall: Vec<Vec<f64>>,
    /// Per sensitive attribute: its hierarchy, if any.
    pub hierarchies: Vec<Option<CodedHierarchy>>,
}

impl Checker {
    /// Whether a class of `count` records with histogram block `hist` satisfies every model.
    pub fn class_ok(&self, count: u32, hist: &[u32]) -> bool {
        if let Some(k) = self.k_only() {
            return count as usize >= k;
        }
        self.models.iter().all(|m| match *m {
            Model::KAnonymity { k } => count as usize >= k,
            Model::DistinctLDiversity { attribute, l } => {
                let (o, d) = self.slots[attribute];
                hist[o..o + d].iter().filter(|&&c| c > 0).count() >= l
            }
            Model::EntropyLDiversity { attribute, l } => {
                let (o, d) = self.slots[attribute];
                entropy(&hist[o..o + d]) + EPS >= l.ln()
            }
            Model::TCloseness {
                attribute,
                t,
                distance,
            } => {
                let (o, d) = self.slots[attribute];
                let h = &hist[o..o + d];
                let total: u32 = h.iter().sum();
                let p: Vec<f64> = h
                    .iter()
                    .map(|&c| f64::from(c) / f64::from(total.max(1)))
                    .collect();
                let q = &self.overall[attribute];
                let dist = match (distance, &self.hierarchies[attribute]) {
                    (Distance::Hierarchical, Some(hier)) => hierarchical_emd(hier, &p, q),
                    _ => equal_distance(&p, q),
                };
                dist <= t + EPS
            }
        })
    }
}

impl Checker {
    /// `Some(k)` when the only model is k-anonymity (the fast path).
    #[inline]
    pub fn k_only(&self) -> Option<usize> {
        match self.models.as_slice() {
            [Model::KAnonymity { k }] => Some(*k),
            _ => None,
        }
    }
}

/// Shannon entropy (natural log) of a histogram.
pub fn entropy(hist: &[u32]) -> f64 {
    let total: f64 = hist.iter().map(|&c| f64::from(c)).sum();
    if total == 0.0 {
        return 0.0;
    }
    hist.iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / total;
            -p * p.ln()
        })
        .sum()
}

/// Total-variation distance.
pub fn equal_distance(p: &[f64], q: &[f64]) -> f64 {
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

/// Earth mover's distance over a hierarchy (see the module docs); `p` and `q` are indexed by
/// the hierarchy's leaf codes.
pub fn hierarchical_emd(h: &CodedHierarchy, p: &[f64], q: &[f64]) -> f64 {
    let height = h.levels().saturating_sub(1);
    if height == 0 {
        return 0.0;
    }
    let mut extra: Vec<f64> = p.iter().zip(q).map(|(a, b)| a - b).collect();
    let mut total = 0.0;
    for level in 1..=height {
        let n = h.labels[level].len();
        let mut next = vec![0.0; n];
        let mut pos = vec![0.0; n];
        let mut neg = vec![0.0; n];
        for (c, &e) in extra.iter().enumerate() {
            let parent = h.up[level - 1][c] as usize;
            next[parent] += e;
            if e > 0.0 {
                pos[parent] += e;
            } else {
                neg[parent] -= e;
            }
        }
        let w = level as f64 / height as f64;
        total += pos
            .iter()
            .zip(&neg)
            .map(|(a, b)| w * a.min(*b))
            .sum::<f64>();
        extra = next;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::Hierarchy;
    use crate::table::Table;

    #[test]
    fn distances() {
        assert!((equal_distance(&[1.0, 0.0], &[0.5, 0.5]) - 0.5).abs() < 1e-12);
        // Leaves a, b under ab; c alone; top *. Moving mass between siblings costs 1/2,
        // across the top costs 1.
        let t = Table::from_rows(&["s"], ["a", "b", "c"].iter().map(|v| vec![v.to_string()]));
        let h = Hierarchy::from_csv_str("h", "a;ab;*\nb;ab;*\nc;c;*", b';').unwrap();
        let ch = CodedHierarchy::new(&t.columns[0], &h).unwrap();
        let d = hierarchical_emd(&ch, &[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0]);
        assert!((d - 0.5).abs() < 1e-12, "{d}");
        let d = hierarchical_emd(&ch, &[1.0, 0.0, 0.0], &[0.0, 0.0, 1.0]);
        assert!((d - 1.0).abs() < 1e-12, "{d}");
    }

    #[test]
    fn class_checks() {
        let c = Checker {
            models: vec![
                Model::KAnonymity { k: 2 },
                Model::DistinctLDiversity { attribute: 0, l: 2 },
                Model::EntropyLDiversity {
                    attribute: 0,
                    l: 2.0,
                },
            ],
            slots: vec![(0, 2)],
            overall: vec![vec![0.5, 0.5]],
            hierarchies: vec![None],
        };
        assert!(c.class_ok(2, &[1, 1]));
        assert!(!c.class_ok(3, &[2, 1])); // entropy below ln 2
        assert!(!c.class_ok(1, &[1, 0]));
        let t = Checker {
            models: vec![Model::TCloseness {
                attribute: 0,
                t: 0.2,
                distance: Distance::Equal,
            }],
            ..c
        };
        assert!(t.class_ok(10, &[6, 4]));
        assert!(!t.class_ok(10, &[8, 2]));
    }
}
