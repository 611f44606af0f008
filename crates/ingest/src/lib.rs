//! Import pipeline: readers, format detection, built-in formats (CTDC, HTCDS), declarative
//! TOML mappings and validation. Nothing is dropped: every row comes out either as a case record
//! or as a quarantined row with the issues that rejected it.

pub mod mapping;
pub mod pipeline;
pub mod read;
pub mod report;

pub use pipeline::{
    detect, hash_file, prepare, Format, ImportOptions, IngestError, Prepared, FORMAT_NAMES,
};
pub use report::{
    ImportIssue, ImportSummary, ImportedRow, RawCells, Severity, SourceInfo, WITHHELD,
};
