//! Differential privacy: exact noise samplers, zCDP accounting with a budget ledger, DP
//! aggregates (noisy k-way marginals with thresholds, consistency and hierarchy-aware fallback),
//! DP synthetic microdata and the evaluation of a release against its sensitive source.
//!
//! # Privacy model
//! * **Unit of privacy: the person.** Neighbouring datasets differ by all records of one person.
//!   Without a person-id column every record is a person; with one, each person's contribution
//!   is bounded to at most `c` records before anything is measured ([`aggregates`]).
//! * **Accounting in zero-concentrated DP** (ρ-zCDP, Bun & Steinke 2016): the discrete Gaussian
//!   mechanism with L2 sensitivity Δ and scale σ is Δ²/(2σ²)-zCDP (Canonne, Kamath & Steinke
//!   2020), ρ's add up under composition, and ρ converts to (ε, δ) for reporting ([`budget`]).
//! * **Noise only from a vetted sampler**: OpenDP's exact samplers (CKS20 rejection sampling on
//!   big rationals and integers, no floating-point arithmetic on the noise path) — [`noise`].
//! * **Public domains.** A column's value list is either declared
//!   (`public_domains` of [`aggregates::AggregateConfig`] / [`synth::SynthConfig`], see
//!   [`apply_public_domains`]: values outside it become the declared `other_value`, values of it
//!   absent from the data are still counted) or, without a declaration, the column's *observed*
//!   values are treated as public (the CTDC and HTCDS columns are coded picklists, countries and
//!   regions, whose value lists are published). Every combination of the cross product is
//!   noised, including those with a zero count, so the set of published combinations depends on
//!   the data only through noisy counts. An undeclared column's value list itself discloses
//!   (a value held by one record appears with certainty), so the release workflow
//!   (`cthub-release`) declares every released column: the standard's value lists for the CTDC
//!   layouts, the caller's lists for files, and otherwise values chosen by DP partition
//!   selection ([`partition`]), charged with the release.
//! * Everything after measurement (non-negativity, consistency, thresholds, hierarchy fallback,
//!   model fitting and sampling of synthetic records) is post-processing and costs nothing more.

pub mod aggregates;
pub mod budget;
pub mod evaluate;
pub(crate) mod marginal;
pub mod noise;
pub mod partition;
pub(crate) mod pgm;
pub mod synth;
pub mod workload;

use std::collections::HashMap;

use crate::table::{Column, Table};

/// Recodes the columns named in `domains` to their declared value lists: the column's values
/// become the list (in its order) plus `other` if the list lacks it, and every value outside the
/// list is replaced by `other` (e.g. `""`, missing). Other columns are unchanged (their observed
/// values are treated as public). Unknown column names are an error.
pub fn apply_public_domains(
    table: &Table,
    domains: &HashMap<String, Vec<String>>,
    other: &str,
) -> Result<Table, DpError> {
    let mut out = table.clone();
    for (name, domain) in domains {
        let i = table
            .column_index(name)
            .map_err(|_| DpError::UnknownColumn(name.clone()))?;
        let mut values: Vec<String> = Vec::with_capacity(domain.len() + 1);
        for v in domain {
            if !values.contains(v) {
                values.push(v.clone());
            }
        }
        let index: HashMap<&str, u32> = values
            .iter()
            .enumerate()
            .map(|(k, v)| (v.as_str(), k as u32))
            .collect();
        let other_code = index.get(other).copied().unwrap_or(values.len() as u32);
        let col = &table.columns[i];
        let map: Vec<u32> = col
            .values
            .iter()
            .map(|v| index.get(v.as_str()).copied().unwrap_or(other_code))
            .collect();
        let codes: Vec<u32> = col.codes.iter().map(|&c| map[c as usize]).collect();
        if other_code as usize == values.len() {
            values.push(other.to_string());
        }
        out.columns[i] = Column {
            name: col.name.clone(),
            values,
            codes,
        };
    }
    Ok(out)
}

pub use budget::{Charge, Conversion, InMemoryLedger, Ledger, LedgerEntry, LedgerError};
pub use noise::{DiscreteGaussian, DiscreteLaplace};

/// Errors of the DP layer: bad parameters and failures of the sampler.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DpError {
    #[error("epsilon must be a finite number > 0, got {0}")]
    InvalidEpsilon(f64),
    #[error("delta must be in the open interval (0, 1), got {0}")]
    InvalidDelta(f64),
    #[error("rho (zCDP budget) must be a finite number > 0, got {0}")]
    InvalidRho(f64),
    #[error("noise scale must be a finite number >= 0, got {0}")]
    InvalidScale(f64),
    #[error("sensitivity must be a finite number > 0, got {0}")]
    InvalidSensitivity(f64),
    #[error("confidence must be in (0, 1), got {0}")]
    InvalidConfidence(f64),
    #[error("the reporting length must be at least 1")]
    ZeroReportingLength,
    #[error("the contribution bound (records per person) must be at least 1")]
    ZeroContributionBound,
    #[error("no column named {0:?}")]
    UnknownColumn(String),
    #[error("no columns selected")]
    NoColumns,
    #[error("column {0:?} is selected twice")]
    DuplicateColumn(String),
    #[error("the table has no rows")]
    EmptyTable,
    #[error("the combinations of columns {columns:?} have {cells} cells, more than the limit of {limit}")]
    TooManyCells {
        columns: Vec<String>,
        cells: u128,
        limit: u64,
    },
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    #[error("the noise sampler failed: {0}")]
    Sampler(String),
    #[error("the tables compared have different columns: {0}")]
    ColumnMismatch(String),
}
