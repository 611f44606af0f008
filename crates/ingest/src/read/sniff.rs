//! Format detection by content.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use super::error::{utf16_without_bom, EncodingGuess, ReadError};
use super::{display_name, TableKind};

/// Bytes looked at to detect the format and the delimiter.
const SAMPLE_LEN: usize = 64 * 1024;
/// Records looked at to choose the delimiter.
const SAMPLE_RECORDS: usize = 100;
/// Delimiter candidates, in order of preference on a tie.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ODS_MIME: &[u8] = b"opendocument.spreadsheet";

/// Detects the format of `path` from its content (the extension is ignored).
///
/// * zip (`PK\x03\x04`): [`TableKind::Ods`] if it has a `mimetype` entry
///   naming an OpenDocument spreadsheet, else [`TableKind::Xlsx`] (other
///   zip archives, Word documents and `.xlsb` are [`ReadError::Unsupported`]);
/// * `PAR1`: [`TableKind::Parquet`];
/// * legacy OLE2 (`.xls`), gzip, PDF: [`ReadError::Unsupported`] with a hint;
/// * anything else is text: [`TableKind::Csv`] with the delimiter among
///   `, ; \t |` chosen by [`sniff_delimiter`].
pub fn sniff_kind(path: &Path) -> Result<TableKind, ReadError> {
    let file_name = display_name(path);
    let mut file = File::open(path).map_err(|e| ReadError::io(&file_name, e))?;
    let mut sample = Vec::with_capacity(SAMPLE_LEN);
    (&mut file)
        .take(SAMPLE_LEN as u64)
        .read_to_end(&mut sample)
        .map_err(|e| ReadError::io(&file_name, e))?;
    let complete = sample.len() < SAMPLE_LEN;

    let unsupported = |detail: &str, hint: &str| ReadError::Unsupported {
        file: file_name.clone(),
        detail: detail.to_owned(),
        hint: hint.to_owned(),
    };

    if sample.starts_with(b"PK\x03\x04") || sample.starts_with(b"PK\x05\x06") {
        return sniff_zip(&mut file, &sample, &file_name);
    }
    if sample.starts_with(b"PAR1") {
        return Ok(TableKind::Parquet);
    }
    if sample.starts_with(OLE_MAGIC) {
        return Err(unsupported(
            "this is a legacy Excel 97-2003 (.xls) workbook or a password-protected Office file, which cannot be read",
            "open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook, without a password), or export the sheet as CSV",
        ));
    }
    if sample.starts_with(&[0x1F, 0x8B]) {
        return Err(unsupported(
            "this is a gzip-compressed file",
            "decompress it first (e.g. gunzip) and import the file inside",
        ));
    }
    if sample.starts_with(b"%PDF") {
        return Err(unsupported(
            "this is a PDF document, not a table",
            "export the table from the source application as CSV or XLSX",
        ));
    }

    let Some(text) = text_sample(&sample) else {
        return Err(unsupported(
            "this does not look like a text table or a supported workbook (it contains binary data)",
            "supported formats are CSV/TSV text, .xlsx, .ods and .parquet",
        ));
    };
    let text = if complete {
        &text[..]
    } else {
        // The sample ends mid-line: drop the partial last line.
        match text.iter().rposition(|&b| b == b'\n' || b == b'\r') {
            Some(pos) => &text[..pos],
            None => &text[..],
        }
    };
    Ok(TableKind::Csv {
        delimiter: sniff_delimiter(text),
    })
}

/// The sample as ASCII-compatible bytes (UTF-16 is decoded, a UTF-8 BOM is
/// dropped), or `None` if it looks binary.
fn text_sample(sample: &[u8]) -> Option<Vec<u8>> {
    let utf16 = if sample.starts_with(&[0xFF, 0xFE]) {
        Some((encoding_rs::UTF_16LE, 2))
    } else if sample.starts_with(&[0xFE, 0xFF]) {
        Some((encoding_rs::UTF_16BE, 2))
    } else {
        match utf16_without_bom(sample) {
            Some(EncodingGuess::Utf16Le) => Some((encoding_rs::UTF_16LE, 0)),
            Some(EncodingGuess::Utf16Be) => Some((encoding_rs::UTF_16BE, 0)),
            _ => None,
        }
    };
    if let Some((encoding, skip)) = utf16 {
        let body = &sample[skip..];
        let (text, _) = encoding.decode_without_bom_handling(&body[..body.len() & !1]);
        return Some(text.into_owned().into_bytes());
    }
    let body = sample.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(sample);
    let nul = body.iter().filter(|&&b| b == 0).count();
    if nul * 20 > body.len().max(1) {
        return None;
    }
    Some(body.to_vec())
}

