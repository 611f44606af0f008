//! Tabular readers of the import pipeline.
//!
//! Every supported source file (CSV/TSV text, XLSX and ODS workbooks, Parquet)
//! is turned into a [`RowSource`]: a header row plus a stream of [`RawRow`]s of
//! string cells, each carrying the row or line number a user would see in a
//! spreadsheet or a text editor. Bad input never panics: it yields a
//! [`ReadError`] that names the file and, where possible, the line and a hint.
//!
//! ```no_run
//! use cthub_ingest::read::{open_table, sniff_kind, ReadOptions};
//! # fn main() -> Result<(), cthub_ingest::read::ReadError> {
//! let path = std::path::Path::new("cases.csv");
//! let kind = sniff_kind(path)?;
//! let mut source = open_table(path, kind, &ReadOptions::default())?;
//! println!("columns: {:?}", source.headers());
//! while let Some(row) = source.next_row()? {
//!     println!("row {}: {:?}", row.number, row.cells);
//! }
//! # Ok(())
//! # }
//! ```

mod csv_source;
mod error;
mod parquet_source;
mod sniff;
mod workbook;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use error::ReadError;
pub use sniff::{sniff_delimiter, sniff_kind};

/// The format of a tabular source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// Delimited text; `delimiter` is `b','`, `b';'`, `b'\t'`, `b'|'`, ...
    Csv {
        /// Field delimiter byte.
        delimiter: u8,
    },
    /// Office Open XML workbook (Excel 2007+).
    Xlsx,
    /// OpenDocument spreadsheet (LibreOffice).
    Ods,
    /// Apache Parquet.
    Parquet,
}

impl TableKind {
    /// Short lower-case name: `"csv"`, `"tsv"` (tab-delimited), `"xlsx"`, `"ods"` or `"parquet"`.
    pub fn name(&self) -> &'static str {
        match self {
            TableKind::Csv { delimiter: b'\t' } => "tsv",
            TableKind::Csv { .. } => "csv",
            TableKind::Xlsx => "xlsx",
            TableKind::Ods => "ods",
            TableKind::Parquet => "parquet",
        }
    }

    /// True for the workbook formats, which have sheets.
    pub fn is_workbook(&self) -> bool {
        matches!(self, TableKind::Xlsx | TableKind::Ods)
    }
}

/// One data row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRow {
    /// 1-based row (workbooks) or line (text) number as a user would see it;
    /// the line where the record starts for CSV records spanning several
    /// lines; record index + 2 for Parquet (as if a header row preceded it).
    pub number: u64,
    /// The cells, as text. May be longer or shorter than the header (ragged).
    pub cells: Vec<String>,
}

impl RawRow {
    /// True if every cell is empty or whitespace only.
    pub fn is_blank(&self) -> bool {
        is_blank(&self.cells)
    }
}

/// Options for [`open_table`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Workbook sheet name (exact; a unique case-insensitive match is accepted
    /// too). Default: the first sheet that has any non-empty cell.
    pub sheet: Option<String>,
    /// 1-based row (workbooks: sheet row; text: line) of the header. Default:
    /// the first non-empty row. If that row is blank, the next non-empty row
    /// is used. Rows above the header are not returned.
    pub header_row: Option<usize>,
    /// Delimiter for text files, overriding the one in [`TableKind::Csv`].
    pub delimiter: Option<u8>,
    /// WHATWG encoding label such as `"windows-1252"`, `"latin1"`,
    /// `"utf-16le"`. Default UTF-8. A UTF-8 or UTF-16 byte-order mark always
    /// wins and is stripped.
    pub encoding: Option<String>,
}

/// A stream of rows from one table.
pub trait RowSource: Send {
    /// Header cells, trimmed of surrounding whitespace (never containing a BOM).
    fn headers(&self) -> &[String];
    /// Sheet name, for workbooks.
    fn sheet(&self) -> Option<&str>;
    /// The next data row; `Ok(None)` at the end. Blank rows (all cells empty
    /// or whitespace only) are skipped.
    fn next_row(&mut self) -> Result<Option<RawRow>, ReadError>;
    /// Total number of data rows, if cheaply known (workbooks, Parquet metadata).
    fn rows_hint(&self) -> Option<u64>;
    /// Bytes of the file consumed so far (text files), for progress bars.
    fn bytes_read(&self) -> Option<u64>;

    /// Like [`RowSource::next_row`], but reads into `row`, reusing its
    /// allocations where the source supports it (CSV does: no allocation per
    /// cell once the buffers have grown). Returns `Ok(false)` at the end, in
    /// which case `row` is left unspecified.
    fn read_row_into(&mut self, row: &mut RawRow) -> Result<bool, ReadError> {
        match self.next_row()? {
            Some(next) => {
                *row = next;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Opens `path` as a table of the given kind.
///
/// For text, the delimiter is `opts.delimiter` if set, else the one in `kind`.
/// The header row is read here, so an empty table fails with
/// [`ReadError::Empty`] right away.
pub fn open_table(
    path: &Path,
    kind: TableKind,
    opts: &ReadOptions,
) -> Result<Box<dyn RowSource>, ReadError> {
    match kind {
        TableKind::Csv { delimiter } => {
            let delimiter = opts.delimiter.unwrap_or(delimiter);
            Ok(Box::new(csv_source::CsvSource::open(
                path, delimiter, opts,
            )?))
        }
        TableKind::Xlsx | TableKind::Ods => {
            Ok(Box::new(workbook::WorkbookSource::open(path, kind, opts)?))
        }
        TableKind::Parquet => Ok(Box::new(parquet_source::ParquetSource::open(path)?)),
    }
}

/// Sheet names of a workbook, in workbook order. Text and Parquet files have
/// no sheets: an empty list is returned for them.
pub fn list_sheets(path: &Path) -> Result<Vec<String>, ReadError> {
    let kind = sniff_kind(path)?;
    if kind.is_workbook() {
        workbook::list_sheets(path, kind)
    } else {
        Ok(Vec::new())
    }
}

/// True if every cell is empty or whitespace only.
pub(crate) fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

/// Trims a header cell, dropping any stray byte-order mark.
pub(crate) fn clean_header(cell: &str) -> String {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .to_owned()
}

/// The file name as shown in error messages.
pub(crate) fn display_name(path: &Path) -> String {
    path.display().to_string()
}
