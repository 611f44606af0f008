//! Quality of a synthetic release on the figures a hub publishes (its *workload*), one by one.
//!
//! Averages hide failures: a synthesiser can reach a small mean 2-way distance over dozens of
//! mostly blank column pairs and still scramble the one pair readers look at (citizenship ×
//! country of exploitation, ~100 × 100 values). [`evaluate_workload`] therefore scores each
//! declared indicator (a list of columns) on its own, over the records that have a value in
//! every one of its columns (a flow needs both ends):
//!
//! * **TVD** `½ Σ |p(x) − q(x)|` between the sensitive and synthetic distributions;
//! * **fabricated record share**: the share of synthetic records that fall on combinations
//!   absent from the sensitive data (a route the data does not contain);
//! * **top-k kept**: how many of the sensitive top-k combinations are among the synthetic
//!   top-k (ties broken by value, so the figure is deterministic);
//! * cells (combinations) in each, and fabricated cells.
//!
//! The 2-way marginals with the largest TVD over all column pairs come from
//! [`super::evaluate::EvaluationReport::worst_pairs`] (computed in the same pass as the means).
//! Like [`super::evaluate`], this compares with the sensitive data: it is for the data holder
//! (`quality.internal.*`), never for publication.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::DpError;
use crate::Table;

/// One published figure: a name and the columns it crosses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub name: String,
    pub columns: Vec<String>,
}

impl Indicator {
    pub fn new(name: impl Into<String>, columns: &[&str]) -> Self {
        Indicator {
            name: name.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        }
    }
}

/// How well one indicator survived synthesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorQuality {
    pub name: String,
    pub columns: Vec<String>,
    /// Records with a value in every column, sensitive and synthetic.
    pub sensitive_records: usize,
    pub synthetic_records: usize,
    pub tvd: f64,
    /// Synthetic records on combinations the sensitive data does not contain, over the
    /// synthetic records counted.
    pub fabricated_record_share: f64,
    pub sensitive_cells: usize,
    pub synthetic_cells: usize,
    pub fabricated_cells: usize,
    pub top_k: usize,
    /// Sensitive top-k combinations among the synthetic top-k.
    pub top_k_kept: usize,
    /// The sensitive top-k, largest first, as `a → b` with their shares.
    pub sensitive_top: Vec<(String, f64)>,
    /// The synthetic top-k, largest first.
    pub synthetic_top: Vec<(String, f64)>,
}

/// A published indicator of a synthetic release is called reliable when its TVD is at most
/// this, at most [`RELIABLE_FABRICATED`] of its records lie on absent combinations and at least
/// 8 of its true top 10 are among the synthetic top 10.
pub const RELIABLE_TVD: f64 = 0.15;
/// See [`RELIABLE_TVD`].
pub const RELIABLE_FABRICATED: f64 = 0.05;

impl IndicatorQuality {
    /// Whether readers may rely on this indicator (see [`RELIABLE_TVD`]).
    pub fn reliable(&self) -> bool {
        self.tvd <= RELIABLE_TVD
            && self.fabricated_record_share <= RELIABLE_FABRICATED
            && (self.top_k == 0 || self.top_k_kept * 10 >= self.top_k * 8)
    }

    /// The fabricated-record share in coarse bands, for publication beside a chart: "under 1%",
    /// "1–5%", "5–20%" or "over 20%" (never the exact figure, which is computed on the
    /// sensitive data).
    pub fn fabricated_band(&self) -> &'static str {
        let f = self.fabricated_record_share;
        if f < 0.01 {
            "under 1%"
        } else if f < 0.05 {
            "1–5%"
        } else if f < 0.2 {
            "5–20%"
        } else {
            "over 20%"
        }
    }
}

/// Counts of each combination of `cols` over rows with a value in every column.
fn counts(
    t: &Table,
    cols: &[usize],
    missing: &dyn Fn(&str) -> bool,
) -> (HashMap<Vec<String>, u64>, usize) {
    let missing_code: Vec<Vec<bool>> = cols
        .iter()
        .map(|&c| t.columns[c].values.iter().map(|v| missing(v)).collect())
        .collect();
    let mut by_codes: HashMap<Vec<u32>, u64> = HashMap::new();
    let mut n = 0usize;
    'rows: for r in 0..t.n_rows() {
        let mut key = Vec::with_capacity(cols.len());
        for (j, &c) in cols.iter().enumerate() {
            let code = t.columns[c].codes[r];
            if missing_code[j][code as usize] {
                continue 'rows;
            }
            key.push(code);
        }
        *by_codes.entry(key).or_default() += 1;
        n += 1;
    }
    let named = by_codes
        .into_iter()
        .map(|(k, v)| {
            (
                k.iter()
                    .zip(cols)
                    .map(|(&code, &c)| t.columns[c].values[code as usize].clone())
                    .collect(),
                v,
            )
        })
        .collect();
    (named, n)
}

