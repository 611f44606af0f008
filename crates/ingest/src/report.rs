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

/// One source row after validation (serialisable: the hub stages validated rows, never the raw
/// file, between an upload and its commit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedRow {
    pub source_row: u64,
    /// The cells as read (direct identifiers replaced by [`WITHHELD`]).
    pub raw: RawCells,
    /// `Some` when the row is accepted; `None` means it goes to quarantine.
    pub record: Option<CaseRecord>,
    pub issues: Vec<ImportIssue>,
}

/// The cells of one source row in one string (two allocations per row instead of one per cell:
/// an import handles tens of millions of cells).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCells {
    text: String,
    /// End offset of each cell in `text`.
    ends: Vec<u32>,
}

impl RawCells {
    pub fn new() -> RawCells {
        RawCells::default()
    }

    /// Cells copied from `cells`, sized exactly.
    pub fn from_cells<S: AsRef<str>>(cells: &[S]) -> RawCells {
        let len = cells.iter().map(|c| c.as_ref().len()).sum();
        let mut r = RawCells {
            text: String::with_capacity(len),
            ends: Vec::with_capacity(cells.len()),
        };
        for c in cells {
            r.push(c.as_ref());
        }
        r
    }

    pub fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(self.text.len() as u32);
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Some(&self.text[start..end])
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(""))
    }

    /// All cells concatenated (to check them at once, e.g. for characters that need escaping).
    pub fn joined(&self) -> &str {
        &self.text
    }

    /// Replaces cell `i` (no-op when out of range).
    pub fn set(&mut self, i: usize, value: &str) {
        if i < self.len() {
            let mut cells: Vec<String> = self.iter().map(str::to_string).collect();
            cells[i] = value.to_string();
            *self = RawCells::from_cells(&cells);
        }
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

impl std::ops::Index<usize> for RawCells {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        match self.get(i) {
            Some(c) => c,
            None => panic!("cell {i} out of range ({} cells)", self.len()),
        }
    }
}

impl From<Vec<String>> for RawCells {
    fn from(v: Vec<String>) -> RawCells {
        RawCells::from_cells(&v)
    }
}

impl From<&[&str]> for RawCells {
    fn from(v: &[&str]) -> RawCells {
        RawCells::from_cells(v)
    }
}

impl PartialEq<Vec<String>> for RawCells {
    fn eq(&self, other: &Vec<String>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b)
    }
}

impl PartialEq<RawCells> for Vec<String> {
    fn eq(&self, other: &RawCells) -> bool {
        other == self
    }
}

impl Serialize for RawCells {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for c in self.iter() {
            seq.serialize_element(c)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for RawCells {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawCells, D::Error> {
        Vec::<String>::deserialize(d).map(RawCells::from)
    }
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

#[cfg(test)]
mod tests {
    use super::RawCells;

    #[test]
    fn raw_cells_behave_like_a_vector_of_strings() {
        let v: Vec<String> = ["a", "", "ünï", "d,e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut r = RawCells::from(v.clone());
        assert_eq!(r.len(), 4);
        assert_eq!(r.get(1), Some(""));
        assert_eq!(&r[2], "ünï");
        assert_eq!(r.get(4), None);
        assert_eq!(r, v);
        assert_eq!(r.iter().collect::<Vec<_>>(), ["a", "", "ünï", "d,e"]);
        r.set(0, "withheld");
        r.set(9, "ignored");
        assert_eq!(r.to_vec(), ["withheld", "", "ünï", "d,e"]);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"["withheld","","ünï","d,e"]"#);
        let back: RawCells = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert!(RawCells::new().is_empty());
    }
}
