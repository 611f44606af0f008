//! Quality measures against known entities.
//!
//! * **Pairwise**: predicted pairs vs true pairs (records of the same entity; across datasets
//!   only when linking). Precision = TP / predicted, recall = TP / true pairs.
//! * **Cluster (pairwise on clusters)**: every pair of records in one predicted cluster counts
//!   as predicted; computed from the cluster × entity contingency counts, so it is exact and
//!   fast even for large clusters.

use std::collections::HashMap;

/// Precision, recall, F1 and counts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub true_positives: u64,
    pub predicted: u64,
    pub actual: u64,
}

impl Prf {
    /// From counts.
    pub fn from_counts(tp: u64, predicted: u64, actual: u64) -> Self {
        let precision = if predicted == 0 {
            0.0
        } else {
            tp as f64 / predicted as f64
        };
        let recall = if actual == 0 {
            0.0
        } else {
            tp as f64 / actual as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Prf {
            precision,
            recall,
            f1,
            true_positives: tp,
            predicted,
            actual,
        }
    }
}

impl std::fmt::Display for Prf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "P {:.4} R {:.4} F1 {:.4} (TP {}, predicted {}, true {})",
            self.precision, self.recall, self.f1, self.true_positives, self.predicted, self.actual
        )
    }
}

fn true_pairs(entity: &[u64], source: &[u16], link_only: bool) -> u64 {
    let mut per: HashMap<u64, HashMap<u16, u64>> = HashMap::new();
    for (e, s) in entity.iter().zip(source) {
        *per.entry(*e).or_default().entry(*s).or_default() += 1;
    }
    per.values()
        .map(|by_src| {
            let n: u64 = by_src.values().sum();
            let all = n * n.saturating_sub(1) / 2;
            if link_only {
                all - by_src
                    .values()
                    .map(|&k| k * k.saturating_sub(1) / 2)
                    .sum::<u64>()
            } else {
                all
            }
        })
        .sum()
}

/// Pairwise quality of predicted pairs (global record indices).
pub fn pairwise(
    pairs: impl IntoIterator<Item = (u32, u32)>,
    entity: &[u64],
    source: &[u16],
    link_only: bool,
) -> Prf {
    let (mut tp, mut predicted) = (0u64, 0u64);
    for (a, b) in pairs {
        predicted += 1;
        if entity[a as usize] == entity[b as usize] {
            tp += 1;
        }
    }
    Prf::from_counts(tp, predicted, true_pairs(entity, source, link_only))
}

/// Pairwise quality of a clustering (`labels[r]` = cluster of record `r`).
pub fn cluster_pairwise(labels: &[u32], entity: &[u64], source: &[u16], link_only: bool) -> Prf {
    let key_entity: Vec<u64> = labels.iter().map(|&l| u64::from(l)).collect();
    let predicted = true_pairs(&key_entity, source, link_only);
    // Contingency cells (cluster, entity) behave like entities for counting TP.
    let cell: HashMap<(u32, u64), u64> = HashMap::new();
    let mut cell = cell;
    let mut ids: Vec<u64> = Vec::with_capacity(labels.len());
    for (l, e) in labels.iter().zip(entity) {
        let n = cell.len() as u64;
        ids.push(*cell.entry((*l, *e)).or_insert(n));
    }
    let tp = true_pairs(&ids, source, link_only);
    Prf::from_counts(tp, predicted, true_pairs(entity, source, link_only))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        let entity = [1, 1, 1, 2, 2];
        let source = [0; 5];
        let p = pairwise([(0, 1), (3, 4), (2, 3)], &entity, &source, false);
        assert_eq!((p.true_positives, p.predicted, p.actual), (2, 3, 4));
        let c = cluster_pairwise(&[0, 0, 1, 1, 1], &entity, &source, false);
        assert_eq!((c.true_positives, c.predicted, c.actual), (2, 4, 4));
        let link = pairwise([(0, 1)], &[7, 7], &[0, 1], true);
        assert_eq!(link.f1, 1.0);
    }
}
