//! What an import produces: rows (accepted or quarantined), issues and a summary.

use cthub_standard::CaseRecord;
use serde::{Deserialize, Serialize};

/// One rejected or questionable value: where it is, what it was, which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportIssue {
    pub file: String,
    /// 1-based row as a spreadsheet shows it (header = row 1 for most files).
    pub row: u64,
    pub column: String,
    pub value: String,
    /// Stable rule id, e.g. `vocabulary`, `country`, `year`, `row.ragged`, `consistency.majority`.
    pub rule: String,
    pub hint: String,
    /// `error` rejects the row (it is quarantined); `warning` keeps it.
    pub severity: Severity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One source row after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedRow {
    pub source_row: u64,
    /// The cells as read (direct identifiers replaced by [`WITHHELD`]).
    pub raw: Vec<String>,
    /// `Some` when the row is accepted; `None` means it goes to quarantine.
    pub record: Option<CaseRecord>,
    pub issues: Vec<ImportIssue>,
}

/// What replaces the value of a direct-identifier column (names, phones, addresses) in stored raw
/// rows: such values never enter the hub.
pub const WITHHELD: &str = "\u{2063}withheld";

/// Facts about the source file, recorded as the contribution's provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub file_name: String,
    pub sha256: String,
    pub bytes: u64,
    /// Layout, e.g. `ctdc-kanon-2018`, `htcds-template`, `htcds-xlsform`, `mapping:<name>`.
    pub format: String,
    /// Container: csv, tsv, xlsx, ods, parquet.
    pub container: String,
    pub sheet: Option<String>,
    pub columns: Vec<String>,
    pub schema_version: u32,
}

/// Counts and per-rule totals of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    pub issues: u64,
    pub warnings: u64,
    /// rule -> count, sorted by rule.
    pub by_rule: std::collections::BTreeMap<String, u64>,
    /// column -> count of rejected values.
    pub by_column: std::collections::BTreeMap<String, u64>,
    /// Source columns mapped to no field (kept verbatim in `extra`).
    pub unmapped_columns: Vec<String>,
    /// Direct-identifier columns whose values were withheld.
    pub withheld_columns: Vec<String>,
    /// Rows that repeat the header labels (the HTCDS template's second row), not data.
    #[serde(default)]
    pub label_rows_skipped: u64,
}

impl ImportSummary {
    pub fn add_row(&mut self, row: &ImportedRow) {
        self.rows_read += 1;
        if row.record.is_some() {
            self.rows_accepted += 1;
        } else {
            self.rows_quarantined += 1;
        }
        for i in &row.issues {
            match i.severity {
                Severity::Error => self.issues += 1,
                Severity::Warning => self.warnings += 1,
            }
            *self.by_rule.entry(i.rule.clone()).or_default() += 1;
            *self.by_column.entry(i.column.clone()).or_default() += 1;
        }
    }
}