fn top(c: &HashMap<Vec<String>, u64>, n: usize, k: usize) -> Vec<(Vec<String>, f64)> {
    let mut v: Vec<(&Vec<String>, u64)> = c.iter().map(|(k, &v)| (k, v)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    v.into_iter()
        .take(k)
        .map(|(key, count)| (key.clone(), count as f64 / n.max(1) as f64))
        .collect()
}

fn index_of(t: &Table, name: &str, which: &str) -> Result<usize, DpError> {
    t.column_index(name)
        .map_err(|_| DpError::ColumnMismatch(format!("the {which} table has no column {name:?}")))
}

/// Scores each indicator of `workload` on `synthetic` against `sensitive` (see the module
/// documentation); `missing` says which cell values count as no value.
pub fn evaluate_workload(
    sensitive: &Table,
    synthetic: &Table,
    workload: &[Indicator],
    top_k: usize,
    missing: &dyn Fn(&str) -> bool,
) -> Result<Vec<IndicatorQuality>, DpError> {
    let mut out = Vec::with_capacity(workload.len());
    for ind in workload {
        if ind.columns.is_empty() {
            return Err(DpError::NoColumns);
        }
        let sc = ind
            .columns
            .iter()
            .map(|c| index_of(sensitive, c, "sensitive"))
            .collect::<Result<Vec<_>, _>>()?;
        let yc = ind
            .columns
            .iter()
            .map(|c| index_of(synthetic, c, "synthetic"))
            .collect::<Result<Vec<_>, _>>()?;
        let (s, ns) = counts(sensitive, &sc, missing);
        let (y, ny) = counts(synthetic, &yc, missing);
        let mut tvd = 0.0;
        let mut fabricated_records = 0u64;
        let mut fabricated_cells = 0usize;
        for (key, &b) in &y {
            let a = s.get(key).copied().unwrap_or(0);
            if a == 0 {
                fabricated_records += b;
                fabricated_cells += 1;
            }
            tvd += (a as f64 / ns.max(1) as f64 - b as f64 / ny.max(1) as f64).abs();
        }
        for (key, &a) in &s {
            if !y.contains_key(key) {
                tvd += a as f64 / ns.max(1) as f64;
            }
        }
        if ns == 0 || ny == 0 {
            // one side has no records with values: nothing is kept
            tvd = if ns == ny { 0.0 } else { 2.0 };
        }
        let st = top(&s, ns, top_k);
        let yt = top(&y, ny, top_k);
        let kept = st
            .iter()
            .filter(|(k, _)| yt.iter().any(|(y, _)| y == k))
            .count();
        let label = |k: &Vec<String>| k.join(" → ");
        out.push(IndicatorQuality {
            name: ind.name.clone(),
            columns: ind.columns.clone(),
            sensitive_records: ns,
            synthetic_records: ny,
            tvd: tvd * 0.5,
            fabricated_record_share: if ny > 0 {
                fabricated_records as f64 / ny as f64
            } else {
                0.0
            },
            sensitive_cells: s.len(),
            synthetic_cells: y.len(),
            fabricated_cells,
            top_k: st.len(),
            top_k_kept: kept,
            sensitive_top: st.iter().map(|(k, p)| (label(k), *p)).collect(),
            synthetic_top: yt.iter().map(|(k, p)| (label(k), *p)).collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(rows: &[[&str; 2]]) -> Table {
        Table::from_rows(
            &["cit", "coe"],
            rows.iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        )
    }

    fn flows() -> Vec<Indicator> {
        vec![Indicator::new("flows", &["cit", "coe"])]
    }

    #[test]
    fn identical_tables_keep_everything() {
        let x = t(&[["UA", "RU"], ["PH", "PH"], ["UA", "RU"], ["", "US"]]);
        let q = &evaluate_workload(&x, &x, &flows(), 10, &|v| v.is_empty()).unwrap()[0];
        assert_eq!(q.tvd, 0.0);
        assert_eq!(q.fabricated_record_share, 0.0);
        assert_eq!(
            q.sensitive_records, 3,
            "the row without citizenship is not a flow"
        );
        assert_eq!((q.top_k, q.top_k_kept), (2, 2));
        assert_eq!(q.sensitive_top[0], ("UA → RU".to_string(), 2.0 / 3.0));
    }

    #[test]
    fn fabricated_routes_are_counted_by_record() {
        let x = t(&[["UA", "RU"], ["UA", "RU"], ["PH", "PH"], ["PH", "PH"]]);
        // one of four synthetic records on a route the data lacks; proportions 2/4 vs 1/4 ...
        let y = t(&[["UA", "RU"], ["UA", "RU"], ["PH", "PH"], ["UA", "US"]]);
        let q = &evaluate_workload(&x, &y, &flows(), 1, &|v| v.is_empty()).unwrap()[0];
        assert_eq!(q.fabricated_record_share, 0.25);
        assert_eq!(q.fabricated_cells, 1);
        // |.5-.5| + |.5-.25| + |0-.25| = .5 → TVD .25
        assert!((q.tvd - 0.25).abs() < 1e-12, "{}", q.tvd);
        // top-1: sensitive UA→RU (tie with PH→PH broken by value: PH→PH first)
        assert_eq!(q.sensitive_top[0].0, "PH → PH");
        assert_eq!(q.top_k_kept, 0, "synthetic top-1 is UA → RU");
    }

    #[test]
    fn unknown_columns_are_errors() {
        let x = t(&[["UA", "RU"]]);
        let bad = vec![Indicator::new("x", &["cit", "nope"])];
        assert!(evaluate_workload(&x, &x, &bad, 5, &|_| false).is_err());
    }
}
