//! Evaluation of a release (synthetic table) against its sensitive source over the same columns.
//!
//! For every combination of `k` columns (k = 1..=reporting length) the two tables' k-way
//! distributions are compared:
//! * **total-variation distance** `½ Σ |p(x) − q(x)|` of the normalised counts, averaged over
//!   the column combinations of each length (the figure of PEERS.md);
//! * **preservation**: the value combinations occurring in the sensitive data that also occur in
//!   the synthetic data, by length and by sensitive-count bucket (with the mean ratio of the
//!   synthetic count, rescaled to the sensitive size, to the sensitive count);
//! * **fabricated** combinations (only in the synthetic data) and **suppressed** ones (only in
//!   the sensitive data);
//! * **rare-combination leakage**: the share of sensitive combinations with a count below `k`
//!   that occur in the output;
//! * **record expansion**: synthetic rows / sensitive rows, and surviving single values.
//!
//! The report is an evaluation on the sensitive data: it is for the data holder, not for
//! publication (it is not differentially private).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::marginal::combinations;
use super::DpError;
use crate::Table;

/// Per-length comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LengthStats {
    pub length: usize,
    pub column_combinations: usize,
    pub mean_tvd: f64,
    pub max_tvd: f64,
    pub sensitive_combinations: usize,
    pub synthetic_combinations: usize,
    pub preserved: usize,
    pub suppressed: usize,
    pub fabricated: usize,
    pub preserved_share: f64,
    pub fabricated_share: f64,
}

/// Preservation of sensitive combinations by their count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketStats {
    pub bucket: String,
    pub sensitive_combinations: usize,
    pub preserved: usize,
    pub preserved_share: f64,
    /// Mean of (synthetic count · n_sensitive / n_synthetic) / sensitive count.
    pub mean_count_ratio: f64,
}

/// The evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    pub columns: Vec<String>,
    pub sensitive_rows: usize,
    pub synthetic_rows: usize,
    pub record_expansion: f64,
    pub lengths: Vec<LengthStats>,
    pub buckets: Vec<BucketStats>,
    pub rare_threshold: u64,
    pub rare_combinations: usize,
    pub rare_leaked: usize,
    pub rare_leakage_share: f64,
    pub single_values_sensitive: usize,
    pub single_values_surviving: usize,
    /// Sensitive single values missing from the output, as `column=value`.
    pub single_values_lost: Vec<String>,
    /// The TVD of every column pair (when the reporting length is at least 2), in the order of
    /// the combinations; [`EvaluationReport::worst_pairs`] ranks them.
    #[serde(skip)]
    pub pair_tvds: Vec<([String; 2], f64)>,
}

impl EvaluationReport {
    /// The `n` column pairs whose 2-way distributions differ most, worst first (ties by name).
    pub fn worst_pairs(&self, n: usize) -> Vec<([String; 2], f64)> {
        let mut all = self.pair_tvds.clone();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }

    /// Mean TVD of length `k`, if computed.
    pub fn tvd(&self, k: usize) -> Option<f64> {
        self.lengths
            .iter()
            .find(|l| l.length == k)
            .map(|l| l.mean_tvd)
    }
}

const BUCKETS: [(u64, u64, &str); 6] = [
    (1, 1, "1"),
    (2, 4, "2-4"),
    (5, 9, "5-9"),
    (10, 49, "10-49"),
    (50, 99, "50-99"),
    (100, u64::MAX, "100+"),
];

