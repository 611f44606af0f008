//! cthub's privacy library: everything needed to publish de-identified data, with no knowledge
//! of HTTP or the store.
//!
//! * [`table`] — the dictionary-coded table every algorithm works on.
//! * [`dp`] — differential privacy: samplers, zCDP budget ledger, DP aggregates, DP synthetic
//!   data and their evaluation.
//! * [`hierarchy`] — generalisation hierarchies: ARX's CSV form and built-ins (country → UN M49
//!   subregion → region, CTDC age bands, years, exploitation types, ISIC sections, intervals).
//! * [`config`] — the TOML release configuration (quasi-identifiers, sensitive attributes,
//!   models, suppression limit, utility metric), validated before any work.
//! * [`sdc`] — k-anonymity, l-diversity, t-closeness and the optimal full-domain generalisation
//!   search over the lattice; [`metrics`] — discernibility, loss, non-uniform entropy.
//! * [`risk`] — prosecutor, journalist and marketer re-identification risk, sample uniques.
//! * [`report`] — the release report as JSON and a self-contained HTML page.
//! * [`Generalisation`] — the interface of a value hierarchy, shared by the lattice search and
//!   the hierarchy-aware fallback of DP aggregates.

pub mod config;
pub mod dp;
pub mod hierarchy;
pub mod metrics;
pub mod report;
pub mod risk;
pub mod sdc;
pub mod table;

pub use config::{ConfigError, ReleaseConfig};
pub use hierarchy::{Builtin, CodedHierarchy, Hierarchy, HierarchyError};
pub use metrics::MetricKind;
pub use risk::{assess as assess_risk, RiskSummary};
pub use sdc::{anonymise, Distance, Model, Problem, Release, ReleaseSummary, SdcError};
pub use table::{Column, Table, TableError};

/// A generalisation hierarchy of one column: level 0 is the value itself, the last level is the
/// most general (usually `*`). Used by the lattice search and by the hierarchy-aware fallback of
/// DP aggregates.
pub trait Generalisation {
    /// Number of levels, including level 0 (the original value).
    fn levels(&self) -> usize;
    /// The value's label at `level`, or `None` if the hierarchy does not know the value or the
    /// level is out of range.
    fn generalise(&self, value: &str, level: usize) -> Option<&str>;
}
