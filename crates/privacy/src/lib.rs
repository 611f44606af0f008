//! cthub's privacy library: everything needed to publish de-identified data, with no knowledge
//! of HTTP or the store.
//!
//! * [`table`] — the dictionary-coded table every algorithm works on.
//! * [`Generalisation`] — the interface of a value hierarchy (country → subregion → region → *).
//!
//! Syntactic privacy (k-anonymity family, lattice search, utility metrics, risk) and
//! differential privacy (samplers, zCDP accounting, aggregates, synthetic data) live in their own
//! modules.

pub mod config;
pub mod hierarchy;
pub mod metrics;
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
