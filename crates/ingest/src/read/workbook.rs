//! XLSX and ODS workbooks, read with calamine.

use std::fs::File;
use std::io::BufReader;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use calamine::{Data, ExcelDateTime, Ods, OdsError, Range, Reader, Sheets, Xlsx, XlsxError};
use chrono::{NaiveDateTime, NaiveTime, Timelike};

use super::error::one_line;
use super::{clean_header, display_name, RawRow, ReadError, ReadOptions, RowSource, TableKind};

type Workbook = Sheets<BufReader<File>>;

const HINT_TRUNCATED: &str = "the workbook is truncated or corrupt (zip central directory missing or damaged); re-export it from Excel/LibreOffice";
const HINT_IO: &str = "the workbook could not be read completely and may be truncated; re-export it from Excel/LibreOffice";
const HINT_PASSWORD: &str =
    "the workbook is password-protected; remove the password in Excel/LibreOffice and save it again";
const HINT_OTHER: &str = "the workbook is damaged or uses features that cannot be read; re-save it from Excel/LibreOffice as .xlsx, or export the sheet as CSV";

/// Runs a calamine call, turning its errors and panics into [`ReadError::Workbook`].
fn guarded<T>(
    file: &str,
    call: impl FnOnce() -> Result<T, calamine::Error>,
) -> Result<T, ReadError> {
    settle(file, catch_unwind(AssertUnwindSafe(call)))
}

fn settle<T>(
    file: &str,
    outcome: std::thread::Result<Result<T, calamine::Error>>,
) -> Result<T, ReadError> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(workbook_error(file, &e)),
        Err(_) => Err(ReadError::Workbook {
            file: file.to_owned(),
            detail: "the workbook parser failed on malformed content".to_owned(),
            hint: HINT_OTHER.to_owned(),
        }),
    }
}

fn workbook_error(file: &str, e: &calamine::Error) -> ReadError {
    use calamine::Error as E;
    let hint = match e {
        E::Xlsx(XlsxError::Zip(_)) | E::Ods(OdsError::Zip(_)) => HINT_TRUNCATED,
        E::Xlsx(XlsxError::Password) | E::Ods(OdsError::Password) => HINT_PASSWORD,
        E::Io(_) | E::Xlsx(XlsxError::Io(_)) | E::Ods(OdsError::Io(_)) => HINT_IO,
        _ => HINT_OTHER,
    };
    ReadError::Workbook {
        file: file.to_owned(),
        detail: one_line(&e.to_string()),
        hint: hint.to_owned(),
    }
}

fn open_workbook(path: &Path, kind: TableKind, file: &str) -> Result<Workbook, ReadError> {
    let reader = BufReader::new(File::open(path).map_err(|e| ReadError::io(file, e))?);
    guarded(file, || match kind {
        TableKind::Ods => Ods::new(reader)
            .map(Sheets::Ods)
            .map_err(calamine::Error::Ods),
        _ => Xlsx::new(reader)
            .map(Sheets::Xlsx)
            .map_err(calamine::Error::Xlsx),
    })
}

/// Sheet names of an XLSX or ODS workbook.
pub(crate) fn list_sheets(path: &Path, kind: TableKind) -> Result<Vec<String>, ReadError> {
    let file = display_name(path);
    let workbook = open_workbook(path, kind, &file)?;
    Ok(workbook.sheet_names())
}

/// Finds `wanted` among `names`: exactly, else a unique case-insensitive match.
fn resolve_sheet(names: &[String], wanted: &str) -> Option<String> {
    if let Some(name) = names.iter().find(|n| *n == wanted) {
        return Some(name.clone());
    }
    let wanted = wanted.trim().to_lowercase();
    let mut matches = names.iter().filter(|n| n.trim().to_lowercase() == wanted);
    match (matches.next(), matches.next()) {
        (Some(name), None) => Some(name.clone()),
        _ => None,
    }
}

