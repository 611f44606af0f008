//! Clustering quality against true labels: adjusted Rand index and pairwise precision/recall.

use std::collections::HashMap;
use std::hash::Hash;

use serde::Serialize;

/// Agreement of a predicted clustering with the truth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Agreement {
    /// Adjusted Rand index (Hubert and Arabie 1985): 1 = identical partitions, ~0 = chance.
    pub ari: f64,
    /// Pairs in one predicted cluster that are in one true cluster, over predicted pairs.
    pub pairwise_precision: f64,
    /// Pairs in one true cluster that are in one predicted cluster, over true pairs.
    pub pairwise_recall: f64,
    /// Pairs in one predicted cluster.
    pub predicted_pairs: u64,
    /// Pairs in one true cluster.
    pub true_pairs: u64,
    /// Pairs in both.
    pub common_pairs: u64,
    /// Items scored.
    pub items: usize,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Compares two labelings of the same items (same order).
pub fn agreement<A: Eq + Hash, B: Eq + Hash>(truth: &[A], predicted: &[B]) -> Agreement {
    assert_eq!(truth.len(), predicted.len(), "one label per item in both");
    let mut cells: HashMap<(&A, &B), u64> = HashMap::new();
    let mut rows: HashMap<&A, u64> = HashMap::new();
    let mut cols: HashMap<&B, u64> = HashMap::new();
    for (a, b) in truth.iter().zip(predicted) {
        *cells.entry((a, b)).or_default() += 1;
        *rows.entry(a).or_default() += 1;
        *cols.entry(b).or_default() += 1;
    }
    let index: u64 = cells.values().map(|&n| pairs(n)).sum();
    let sum_a: u64 = rows.values().map(|&n| pairs(n)).sum();
    let sum_b: u64 = cols.values().map(|&n| pairs(n)).sum();
    let total = pairs(truth.len() as u64);
    let expected = if total == 0 {
        0.0
    } else {
        sum_a as f64 * sum_b as f64 / total as f64
    };
    let max = (sum_a as f64 + sum_b as f64) / 2.0;
    let ari = if (max - expected).abs() < f64::EPSILON {
        // Both partitions trivial in the same way (all singletons or one cluster).
        1.0
    } else {
        (index as f64 - expected) / (max - expected)
    };
    let ratio = |x: u64, y: u64| if y == 0 { 1.0 } else { x as f64 / y as f64 };
    Agreement {
        ari,
        pairwise_precision: ratio(index, sum_b),
        pairwise_recall: ratio(index, sum_a),
        predicted_pairs: sum_b,
        true_pairs: sum_a,
        common_pairs: index,
        items: truth.len(),
    }
}

/// Adjusted Rand index of two labelings.
pub fn adjusted_rand_index<A: Eq + Hash, B: Eq + Hash>(truth: &[A], predicted: &[B]) -> f64 {
    agreement(truth, predicted).ari
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Values from the definition, computed by hand (and matching scikit-learn's examples).
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0]), 1.0);
        let v = adjusted_rand_index(&[0, 0, 1, 2], &[0, 0, 1, 1]);
        assert!((v - 4.0 / 7.0).abs() < 1e-12, "{v}");
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) + 0.5).abs() < 1e-12);
        assert_eq!(adjusted_rand_index(&[0, 0, 0, 0], &[0, 1, 2, 3]), 0.0);
        // Hubert-Arabie on a 3x3 contingency table: rows (a) 1,1,1,1,1 / 2,2,2,2,2 / 3,3,3,3,3
        // against predictions with one item moved: index = 2*C(4,2)+C(5,2)+C(1,2)... computed:
        let t = [1, 1, 1, 2, 2, 2, 3, 3, 3];
        let p = [1, 1, 2, 2, 2, 2, 3, 3, 3];
        // cells: (1,1)=2 (1,2)=1 (2,2)=3 (3,3)=3 -> index 1+3+3=7; a: 3,3,3 -> 9; b: 2,4,3 -> 1+6+3=10
        // expected = 9*10/36 = 2.5; max = 9.5; ari = 4.5/7
        assert!((adjusted_rand_index(&t, &p) - 4.5 / 7.0).abs() < 1e-12);
        let a = agreement(&t, &p);
        assert!((a.pairwise_precision - 0.7).abs() < 1e-12);
        assert!((a.pairwise_recall - 7.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn symmetric_and_label_free() {
        let t = ["a", "a", "b", "b", "c", "c", "c"];
        let p = [5, 5, 5, 7, 7, 9, 9];
        let x = adjusted_rand_index(&t, &p);
        let y = adjusted_rand_index(&p, &t);
        assert!((x - y).abs() < 1e-12);
    }
}