/// Compares `synthetic` with `sensitive` over all of `sensitive`'s columns (which `synthetic`
/// must have too, in any order), up to `reporting_length`; combinations with a sensitive count
/// below `rare_threshold` are rare.
#[allow(clippy::needless_range_loop)] // rows index several columns at once
pub fn evaluate(
    sensitive: &Table,
    synthetic: &Table,
    reporting_length: usize,
    rare_threshold: u64,
) -> Result<EvaluationReport, DpError> {
    if reporting_length == 0 {
        return Err(DpError::ZeroReportingLength);
    }
    let names: Vec<String> = sensitive.names().iter().map(|s| s.to_string()).collect();
    if names.is_empty() {
        return Err(DpError::NoColumns);
    }
    if synthetic.n_columns() != names.len() {
        return Err(DpError::ColumnMismatch(format!(
            "sensitive {:?}, synthetic {:?}",
            names,
            synthetic.names()
        )));
    }
    // joint dictionaries: synthetic codes → sensitive codes (new values appended)
    let mut syn_codes: Vec<Vec<u32>> = Vec::with_capacity(names.len());
    let mut sizes: Vec<u128> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let s = &sensitive.columns[i];
        let y = synthetic
            .column(name)
            .map_err(|_| DpError::ColumnMismatch(format!("synthetic has no column {name:?}")))?;
        let index: HashMap<&str, u32> = s
            .values
            .iter()
            .enumerate()
            .map(|(k, v)| (v.as_str(), k as u32))
            .collect();
        let mut next = s.values.len() as u32;
        let map: Vec<u32> = y
            .values
            .iter()
            .map(|v| {
                index.get(v.as_str()).copied().unwrap_or_else(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        syn_codes.push(y.codes.iter().map(|&c| map[c as usize]).collect());
        sizes.push(next.max(1) as u128);
    }
    let (ns, ny) = (sensitive.n_rows(), synthetic.n_rows());
    let scale = if ny > 0 { ns as f64 / ny as f64 } else { 0.0 };
    let mut lengths = Vec::new();
    let mut bucket_acc = vec![(0usize, 0usize, 0.0f64); BUCKETS.len()];
    let (mut rare, mut leaked) = (0usize, 0usize);
    let mut lost = Vec::new();
    let mut pair_tvds = Vec::new();
    for k in 1..=reporting_length.min(names.len()) {
        let combos = combinations(names.len(), k);
        let mut st = LengthStats {
            length: k,
            column_combinations: combos.len(),
            mean_tvd: 0.0,
            max_tvd: 0.0,
            sensitive_combinations: 0,
            synthetic_combinations: 0,
            preserved: 0,
            suppressed: 0,
            fabricated: 0,
            preserved_share: 0.0,
            fabricated_share: 0.0,
        };
        for combo in &combos {
            let mut counts: HashMap<u128, (u64, u64)> = HashMap::new();
            for r in 0..ns {
                let key = combo.iter().fold(0u128, |acc, &c| {
                    acc * sizes[c] + sensitive.columns[c].codes[r] as u128
                });
                counts.entry(key).or_default().0 += 1;
            }
            for r in 0..ny {
                let key = combo
                    .iter()
                    .fold(0u128, |acc, &c| acc * sizes[c] + syn_codes[c][r] as u128);
                counts.entry(key).or_default().1 += 1;
            }
            let mut tvd = 0.0;
            for (&key, &(a, b)) in &counts {
                let p = if ns > 0 { a as f64 / ns as f64 } else { 0.0 };
                let q = if ny > 0 { b as f64 / ny as f64 } else { 0.0 };
                tvd += (p - q).abs();
                if a > 0 {
                    st.sensitive_combinations += 1;
                    if b > 0 {
                        st.preserved += 1;
                    } else {
                        st.suppressed += 1;
                        if k == 1 {
                            let c = combo[0];
                            lost.push(format!(
                                "{}={}",
                                names[c], sensitive.columns[c].values[key as usize]
                            ));
                        }
                    }
                    if a < rare_threshold {
                        rare += 1;
                        leaked += (b > 0) as usize;
                    }
                    if let Some(bi) = BUCKETS.iter().position(|&(lo, hi, _)| a >= lo && a <= hi) {
                        let acc = &mut bucket_acc[bi];
                        acc.0 += 1;
                        acc.1 += (b > 0) as usize;
                        acc.2 += b as f64 * scale / a as f64;
                    }
                }
                if b > 0 {
                    st.synthetic_combinations += 1;
                    if a == 0 {
                        st.fabricated += 1;
                    }
                }
            }
            tvd *= 0.5;
            if k == 2 {
                pair_tvds.push(([names[combo[0]].clone(), names[combo[1]].clone()], tvd));
            }
            st.mean_tvd += tvd;
            st.max_tvd = st.max_tvd.max(tvd);
        }
        st.mean_tvd /= combos.len().max(1) as f64;
        st.preserved_share = ratio(st.preserved, st.sensitive_combinations);
        st.fabricated_share = ratio(st.fabricated, st.synthetic_combinations);
        lengths.push(st);
    }
    let single = &lengths[0];
    Ok(EvaluationReport {
        columns: names,
        sensitive_rows: ns,
        synthetic_rows: ny,
        record_expansion: if ns > 0 { ny as f64 / ns as f64 } else { 0.0 },
        single_values_sensitive: single.sensitive_combinations,
        single_values_surviving: single.preserved,
        single_values_lost: lost,
        pair_tvds,
        lengths,
        buckets: BUCKETS
            .iter()
            .zip(bucket_acc)
            .map(|(&(_, _, name), (n, p, r))| BucketStats {
                bucket: name.to_string(),
                sensitive_combinations: n,
                preserved: p,
                preserved_share: ratio(p, n),
                mean_count_ratio: if n > 0 { r / n as f64 } else { 0.0 },
            })
            .collect(),
        rare_threshold,
        rare_combinations: rare,
        rare_leaked: leaked,
        rare_leakage_share: ratio(leaked, rare),
    })
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(rows: &[[&str; 2]]) -> Table {
        Table::from_rows(
            &["a", "b"],
            rows.iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        )
    }

    #[test]
    fn identical_tables_have_zero_distance() {
        let x = t(&[["1", "x"], ["2", "y"], ["1", "y"]]);
        let r = evaluate(&x, &x, 2, 2).unwrap();
        assert_eq!(r.tvd(1), Some(0.0));
        assert_eq!(r.tvd(2), Some(0.0));
        assert_eq!(r.lengths[1].fabricated, 0);
        assert_eq!(r.record_expansion, 1.0);
        assert_eq!(r.rare_leakage_share, 1.0);
    }

    #[test]
    fn distances_and_fabrication() {
        let x = t(&[["1", "x"], ["2", "y"]]);
        let y = t(&[["1", "y"], ["3", "y"]]);
        let r = evaluate(&x, &y, 2, 5).unwrap();
        // column a: p = {1: .5, 2: .5}, q = {1: .5, 3: .5} → 0.5; column b: {x .5, y .5} vs {y 1} → 0.5
        assert!((r.tvd(1).unwrap() - 0.5).abs() < 1e-12);
        assert!((r.tvd(2).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(r.lengths[1].fabricated, 2);
        assert_eq!(
            r.single_values_lost,
            vec!["a=2", "b=x"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
                .into_iter()
                .filter(|s| r.single_values_lost.contains(s))
                .collect::<Vec<_>>()
        );
        assert_eq!(r.single_values_surviving, 2);
    }

    #[test]
    fn worst_pairs_name_the_scrambled_pair() {
        let x = Table::from_rows(
            &["a", "b", "c"],
            (0..40).map(|i| {
                let v = (i % 2).to_string();
                vec![v.clone(), v.clone(), v]
            }),
        );
        // c is independent of a and b in the synthetic table
        let y = Table::from_rows(
            &["a", "b", "c"],
            (0..40).map(|i| {
                let v = (i % 2).to_string();
                vec![v.clone(), v, ((i / 2) % 2).to_string()]
            }),
        );
        let w = evaluate(&x, &y, 2, 2).unwrap().worst_pairs(3);
        assert_eq!(w.len(), 3);
        assert_eq!(w[2].0, ["a".to_string(), "b".to_string()]);
        assert_eq!(w[2].1, 0.0);
        assert!(w[0].1 > 0.4, "{w:?}");
    }
}
