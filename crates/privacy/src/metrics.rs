//! Utility metrics of a transformation, as ARX defines them, with the lower bounds the search
//! prunes with.
//!
//! With `n` records, classes `E` and the suppressed classes `S` (whose cells all become `*`):
//!
//! * **discernibility**: `Σ_{E ∉ S} |E|² + Σ_{E ∈ S} n·|E|` (each record is charged the number
//!   of records it cannot be told apart from; a suppressed record is indistinguishable from all).
//!   Lower bound `Σ_E |E|·max(|E|, k)` where `k` is the k of k-anonymity (1 without it): in an
//!   anonymous generalisation a record is suppressed (charge `n ≥ k`) or in a class of at least
//!   `k` records that contains its whole current class; merging classes only increases the sum,
//!   so the bound never decreases under generalisation.
//! * **loss**: the generalisation intensity of a cell is `(leaves under its label − 1) /
//!   (leaves of the hierarchy − 1)`, 1 for a suppressed cell; the metric is the mean over all
//!   cells of the quasi-identifiers. Lower bound: the same without suppression.
//! * **non-uniform entropy**: `Σ_QI Σ_records log2(f_out(g) / f_in(v))`, where `v` is the record's
//!   original value, `g` its released label (`*` when suppressed) and `f` counts records with
//!   that value in the input / that label in the output. Lower bound:
//!   `#QI · Σ_E |E| log2 |E| − Σ_QI Σ_v f_in(v) log2 f_in(v)`, since a record's label is shared
//!   by at least its class (suppressed records share `*`); the bound grows under merging.
//!
//! Smaller is better for all three.

use serde::{Deserialize, Serialize};

use crate::hierarchy::CodedHierarchy;
use crate::sdc::classes::{Classes, Key, Layout};

/// Which utility metric the search minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MetricKind {
    #[default]
    Discernibility,
    Loss,
    NonUniformEntropy,
}

/// A metric with what it needs precomputed.
#[derive(Debug, Clone)]
pub struct Metric {
    pub kind: MetricKind,
    pub n: u64,
    /// Per QI: `Σ_v f_in(v) log2 f_in(v)` over the input.
    pub input_entropy_terms: Vec<f64>,
    /// Smallest size of a non-suppressed class in any anonymous node (k, or 1).
    pub min_class: u32,
}

fn xlog2x(x: f64) -> f64 {
    if x > 0.0 {
        x * x.log2()
    } else {
        0.0
    }
}

impl Metric {
    /// Prepares `kind` for a table of `n` records whose QI level-0 value counts are `frequencies`.
    pub fn new(kind: MetricKind, n: u64, frequencies: &[Vec<u64>]) -> Metric {
        Metric {
            kind,
            n,
            input_entropy_terms: frequencies
                .iter()
                .map(|f| f.iter().map(|&c| xlog2x(c as f64)).sum())
                .collect(),
            min_class: 1,
        }
    }

    /// The metric of a node with levels `levels`, classes `classes` of which `failing[c]` are
    /// suppressed.
    pub fn value<K: Key>(
        &self,
        classes: &Classes<K>,
        failing: &[bool],
        levels: &[u8],
        layout: &Layout<K>,
        hierarchies: &[CodedHierarchy],
    ) -> f64 {
        let n = self.n as f64;
        match self.kind {
            MetricKind::Discernibility => classes
                .counts
                .iter()
                .zip(failing)
                .map(|(&c, &f)| {
                    let c = f64::from(c);
                    if f {
                        n * c
                    } else {
                        c * c
                    }
                })
                .sum(),
            MetricKind::Loss => {
                let q = hierarchies.len() as f64;
                if q == 0.0 || n == 0.0 {
                    return 0.0;
                }
                let mut total = 0.0;
                for (i, (&key, &count)) in classes.keys.iter().zip(&classes.counts).enumerate() {
                    let cell = if failing[i] {
                        q
                    } else {
                        cell_loss(key, levels, layout, hierarchies)
                    };
                    total += f64::from(count) * cell;
                }
                total / (n * q)
            }
            MetricKind::NonUniformEntropy => {
                let mut total = 0.0;
                for (qi, h) in hierarchies.iter().enumerate() {
                    let level = levels[qi] as usize;
                    let top = level + 1 == h.levels();
                    let star = if top { 0 } else { h.labels[level].len() };
                    let mut freq = vec![0u64; h.labels[level].len() + 1];
                    for (i, (&key, &count)) in classes.keys.iter().zip(&classes.counts).enumerate()
                    {
                        let slot = if failing[i] {
                            star
                        } else {
                            layout.code(key, qi) as usize
                        };
                        freq[slot] += u64::from(count);
                    }
                    total += freq.iter().map(|&f| xlog2x(f as f64)).sum::<f64>()
                        - self.input_entropy_terms[qi];
                }
                total
            }
        }
    }

    /// A lower bound of the metric of this node and of every generalisation of it.
    pub fn lower_bound<K: Key>(
        &self,
        classes: &Classes<K>,
        levels: &[u8],
        layout: &Layout<K>,
        hierarchies: &[CodedHierarchy],
    ) -> f64 {
        match self.kind {
            MetricKind::Discernibility => {
                let k = self.min_class;
                classes
                    .counts
                    .iter()
                    .map(|&c| f64::from(c) * f64::from(c.max(k)))
                    .sum()
            }
            MetricKind::Loss => {
                let q = hierarchies.len() as f64;
                if q == 0.0 || self.n == 0 {
                    return 0.0;
                }
                let total: f64 = classes
                    .keys
                    .iter()
                    .zip(&classes.counts)
                    .map(|(&key, &count)| {
                        f64::from(count) * cell_loss(key, levels, layout, hierarchies)
                    })
                    .sum();
                total / (self.n as f64 * q)
            }
            MetricKind::NonUniformEntropy => {
                let per_qi: f64 = classes.counts.iter().map(|&c| xlog2x(f64::from(c))).sum();
                per_qi * hierarchies.len() as f64 - self.input_entropy_terms.iter().sum::<f64>()
            }
        }
    }
}

/// Sum over QIs of the loss of a class's labels.
fn cell_loss<K: Key>(
    key: K,
    levels: &[u8],
    layout: &Layout<K>,
    hierarchies: &[CodedHierarchy],
) -> f64 {
    hierarchies
        .iter()
        .enumerate()
        .map(|(qi, h)| h.loss[levels[qi] as usize][layout.code(key, qi) as usize])
        .sum()
}