fn cell_is_blank(cell: &Data) -> bool {
    match cell {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn row_is_blank(row: &[Data]) -> bool {
    row.iter().all(cell_is_blank)
}

/// A [`RowSource`] over one sheet, held in memory (as calamine reads it).
pub(crate) struct WorkbookSource {
    sheet: String,
    headers: Vec<String>,
    range: Range<Data>,
    /// Sheet row number (1-based) of the range's first row.
    first_row: u64,
    /// Index in the range of the next row to return.
    next: usize,
    rows_hint: u64,
}

impl WorkbookSource {
    pub(crate) fn open(
        path: &Path,
        kind: TableKind,
        opts: &ReadOptions,
    ) -> Result<Self, ReadError> {
        let file = display_name(path);
        let mut workbook = open_workbook(path, kind, &file)?;
        let names = workbook.sheet_names();
        let (sheet, range) = match &opts.sheet {
            Some(wanted) => {
                let Some(name) = resolve_sheet(&names, wanted) else {
                    return Err(ReadError::NoSuchSheet {
                        file,
                        sheet: wanted.clone(),
                        available: names,
                    });
                };
                let range = guarded(&file, || workbook.worksheet_range(&name))?;
                (name, range)
            }
            None => first_used_sheet(&mut workbook, &names, &file)?,
        };

        let first_row = range.start().map_or(0, |(row, _)| u64::from(row)) + 1;
        let skip = opts
            .header_row
            .map_or(0, |h| (h as u64).saturating_sub(first_row))
            .try_into()
            .unwrap_or(usize::MAX);
        let Some((index, header)) = range
            .rows()
            .enumerate()
            .skip(skip)
            .find(|(_, row)| !row_is_blank(row))
        else {
            return Err(ReadError::Empty { file });
        };
        let mut headers: Vec<String> = header.iter().map(|c| clean_header(&cell_text(c))).collect();
        while headers.last().is_some_and(|h| h.is_empty()) {
            headers.pop();
        }
        let next = index + 1;
        let rows_hint = range
            .rows()
            .skip(next)
            .filter(|row| !row_is_blank(row))
            .count() as u64;
        Ok(WorkbookSource {
            sheet,
            headers,
            range,
            first_row,
            next,
            rows_hint,
        })
    }
}

/// The first sheet with a non-empty cell, else the first sheet.
fn first_used_sheet(
    workbook: &mut Workbook,
    names: &[String],
    file: &str,
) -> Result<(String, Range<Data>), ReadError> {
    let mut fallback = None;
    for name in names {
        let outcome = catch_unwind(AssertUnwindSafe(|| workbook.worksheet_range(name)));
        let range = match outcome {
            // Chart sheets are not worksheets: look further.
            Ok(Err(calamine::Error::Xlsx(XlsxError::NotAWorksheet(_)))) => continue,
            outcome => settle(file, outcome)?,
        };
        if range.used_cells().any(|(_, _, cell)| !cell_is_blank(cell)) {
            return Ok((name.clone(), range));
        }
        fallback.get_or_insert_with(|| (name.clone(), range));
    }
    fallback.ok_or_else(|| ReadError::Empty {
        file: file.to_owned(),
    })
}

impl RowSource for WorkbookSource {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn sheet(&self) -> Option<&str> {
        Some(&self.sheet)
    }

    fn next_row(&mut self) -> Result<Option<RawRow>, ReadError> {
        while let Some(row) = self.range.rows().nth(self.next) {
            let index = self.next;
            self.next += 1;
            if row_is_blank(row) {
                continue;
            }
            let mut cells: Vec<String> = row.iter().map(cell_text).collect();
            while cells.len() > self.headers.len() && cells.last().is_some_and(|c| c.is_empty()) {
                cells.pop();
            }
            return Ok(Some(RawRow {
                number: self.first_row + index as u64,
                cells,
            }));
        }
        Ok(None)
    }

    fn rows_hint(&self) -> Option<u64> {
        Some(self.rows_hint)
    }

    fn bytes_read(&self) -> Option<u64> {
        None
    }
}

/// A cell as text: whole numbers without `.0`, booleans `TRUE`/`FALSE`,
/// dates `2021-03-04`, date-times `2021-03-04T10:20:00`, times of day and
/// durations `10:20:00`, errors as shown (`#N/A`), empty as `""`.
pub(crate) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => format_number(*f),
        Data::Bool(true) => "TRUE".to_owned(),
        Data::Bool(false) => "FALSE".to_owned(),
        Data::DateTime(dt) => format_excel_datetime(dt),
        Data::DateTimeIso(s) => s.clone(),
        Data::DurationIso(s) => format_iso_duration(s).unwrap_or_else(|| s.clone()),
        Data::Error(e) => e.to_string(),
    }
}

