//! Re-identification risk of a table under the usual attacker models (El Emam; as ARX reports
//! them), computed from the equivalence classes of the quasi-identifiers.
//!
//! With `n` records in classes `j` of size `f_j` (sample) and, when a population table is given,
//! `F_j` records in the population with the same quasi-identifier values:
//!
//! * **prosecutor** (the attacker knows the target is in the release): a record's risk is
//!   `1/f_j`; highest `1/min f_j`, average `#classes / n`; *records at risk* are those whose
//!   risk is above the threshold (e.g. 0.2, a class smaller than 5).
//! * **journalist** (the attacker knows the target is in the population): risk `1/F_j`; without
//!   a population table it equals the prosecutor risk.
//! * **marketer** (the attacker tries to re-identify as many records as possible): the expected
//!   share re-identified, `(1/n) Σ_j f_j / F_j` (`#classes / n` without a population).
//! * **sample uniques**: records alone in their class.
//!
//! Suppressed records (all quasi-identifiers `*`) are one class like any other.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::table::{Table, TableError};

/// Risk figures of one attacker model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRisk {
    /// Highest risk of a record.
    pub highest: f64,
    /// Average risk over records.
    pub average: f64,
    /// Records whose risk is above the threshold.
    pub records_at_risk: usize,
    /// Their share of all records.
    pub share_at_risk: f64,
}

/// The risk summary of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskSummary {
    pub quasi_identifiers: Vec<String>,
    pub records: usize,
    pub classes: usize,
    pub threshold: f64,
    pub prosecutor: ModelRisk,
    pub journalist: ModelRisk,
    pub marketer: f64,
    pub sample_uniques: usize,
    pub sample_unique_share: f64,
    /// Whether the journalist and marketer figures used a population table.
    pub population: bool,
}

/// Class sizes of `table` over the columns `qis`, keyed by the value tuple.
fn class_sizes<'t>(
    table: &'t Table,
    qis: &[&str],
) -> Result<HashMap<Vec<&'t str>, usize>, TableError> {
    let cols: Vec<usize> = qis
        .iter()
        .map(|q| table.column_index(q))
        .collect::<Result<_, _>>()?;
    // Group by codes first (cheap), then key by values.
    let mut by_code: HashMap<Vec<u32>, usize> = HashMap::new();
    for row in 0..table.n_rows() {
        let key: Vec<u32> = cols.iter().map(|&c| table.columns[c].codes[row]).collect();
        *by_code.entry(key).or_insert(0) += 1;
    }
    Ok(by_code
        .into_iter()
        .map(|(codes, n)| {
            let values = codes
                .iter()
                .zip(&cols)
                .map(|(&code, &c)| table.columns[c].values[code as usize].as_str())
                .collect();
            (values, n)
        })
        .collect())
}

/// Risk of `table` for the quasi-identifiers `qis`; `population`, if given, must have the same
/// QI columns; `threshold` is the record risk above which a record counts as at risk.
pub fn assess(
    table: &Table,
    qis: &[&str],
    population: Option<&Table>,
    threshold: f64,
) -> Result<RiskSummary, TableError> {
    let sample = class_sizes(table, qis)?;
    let pop = population.map(|p| class_sizes(p, qis)).transpose()?;
    let n = table.n_rows();
    let nf = n.max(1) as f64;
    let mut prosecutor = ModelRisk {
        highest: 0.0,
        average: 0.0,
        records_at_risk: 0,
        share_at_risk: 0.0,
    };
    let mut journalist = prosecutor.clone();
    let mut uniques = 0;
    for (values, &f) in &sample {
        let rp = 1.0 / f as f64;
        // A sampled record is in the population, so F_j >= f_j.
        let big_f = pop
            .as_ref()
            .map_or(f, |p| p.get(values).copied().unwrap_or(0).max(f));
        let rj = 1.0 / big_f as f64;
        prosecutor.highest = prosecutor.highest.max(rp);
        prosecutor.average += f as f64 * rp;
        journalist.highest = journalist.highest.max(rj);
        journalist.average += f as f64 * rj;
        if rp > threshold {
            prosecutor.records_at_risk += f;
        }
        if rj > threshold {
            journalist.records_at_risk += f;
        }
        if f == 1 {
            uniques += 1;
        }
    }
    for m in [&mut prosecutor, &mut journalist] {
        m.average /= nf;
        m.share_at_risk = m.records_at_risk as f64 / nf;
    }
    Ok(RiskSummary {
        quasi_identifiers: qis.iter().map(|q| q.to_string()).collect(),
        records: n,
        classes: sample.len(),
        threshold,
        marketer: journalist.average,
        prosecutor,
        journalist,
        sample_uniques: uniques,
        sample_unique_share: uniques as f64 / nf,
        population: pop.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(rows: &[[&str; 2]]) -> Table {
        Table::from_rows(
            &["a", "b"],
            rows.iter()
                .map(|r| r.iter().map(|v| v.to_string()).collect::<Vec<_>>()),
        )
    }

    #[test]
    fn prosecutor_and_uniques() {
        let s = t(&[["x", "1"], ["x", "1"], ["x", "1"], ["y", "1"], ["y", "2"]]);
        let r = assess(&s, &["a", "b"], None, 0.2).unwrap();
        assert_eq!(r.classes, 3);
        assert_eq!(r.prosecutor.highest, 1.0);
        assert!((r.prosecutor.average - 3.0 / 5.0).abs() < 1e-12);
        assert_eq!(r.prosecutor.records_at_risk, 5);
        assert_eq!(r.sample_uniques, 2);
        assert!((r.sample_unique_share - 0.4).abs() < 1e-12);
        assert_eq!(r.journalist, r.prosecutor);
        assert!((r.marketer - 0.6).abs() < 1e-12);
        let r = assess(&s, &["a"], None, 0.4).unwrap();
        assert_eq!(r.prosecutor.highest, 0.5);
        assert_eq!(r.prosecutor.records_at_risk, 2);
        assert!(assess(&s, &["zz"], None, 0.2).is_err());
    }

    #[test]
    fn journalist_against_population() {
        let s = t(&[["x", "1"], ["y", "2"]]);
        let p = t(&[
            ["x", "1"],
            ["x", "1"],
            ["x", "1"],
            ["x", "1"],
            ["y", "2"],
            ["z", "3"],
        ]);
        let r = assess(&s, &["a", "b"], Some(&p), 0.3).unwrap();
        assert_eq!(r.journalist.highest, 1.0);
        assert!((r.journalist.average - (0.25 + 1.0) / 2.0).abs() < 1e-12);
        assert_eq!(r.journalist.records_at_risk, 1);
        assert_eq!(r.prosecutor.records_at_risk, 2);
        assert!((r.marketer - 0.625).abs() < 1e-12);
        assert!(r.population);
    }
}