/// Tells an ODS from an XLSX (or another zip archive).
fn sniff_zip(file: &mut File, sample: &[u8], file_name: &str) -> Result<TableKind, ReadError> {
    // ODS stores an uncompressed `mimetype` entry first, so the local header
    // can be read directly, even if the archive is truncated.
    if let Some(mime) = first_entry_mimetype(sample) {
        if contains(mime, ODS_MIME) {
            return Ok(TableKind::Ods);
        }
    }
    file.rewind().map_err(|e| ReadError::io(file_name, e))?;
    let mut archive = match zip::ZipArchive::new(&mut *file) {
        Ok(archive) => archive,
        // Corrupt or truncated: let the workbook reader report it.
        Err(_) => return Ok(TableKind::Xlsx),
    };
    let mut mime = Vec::new();
    let has_mimetype = match archive.by_name("mimetype") {
        Ok(entry) => {
            let _ = entry.take(256).read_to_end(&mut mime);
            true
        }
        Err(_) => false,
    };
    let unsupported = |detail: &str, hint: &str| ReadError::Unsupported {
        file: file_name.to_owned(),
        detail: detail.to_owned(),
        hint: hint.to_owned(),
    };
    if has_mimetype {
        if contains(&mime, ODS_MIME) {
            return Ok(TableKind::Ods);
        }
        if contains(&mime, b"opendocument") {
            return Err(unsupported(
                "this is an OpenDocument file but not a spreadsheet",
                "open it in LibreOffice and save the table as .ods, .xlsx or CSV",
            ));
        }
    }
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    let has = |name: &str| names.iter().any(|n| n == name);
    let has_prefix = |prefix: &str| names.iter().any(|n| n.starts_with(prefix));
    if has("xl/workbook.bin") {
        return Err(unsupported(
            "this is an Excel binary workbook (.xlsb), which cannot be read",
            "open it in Excel and save it as .xlsx (Excel Workbook)",
        ));
    }
    if has_prefix("xl/") {
        return Ok(TableKind::Xlsx);
    }
    if has_prefix("word/") || has_prefix("ppt/") {
        return Err(unsupported(
            "this is a Word or PowerPoint document, not a spreadsheet",
            "copy the table into a spreadsheet and save it as .xlsx or CSV",
        ));
    }
    Err(unsupported(
        "this is a zip archive, not an .xlsx or .ods workbook",
        "unzip it and import the table file inside",
    ))
}

/// The content of the first zip entry if it is a stored `mimetype` entry.
fn first_entry_mimetype(sample: &[u8]) -> Option<&[u8]> {
    let u16_at = |i: usize| Some(u16::from_le_bytes(sample.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_le_bytes(sample.get(i..i + 4)?.try_into().ok()?));
    if !sample.starts_with(b"PK\x03\x04") || u16_at(8)? != 0 {
        return None;
    }
    let size = u32_at(18)? as usize;
    let name_len = u16_at(26)? as usize;
    let extra_len = u16_at(28)? as usize;
    if sample.get(30..30 + name_len)? != b"mimetype" {
        return None;
    }
    let start = 30 + name_len + extra_len;
    sample.get(start..start + size.min(256))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Chooses the field delimiter of a text sample among `, ; \t |`.
///
/// Each candidate is counted outside double quotes in each of the first
/// records. The winner occurs in the header record, as often as in most other
/// records (consistency), and, among equally consistent candidates, most
/// often. Falls back to `,` (e.g. for a single-column file).
pub fn sniff_delimiter(sample: &[u8]) -> u8 {
    let records = count_per_record(sample);
    let mut best: Option<(Score, u8)> = None;
    for (ci, &candidate) in CANDIDATES.iter().enumerate() {
        let counts: Vec<usize> = records.iter().map(|r| r[ci]).collect();
        let Some(score) = Score::of(&counts) else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, candidate));
        }
    }
    best.map_or(b',', |(_, d)| d)
}

