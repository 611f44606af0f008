//! Parquet files, streamed batch by batch; every value rendered with arrow's
//! display formatter (null as `""`).

use std::collections::VecDeque;
use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::{clean_header, display_name, is_blank, RawRow, ReadError, RowSource};

const BATCH_SIZE: usize = 1024;

/// A [`RowSource`] over a Parquet file.
pub(crate) struct ParquetSource {
    file: String,
    headers: Vec<String>,
    reader: ParquetRecordBatchReader,
    /// Rows of the current batch not yet returned.
    pending: VecDeque<RawRow>,
    /// Index of the next record in the file.
    next_index: u64,
    rows_hint: u64,
    finished: bool,
}

impl ParquetSource {
    pub(crate) fn open(path: &Path) -> Result<Self, ReadError> {
        let file = display_name(path);
        let f = File::open(path).map_err(|e| ReadError::io(&file, e))?;
        let builder = match catch_unwind(|| ParquetRecordBatchReaderBuilder::try_new(f)) {
            Ok(Ok(builder)) => builder,
            Ok(Err(e)) => return Err(ReadError::parquet(&file, e)),
            Err(_) => return Err(ReadError::parquet(&file, "the file is corrupt")),
        };
        let rows_hint = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
        let headers = builder
            .schema()
            .fields()
            .iter()
            .map(|field| clean_header(field.name()))
            .collect();
        let reader = builder
            .with_batch_size(BATCH_SIZE)
            .build()
            .map_err(|e| ReadError::parquet(&file, e))?;
        Ok(ParquetSource {
            file,
            headers,
            reader,
            pending: VecDeque::new(),
            next_index: 0,
            rows_hint,
            finished: false,
        })
    }

    /// Reads the next batch into `pending`; false at the end.
    fn next_batch(&mut self) -> Result<bool, ReadError> {
        let batch = match catch_unwind(AssertUnwindSafe(|| self.reader.next())) {
            Ok(None) => return Ok(false),
            Ok(Some(Ok(batch))) => batch,
            Ok(Some(Err(e))) => return Err(ReadError::parquet(&self.file, e)),
            Err(_) => {
                return Err(ReadError::parquet(
                    &self.file,
                    format!("the file is corrupt near record {}", self.next_index + 1),
                ))
            }
        };
        self.render(&batch)?;
        Ok(true)
    }

    fn render(&mut self, batch: &RecordBatch) -> Result<(), ReadError> {
        let options = FormatOptions::default().with_null("");
        let formatters = batch
            .columns()
            .iter()
            .map(|column| ArrayFormatter::try_new(column.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ReadError::parquet(&self.file, e))?;
        for i in 0..batch.num_rows() {
            let number = self.next_index + 2;
            self.next_index += 1;
            let mut cells = Vec::with_capacity(formatters.len());
            for (column, formatter) in formatters.iter().enumerate() {
                let mut cell = String::new();
                if let Err(e) = formatter.value(i).write(&mut cell) {
                    let name = batch.schema().field(column).name().clone();
                    return Err(ReadError::parquet(
                        &self.file,
                        format!(
                            "record {}, column \"{name}\": cannot render the value: {e}",
                            number - 1
                        ),
                    ));
                }
                cells.push(cell);
            }
            if !is_blank(&cells) {
                self.pending.push_back(RawRow { number, cells });
            }
        }
        Ok(())
    }
}

impl RowSource for ParquetSource {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn sheet(&self) -> Option<&str> {
        None
    }

    fn next_row(&mut self) -> Result<Option<RawRow>, ReadError> {
        loop {
            if let Some(row) = self.pending.pop_front() {
                return Ok(Some(row));
            }
            if self.finished {
                return Ok(None);
            }
            match self.next_batch() {
                Ok(true) => {}
                Ok(false) => self.finished = true,
                Err(e) => {
                    self.finished = true;
                    return Err(e);
                }
            }
        }
    }

    fn rows_hint(&self) -> Option<u64> {
        Some(self.rows_hint)
    }

    fn bytes_read(&self) -> Option<u64> {
        None
    }
}
