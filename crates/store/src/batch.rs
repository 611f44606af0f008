//! Rows prepared for the database writer: serialised once, on the caller's thread.
//!
//! An import runs in two threads: the caller's thread turns each [`ImportedRow`] into
//! column values and JSON text (appended to one buffer per batch), and a writer thread that
//! owns the database connection inserts whole batches. The two overlap, so parsing and
//! serialising the next rows costs no database time.

use std::ops::Range;

use cthub_ingest::{ImportedRow, RawCells};

use crate::facts::Facts;
use crate::{severity_code, to_i64, Result, RowCounts, StoreError};

/// A batch is sent to the writer once it holds this many rows ...
const MAX_ROWS: usize = 1024;
/// ... or this many bytes of text.
const MAX_BYTES: usize = 1 << 20;

/// A two-letter country code, stored inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Code2([u8; 2]);

impl Code2 {
    fn new(s: &str) -> Result<Code2> {
        let b: [u8; 2] = s
            .as_bytes()
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("country code {s:?} is not two letters")))?;
        Ok(Code2(b))
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

/// One accepted record's narrow row (its JSON and source cells are lines of
/// [`Batch::record_jsonl`] and [`Batch::raw_jsonl`]).
#[derive(Debug, Clone)]
pub(crate) struct RecordRow {
    pub source_row: i64,
    pub schema_version: i64,
    pub registration_from: Option<i64>,
    pub registration_to: Option<i64>,
    pub data_source: Option<&'static str>,
    pub gender: Option<&'static str>,
    pub age_band: Option<&'static str>,
    pub majority: Option<&'static str>,
    pub citizenship: Option<Code2>,
    pub country_of_exploitation: Option<Code2>,
    pub forced_labour: Option<i64>,
    pub sexual_exploitation: Option<i64>,
    pub other_exploitation: Option<i64>,
}

#[derive(Debug, Clone)]
pub(crate) struct QuarantineRow {
    pub source_row: i64,
    pub raw: Range<usize>,
    pub issues: Range<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct IssueRow {
    pub source_row: i64,
    pub column: Range<usize>,
    pub value: Range<usize>,
    pub rule: Range<usize>,
    pub hint: Range<usize>,
    pub severity: &'static str,
}

/// Writes source cells as a JSON array of strings. When no cell holds a character JSON must
/// escape (checked once over the row's text, the usual case), cells are copied as they are.
fn write_cells(out: &mut Vec<u8>, cells: &RawCells) -> Result<()> {
    let plain = cells
        .joined()
        .bytes()
        .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if !plain {
        serde_json::to_writer(&mut *out, cells)?;
        return Ok(());
    }
    out.reserve(cells.joined().len() + 3 * cells.len() + 2);
    out.push(b'[');
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(cell.as_bytes());
        out.push(b'"');
    }
    out.push(b']');
    Ok(())
}

/// Rows of all three tables, in the order they were added (per table). The accepted records
/// of a batch become one record segment.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Text of quarantined rows and issues.
    pub text: Vec<u8>,
    /// One JSON line per accepted record.
    pub record_jsonl: Vec<u8>,
    /// One JSON line (array of source cells) per accepted record.
    pub raw_jsonl: Vec<u8>,
    pub records: Vec<RecordRow>,
    pub quarantine: Vec<QuarantineRow>,
    pub issues: Vec<IssueRow>,
}

/// What the caller's thread sends to the writer.
pub(crate) enum Msg {
    Rows(Batch),
    /// Finish: update the contribution, write the audit entry, decide the staged upload (if
    /// any) in the same transaction, commit.
    Commit {
        counts: RowCounts,
        summary: String,
        upload: Option<UploadDecision>,
    },
}

/// A staged upload that the import commits: marked committed (its content deleted) in the
/// import's own transaction, which fails with [`crate::StoreError::Conflict`] and rolls back
/// when the upload was decided meanwhile (a concurrent commit or discard).
pub(crate) struct UploadDecision {
    pub id: i64,
    pub actor: String,
}

impl Batch {
    pub fn new() -> Batch {
        Batch {
            text: Vec::new(),
            record_jsonl: Vec::with_capacity(MAX_BYTES + (64 << 10)),
            raw_jsonl: Vec::with_capacity(MAX_BYTES / 2),
            records: Vec::with_capacity(MAX_ROWS),
            quarantine: Vec::new(),
            issues: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.quarantine.is_empty() && self.issues.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.records.len() + self.quarantine.len() + self.issues.len() >= MAX_ROWS
            || self.text.len() + self.record_jsonl.len() + self.raw_jsonl.len() >= MAX_BYTES
    }

    /// Text of a span (always UTF-8: it was written from `&str` or by serde_json).
    pub fn str(&self, span: &Range<usize>) -> Result<&str> {
        std::str::from_utf8(&self.text[span.clone()])
            .map_err(|e| StoreError::Corrupt(format!("batch text is not UTF-8: {e}")))
    }

    fn json<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> Result<Range<usize>> {
        let start = self.text.len();
        serde_json::to_writer(&mut self.text, v)?;
        Ok(start..self.text.len())
    }

    fn text(&mut self, s: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.extend_from_slice(s.as_bytes());
        start..self.text.len()
    }

    /// Serialise one row (the record's JSON exactly once).
    pub fn push(&mut self, row: &ImportedRow) -> Result<()> {
        let source_row = to_i64(row.source_row, "source row")?;
        match &row.record {
            Some(rec) => {
                let f = Facts::of(rec);
                serde_json::to_writer(&mut self.record_jsonl, rec)?;
                self.record_jsonl.push(b'\n');
                write_cells(&mut self.raw_jsonl, &row.raw)?;
                self.raw_jsonl.push(b'\n');
                self.records.push(RecordRow {
                    source_row,
                    schema_version: i64::from(rec.schema_version),
                    registration_from: f.registration_from,
                    registration_to: f.registration_to,
                    data_source: f.data_source,
                    gender: f.gender,
                    age_band: f.age_band,
                    majority: f.majority,
                    citizenship: f.citizenship.map(Code2::new).transpose()?,
                    country_of_exploitation: f
                        .country_of_exploitation
                        .map(Code2::new)
                        .transpose()?,
                    forced_labour: f.forced_labour,
                    sexual_exploitation: f.sexual_exploitation,
                    other_exploitation: f.other_exploitation,
                });
            }
            None => {
                let raw = self.json(&row.raw)?;
                let issues = self.json(&row.issues)?;
                self.quarantine.push(QuarantineRow {
                    source_row,
                    raw,
                    issues,
                });
            }
        }
        for i in &row.issues {
            let source_row = to_i64(i.row, "source row")?;
            let column = self.text(&i.column);
            let value = self.text(&i.value);
            let rule = self.text(&i.rule);
            let hint = self.text(&i.hint);
            self.issues.push(IssueRow {
                source_row,
                column,
                value,
                rule,
                hint,
                severity: severity_code(i.severity),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::write_cells;
    use cthub_ingest::RawCells;

    #[test]
    fn cells_are_json() {
        let cells: Vec<String> = [
            "",
            "plain",
            "a\"b",
            "back\\slash",
            "tab\there",
            "new\nline",
            "é ü 中",
            "\u{1}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for cells in [
            cells.clone(),
            vec!["a".into(), "".into(), "ü".into()],
            vec![],
        ] {
            let raw = RawCells::from(cells.clone());
            let mut out = Vec::new();
            write_cells(&mut out, &raw).unwrap();
            let back: Vec<String> = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, cells);
            assert_eq!(out, serde_json::to_vec(&cells).unwrap());
        }
    }
}