/// How well a candidate delimiter fits; compared field by field, in order.
#[derive(Debug, PartialEq, PartialOrd)]
struct Score {
    /// The header has as many delimiters as most records.
    header_agrees: bool,
    /// At least 90 % of the records have the most common count.
    consistent: bool,
    /// The most common count (number of columns - 1).
    mode: usize,
    /// Share of records with the most common count, in per mille.
    agreement: usize,
}

impl Score {
    fn of(counts: &[usize]) -> Option<Score> {
        let header = *counts.first()?;
        // The most common non-zero count; ties go to the larger count.
        let mut mode = 0;
        let mut mode_freq = 0;
        for &c in counts.iter().filter(|&&c| c > 0) {
            let freq = counts.iter().filter(|&&x| x == c).count();
            if freq > mode_freq || (freq == mode_freq && c > mode) {
                mode = c;
                mode_freq = freq;
            }
        }
        if mode == 0 {
            return None;
        }
        let agreement = mode_freq * 1000 / counts.len();
        Some(Score {
            header_agrees: header == mode,
            consistent: agreement >= 900,
            mode,
            agreement,
        })
    }
}

/// Per non-blank record, how often each candidate occurs outside quotes.
fn count_per_record(sample: &[u8]) -> Vec<[usize; 4]> {
    let mut records = Vec::new();
    let mut counts = [0usize; 4];
    let mut in_quotes = false;
    // Just saw a quote that may close the quoted field or start an escaped `""`.
    let mut after_quote = false;
    let mut at_field_start = true;
    let mut has_content = false;
    for &b in sample {
        if in_quotes {
            if b == b'"' {
                in_quotes = false;
                after_quote = true;
            }
            continue;
        }
        if after_quote {
            after_quote = false;
            if b == b'"' {
                in_quotes = true;
                continue;
            }
        }
        match b {
            b'"' if at_field_start => {
                in_quotes = true;
                at_field_start = false;
                has_content = true;
            }
            b'\n' | b'\r' => {
                if has_content {
                    records.push(counts);
                    if records.len() == SAMPLE_RECORDS {
                        return records;
                    }
                }
                counts = [0; 4];
                has_content = false;
                at_field_start = true;
            }
            _ => {
                if let Some(ci) = CANDIDATES.iter().position(|&c| c == b) {
                    counts[ci] += 1;
                    at_field_start = true;
                } else if b != b' ' {
                    at_field_start = false;
                }
                has_content = true;
            }
        }
    }
    if has_content {
        records.push(counts);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n1,5;2,5;3\n"), b';');
        assert_eq!(sniff_delimiter(b"name;amount\nx;1,5\ny;2,5\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\n\"x,y,z\"\t2\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c\n1|2|3\n"), b'|');
        assert_eq!(sniff_delimiter(b"single\nx\ny\n"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
        // Quoted delimiters do not count.
        assert_eq!(sniff_delimiter(b"a;b\n\"1,2,3\";4\n\"5,6,7\";8\n"), b';');
        // Escaped quotes inside quoted fields.
        assert_eq!(
            sniff_delimiter(b"a;b\n\"x\"\",y\";1\n\"p\"\"q,r\";2\n"),
            b';'
        );
        // A quoted field spanning lines is one record.
        assert_eq!(sniff_delimiter(b"a,b\n\"x;\ny;\nz\",2\n3,4\n"), b',');
    }

    #[test]
    fn mimetype_entry() {
        let mut zip = Vec::new();
        zip.extend_from_slice(b"PK\x03\x04");
        zip.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mime = b"application/vnd.oasis.opendocument.spreadsheet";
        zip.extend_from_slice(&(mime.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(mime.len() as u32).to_le_bytes());
        zip.extend_from_slice(&8u16.to_le_bytes());
        zip.extend_from_slice(&0u16.to_le_bytes());
        zip.extend_from_slice(b"mimetype");
        zip.extend_from_slice(mime);
        assert_eq!(first_entry_mimetype(&zip), Some(&mime[..]));
        assert_eq!(first_entry_mimetype(&zip[..40]), None);
    }
}
