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
//! * **Public domains.** Every value of every column counted is treated as public (the CTDC and
//!   HTCDS columns are coded picklists, countries and regions, whose value lists are published).
//!   Every combination of the cross product is noised, including those with a zero count, so the
//!   set of published combinations depends on the data only through noisy counts.
//!   Callers that count free-text columns must not treat their value lists as public.
//! * Everything after measurement (non-negativity, consistency, thresholds, hierarchy fallback,
//!   model fitting and sampling of synthetic records) is post-processing and costs nothing more.

pub mod aggregates;
pub mod budget;
pub mod evaluate;
pub(crate) mod marginal;
pub mod noise;
pub(crate) mod pgm;
pub mod synth;

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
