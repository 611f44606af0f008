//! DP partition selection: which values of columns without a public value list may appear in a
//! release at all.
//!
//! A release that treats a column's *observed* values as its domain publishes the value set
//! itself: a citizenship written in one record appears with certainty. For a column whose values
//! are not a list fixed in advance (free text, a file's own codes), the values released are
//! chosen here, with noise, and the rest are recoded to the release's missing value before the
//! release's own mechanism runs (a public domain of the kept values).
//!
//! # Mechanism (Gaussian thresholding)
//! With `m` columns and at most `c` records per person (after the same contribution bounding as
//! the release, [`super::aggregates::bound_contributions`]), each column's counts of its observed
//! values get independent N_Z(0, σ²) noise, σ = c·√(m / (2ρ)): the `m` count vectors change by at
//! most `c` each in L2 norm when a person is added or removed, so the counts of values present in
//! both neighbouring datasets are released by a ρ-zCDP mechanism. A value is kept when its noisy
//! count exceeds `T = c + σ·√(2 ln(1/δ_v))` with `δ_v = δ / (m·c)`. A value held by the added
//! person alone has a count of at most `c`, so it passes with probability at most
//! `P(Z > σ√(2 ln(1/δ_v))) ≤ δ_v` (the discrete Gaussian is σ-subgaussian), and the person's at
//! most `m·c` such values together pass with probability at most `δ`. The selection is therefore
//! (ε(ρ, δ'), δ' + δ)-DP for any δ' of the zCDP conversion: the release adds `ρ` to its charge
//! and `δ` to its δ.
//!
//! Values listed in `always` (the release's missing markers, public by construction) are kept
//! without being counted.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::aggregates::bound_contributions;
use super::noise::DiscreteGaussian;
use super::DpError;
use crate::Table;

/// The outcome for one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSelection {
    pub column: String,
    /// Distinct values observed (internal: exact).
    pub observed: usize,
    /// Values kept (the `always` values included).
    pub kept: Vec<String>,
}

/// The selected value lists and the parameters that made them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionSelection {
    pub columns: Vec<ColumnSelection>,
    /// zCDP cost of the selection.
    pub rho: f64,
    /// Probability bound that any value of one person's alone is kept.
    pub delta: f64,
    pub sigma: f64,
    /// A value is kept when its noisy count exceeds this.
    pub threshold: f64,
    pub max_records_per_person: usize,
}

impl PartitionSelection {
    /// The kept values by column, as public domains for the release's mechanism.
    pub fn domains(&self) -> HashMap<String, Vec<String>> {
        self.columns
            .iter()
            .map(|c| (c.column.clone(), c.kept.clone()))
            .collect()
    }
}

/// Selects, with `rho`-zCDP noise and failure probability `delta`, the values of `columns` that
/// may be released (see the module's documentation). `person_id` and `max_records_per_person`
/// bound each person's records as the release does.
pub fn select_values(
    table: &Table,
    columns: &[String],
    always: &[String],
    rho: f64,
    delta: f64,
    person_id: Option<&str>,
    max_records_per_person: usize,
) -> Result<PartitionSelection, DpError> {
    if columns.is_empty() {
        return Err(DpError::NoColumns);
    }
    if !(delta > 0.0 && delta < 1.0) {
        return Err(DpError::InvalidDelta(delta));
    }
    if !(rho.is_finite() && rho > 0.0) {
        return Err(DpError::InvalidRho(rho));
    }
    let rows = bound_contributions(table, person_id, max_records_per_person)?;
    let c = max_records_per_person as f64;
    let m = columns.len() as f64;
    let noise = DiscreteGaussian::for_zcdp(c * m.sqrt(), rho)?;
    let sigma = noise.sigma();
    let per_value = delta / (m * c);
    let threshold = c + sigma * (2.0 * (1.0 / per_value).ln()).sqrt();
    let mut out = Vec::with_capacity(columns.len());
    for name in columns {
        let col = table
            .column(name)
            .map_err(|_| DpError::UnknownColumn(name.clone()))?;
        let mut counts = vec![0u64; col.values.len()];
        for &r in &rows {
            counts[col.codes[r as usize] as usize] += 1;
        }
        let mut kept: Vec<String> = always.to_vec();
        let mut observed = 0;
        for (value, &count) in col.values.iter().zip(&counts) {
            if count == 0 || always.contains(value) {
                continue;
            }
            observed += 1;
            if count as f64 + noise.sample()? as f64 > threshold {
                kept.push(value.clone());
            }
        }
        out.push(ColumnSelection {
            column: name.clone(),
            observed,
            kept,
        });
    }
    Ok(PartitionSelection {
        columns: out,
        rho,
        delta,
        sigma,
        threshold,
        max_records_per_person,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rare: usize) -> Table {
        let mut rows: Vec<Vec<String>> = Vec::new();
        for i in 0..3000 {
            rows.push(vec![
                ["UA", "PH", "US"][i % 3].to_string(),
                if i < rare { "Atlantis" } else { "" }.to_string(),
            ]);
        }
        Table::from_rows(&["common", "rare"], rows)
    }

    #[test]
    fn frequent_values_are_kept_and_a_unique_one_never() {
        let t = table(1);
        let cols = ["common".to_string(), "rare".to_string()];
        for _ in 0..1000 {
            let s = select_values(&t, &cols, &[String::new()], 0.05, 1e-6, None, 1).unwrap();
            let d = s.domains();
            assert_eq!(d["common"].len(), 4, "{d:?}");
            assert_eq!(
                d["rare"],
                vec![String::new()],
                "a unique value was selected"
            );
        }
    }

    #[test]
    fn the_threshold_follows_the_parameters() {
        let t = table(1);
        let cols = ["common".to_string(), "rare".to_string()];
        let s = select_values(&t, &cols, &[], 0.05, 1e-6, None, 1).unwrap();
        let sigma = (2.0f64 / (2.0 * 0.05)).sqrt();
        assert!((s.sigma - sigma).abs() < 1e-9, "{}", s.sigma);
        let t_expected = 1.0 + sigma * (2.0 * (2.0 / 1e-6f64).ln()).sqrt();
        assert!((s.threshold - t_expected).abs() < 1e-9);
        // a value far above the threshold is kept; `always` values need no count
        let t2 = table(2000);
        let s = select_values(&t2, &cols, &["-99".into()], 0.05, 1e-6, None, 1).unwrap();
        assert!(s.domains()["rare"].contains(&"Atlantis".to_string()));
        assert!(s.domains()["rare"].contains(&"-99".to_string()));
        assert!(select_values(&t, &cols, &[], 0.05, 0.0, None, 1).is_err());
        assert!(select_values(&t, &[], &[], 0.05, 1e-6, None, 1).is_err());
    }
}