/// A number as a spreadsheet shows it: 15 significant digits (so that
/// `0.1 + 0.2` is `0.3`), no `.0` on whole numbers.
pub(crate) fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let rounded: f64 = format!("{value:.14e}").parse().unwrap_or(value);
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

fn format_excel_datetime(dt: &ExcelDateTime) -> String {
    let value = dt.as_f64();
    if dt.is_duration() || (0.0..1.0).contains(&value) {
        // A duration, or a time of day without a date.
        return format_clock((value * 86_400_000.0).round() as i64);
    }
    match dt.as_datetime() {
        Some(datetime) => format_datetime(&datetime),
        None => format_number(value),
    }
}

fn format_datetime(datetime: &NaiveDateTime) -> String {
    if datetime.time() == NaiveTime::MIN {
        datetime.format("%Y-%m-%d").to_string()
    } else if datetime.nanosecond() == 0 {
        datetime.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        datetime.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
    }
}

/// Milliseconds as `HH:MM:SS` (hours may exceed 24), with `.mmm` if needed.
fn format_clock(millis: i64) -> String {
    let sign = if millis < 0 { "-" } else { "" };
    let millis = millis.unsigned_abs();
    let (secs, ms) = (millis / 1000, millis % 1000);
    let clock = format!(
        "{sign}{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if ms == 0 {
        clock
    } else {
        format!("{clock}.{ms:03}")
    }
}

/// ODS time values such as `PT10H20M00S` as `10:20:00`.
fn format_iso_duration(text: &str) -> Option<String> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let rest = rest.strip_prefix("PT")?;
    let (hours, rest) = rest.split_once('H')?;
    let (minutes, rest) = rest.split_once('M')?;
    let seconds = rest.strip_suffix('S')?;
    let hours: u64 = hours.parse().ok()?;
    let minutes: u64 = minutes.parse().ok()?;
    let seconds: f64 = seconds.parse().ok()?;
    if !(0.0..60.0).contains(&seconds) || minutes >= 60 {
        return None;
    }
    let millis = (hours * 3600 + minutes * 60) as f64 * 1000.0 + (seconds * 1000.0).round();
    let millis = millis as i64;
    Some(format_clock(if negative { -millis } else { millis }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn numbers() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(1234567.125), "1234567.125");
        assert_eq!(format_number(1e20), "100000000000000000000");
        assert_eq!(format_number(f64::NAN), "NaN");
    }

    #[test]
    fn cells() {
        let date = |v: f64| {
            cell_text(&Data::DateTime(ExcelDateTime::new(
                v,
                ExcelDateTimeType::DateTime,
                false,
            )))
        };
        assert_eq!(date(44259.0), "2021-03-04");
        assert_eq!(
            date(44259.0 + (10.0 * 60.0 + 20.0) / 1440.0),
            "2021-03-04T10:20:00"
        );
        assert_eq!(date(0.5), "12:00:00");
        let duration = Data::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false));
        assert_eq!(cell_text(&duration), "36:00:00");
        assert_eq!(cell_text(&Data::Bool(true)), "TRUE");
        assert_eq!(cell_text(&Data::Int(-7)), "-7");
        assert_eq!(cell_text(&Data::Error(calamine::CellErrorType::NA)), "#N/A");
        assert_eq!(
            cell_text(&Data::DurationIso("PT10H20M00S".into())),
            "10:20:00"
        );
        assert_eq!(cell_text(&Data::DurationIso("P1D".into())), "P1D");
        assert_eq!(cell_text(&Data::Empty), "");
    }

    #[test]
    fn sheet_names() {
        let names = vec!["Data".to_owned(), "notes".to_owned(), "NOTES ".to_owned()];
        assert_eq!(resolve_sheet(&names, "Data").as_deref(), Some("Data"));
        assert_eq!(resolve_sheet(&names, "data").as_deref(), Some("Data"));
        assert_eq!(resolve_sheet(&names, "Notes"), None);
        assert_eq!(resolve_sheet(&names, "notes").as_deref(), Some("notes"));
        assert_eq!(resolve_sheet(&names, "x"), None);
    }
}
