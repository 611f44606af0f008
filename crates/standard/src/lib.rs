//! The cthub case standard: an HTCDS 2.0 aligned case model, the flat CTDC release schemas,
//! the crosswalks between them, controlled vocabularies and countries.
//!
//! Nothing in this crate does I/O; importers live in `cthub-ingest`, storage in `cthub-store`.

pub mod country;
pub mod crosswalk;
pub mod ctdc;
pub mod field;
pub mod flags;
pub mod htcds;
pub mod model;
pub mod vocab;

pub use country::Country;
pub use ctdc::CtdcSchema;
pub use field::{Group, Target, Violation};
pub use model::{CaseRecord, SCHEMA_VERSION};
pub use vocab::Vocab;
