//! A table of categorical columns, dictionary-coded: each column keeps its distinct values once
//! (`values`) and one `u32` code per row (`codes`). Missing cells are the empty string, a value
//! like any other.

use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{file}: {source}")]
    Csv {
        file: String,
        #[source]
        source: csv::Error,
    },
    #[error("{file}: row {row} has {found} cells, the header has {expected}")]
    Ragged {
        file: String,
        row: u64,
        found: usize,
        expected: usize,
    },
    #[error("no column named {0:?}")]
    NoColumn(String),
}

/// One dictionary-coded column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// Distinct values, in order of first appearance.
    pub values: Vec<String>,
    /// One code per row: an index into `values`.
    pub codes: Vec<u32>,
}

impl Column {
    pub fn new(name: impl Into<String>) -> Self {
        Column {
            name: name.into(),
            values: Vec::new(),
            codes: Vec::new(),
        }
    }

    /// The value of row `row`.
    pub fn value(&self, row: usize) -> &str {
        &self.values[self.codes[row] as usize]
    }

    /// The code of `value`, if it occurs.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        self.values
            .iter()
            .position(|v| v == value)
            .map(|i| i as u32)
    }
}

/// A table of dictionary-coded columns of equal length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<Column>,
}

impl Table {
    /// Builds a table from a header and rows of cells (each row as long as the header).
    pub fn from_rows<R, C>(header: &[&str], rows: R) -> Table
    where
        R: IntoIterator<Item = C>,
        C: AsRef<[String]>,
    {
        let mut builder = TableBuilder::new(header.iter().map(|h| h.to_string()).collect());
        for row in rows {
            builder.push(row.as_ref().iter().map(String::as_str));
        }
        builder.finish()
    }

    /// Reads a delimited text file with a header row (e.g. ARX's `;`-separated Adult file).
    pub fn from_csv(path: &Path, delimiter: u8) -> Result<Table, TableError> {
        let file = path.display().to_string();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_path(path)
            .map_err(|source| TableError::Csv {
                file: file.clone(),
                source,
            })?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|source| TableError::Csv {
                file: file.clone(),
                source,
            })?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let expected = header.len();
        let mut builder = TableBuilder::new(header);
        let mut record = csv::StringRecord::new();
        let mut row = 1u64;
        loop {
            let more = reader
                .read_record(&mut record)
                .map_err(|source| TableError::Csv {
                    file: file.clone(),
                    source,
                })?;
            if !more {
                break;
            }
            row += 1;
            if record.len() != expected {
                return Err(TableError::Ragged {
                    file,
                    row,
                    found: record.len(),
                    expected,
                });
            }
            builder.push(record.iter().map(str::trim));
        }
        Ok(builder.finish())
    }

    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.codes.len())
    }

    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    pub fn column_index(&self, name: &str) -> Result<usize, TableError> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| TableError::NoColumn(name.to_string()))
    }

    pub fn column(&self, name: &str) -> Result<&Column, TableError> {
        Ok(&self.columns[self.column_index(name)?])
    }

    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Writes the table as delimited text with a header row.
    pub fn write_csv<W: std::io::Write>(&self, out: W, delimiter: u8) -> Result<(), csv::Error> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(out);
        w.write_record(self.names())?;
        for row in 0..self.n_rows() {
            w.write_record(self.columns.iter().map(|c| c.value(row)))?;
        }
        w.flush()?;
        Ok(())
    }
}

/// Builds a [`Table`] row by row, interning values.
pub struct TableBuilder {
    columns: Vec<Column>,
    lookup: Vec<HashMap<String, u32>>,
}

impl TableBuilder {
    pub fn new(header: Vec<String>) -> Self {
        TableBuilder {
            lookup: header.iter().map(|_| HashMap::new()).collect(),
            columns: header.into_iter().map(Column::new).collect(),
        }
    }

    /// Appends one row; cells beyond the header are ignored, missing cells are empty.
    pub fn push<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        let mut cells = cells.into_iter();
        for (column, lookup) in self.columns.iter_mut().zip(self.lookup.iter_mut()) {
            let cell = cells.next().unwrap_or("");
            let code = match lookup.get(cell) {
                Some(&code) => code,
                None => {
                    let code = column.values.len() as u32;
                    column.values.push(cell.to_string());
                    lookup.insert(cell.to_string(), code);
                    code
                }
            };
            column.codes.push(code);
        }
    }

    pub fn finish(self) -> Table {
        Table {
            columns: self.columns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        let rows = vec![
            vec!["a".to_string(), "x".to_string()],
            vec!["b".to_string(), "x".to_string()],
            vec!["a".to_string(), String::new()],
        ];
        let t = Table::from_rows(&["p", "q"], rows);
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.column("p").unwrap().values, vec!["a", "b"]);
        assert_eq!(t.column("q").unwrap().value(2), "");
        assert_eq!(t.column("p").unwrap().codes, vec![0, 1, 0]);
        assert!(matches!(t.column("zz"), Err(TableError::NoColumn(_))));
    }

    #[test]
    fn writes_csv() {
        let t = Table::from_rows(&["p", "q"], vec![vec!["a;b".to_string(), "1".to_string()]]);
        let mut out = Vec::new();
        t.write_csv(&mut out, b';').unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "p;q\n\"a;b\";1\n");
    }

    #[test]
    fn reads_ragged_file_with_row_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a;b\n1;2\n3\n").unwrap();
        let err = Table::from_csv(&path, b';').unwrap_err().to_string();
        assert!(err.contains("row 3 has 1 cells"), "{err}");
    }
}
