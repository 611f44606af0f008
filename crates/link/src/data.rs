//! Input tables: a [`Dataset`] is a named set of string columns (column-major, one `String` per
//! cell, the empty string for a missing value). Readers for CSV and Parquet; anything else can be
//! built in memory with [`Dataset::new`].

use std::path::Path;

use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{LinkError, Result};

/// A table of string cells, column-major.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Name used in errors and as the source of linked records.
    pub name: String,
    /// Column names (trimmed).
    pub headers: Vec<String>,
    /// `columns[c][row]`; every column has the same length.
    pub columns: Vec<Vec<String>>,
}

impl Dataset {
    /// Build from headers and columns; columns must have equal lengths.
    pub fn new(
        name: impl Into<String>,
        headers: Vec<String>,
        columns: Vec<Vec<String>>,
    ) -> Result<Self> {
        let name = name.into();
        if headers.len() != columns.len() {
            return Err(LinkError::Datasets(format!(
                "{name}: {} headers but {} columns",
                headers.len(),
                columns.len()
            )));
        }
        if let Some(first) = columns.first() {
            if columns.iter().any(|c| c.len() != first.len()) {
                return Err(LinkError::Datasets(format!(
                    "{name}: columns of unequal length"
                )));
            }
        }
        Ok(Dataset {
            name,
            headers,
            columns,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// True when the dataset has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&[String]> {
        self.column_index(name).map(|i| self.columns[i].as_slice())
    }

    /// A column, or the error naming what is available.
    pub fn require(&self, name: &str, used_in: &str) -> Result<&[String]> {
        self.column(name).ok_or_else(|| LinkError::UnknownColumn {
            column: name.to_string(),
            used_in: used_in.to_string(),
            dataset: self.name.clone(),
            available: self.headers.join(", "),
        })
    }

    /// Read a CSV file with a header row; cells and headers are trimmed. Short rows are padded
    /// with missing values.
    pub fn from_csv(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let err = |e: &dyn std::fmt::Display| LinkError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| err(&e))?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| err(&e))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let mut columns = vec![Vec::new(); headers.len()];
        for record in reader.records() {
            let record = record.map_err(|e| err(&e))?;
            for (c, col) in columns.iter_mut().enumerate() {
                col.push(record.get(c).unwrap_or("").to_string());
            }
        }
        let name = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        Dataset::new(name, headers, columns)
    }

    /// Read a Parquet file; every column is rendered as text (nulls as empty strings).
    pub fn from_parquet(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let err = |e: &dyn std::fmt::Display| LinkError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(|e| err(&e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| err(&e))?;
        let headers: Vec<String> = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let reader = builder.with_batch_size(8192).build().map_err(|e| err(&e))?;
        let mut columns = vec![Vec::new(); headers.len()];
        let options = FormatOptions::default().with_null("");
        for batch in reader {
            let batch = batch.map_err(|e| err(&e))?;
            for (c, col) in columns.iter_mut().enumerate() {
                let array = batch.column(c);
                let fmt = ArrayFormatter::try_new(array.as_ref(), &options).map_err(|e| err(&e))?;
                for row in 0..batch.num_rows() {
                    col.push(fmt.value(row).to_string());
                }
            }
        }
        let name = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        Dataset::new(name, headers, columns)
    }

    /// Read CSV or Parquet by extension.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        match path.extension().and_then(|e| e.to_str()) {
            Some("parquet") | Some("pq") => Dataset::from_parquet(path),
            _ => Dataset::from_csv(path),
        }
    }
}
