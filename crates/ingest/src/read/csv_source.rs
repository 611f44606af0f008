//! Streaming reader for delimited text (CSV, TSV, ...).
//!
//! Records are parsed with `csv-core` directly (rather than through
//! `csv::Reader`) so that the raw bytes pass through this module: line
//! numbers are counted here exactly (`\n`, `\r\n` and a lone `\r` are each
//! one line break, blank lines included), which `csv::Reader` positions do
//! not do for CRLF files or blank lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use csv_core::ReadRecordResult;
use encoding_rs::Encoding;
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

use super::error::{encoding_hint, guess_encoding, hex_bytes, utf16_without_bom, ReadError};
use super::{clean_header, display_name, is_blank, RawRow, ReadOptions, RowSource};

const BUF_LEN: usize = 64 * 1024;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How the bytes of the file reach the parser.
#[derive(Debug, Clone, Copy)]
enum Decoding {
    /// UTF-8 as is; `base` bytes (a BOM) were skipped before the parser.
    Raw { base: u64 },
    /// Transcoded to UTF-8; `None` means "as the BOM says".
    Transcoded { encoding: Option<&'static Encoding> },
}

/// Where a record starts, in the stream the parser sees.
#[derive(Debug, Clone, Copy)]
struct RecordStart {
    /// 1-based line of the record's first byte.
    line: u64,
    /// Offset of the record's first byte in the parser's input.
    offset: u64,
    /// The record was ended by the end of the input rather than a line break.
    at_eof: bool,
}

/// Counts bytes read from the file.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A record parser over a byte stream that keeps track of line numbers.
struct Parser {
    core: csv_core::Reader,
    delimiter: u8,
    input: BufReader<Box<dyn Read + Send>>,
    /// Field bytes of the current record: back to back if it was parsed by
    /// `csv-core`, or the raw line with one delimiter between fields if it
    /// took the fast path (see `separated`).
    fields: Vec<u8>,
    /// End offset in `fields` of each field.
    ends: Vec<usize>,
    nfields: usize,
    /// Fields in `fields` are separated by one delimiter byte.
    separated: bool,
    /// Line of the next unconsumed byte.
    line: u64,
    /// The last consumed byte was `\r` (a following `\n` is the same break).
    pending_cr: bool,
    /// Bytes consumed.
    offset: u64,
}

impl Parser {
    fn new(input: Box<dyn Read + Send>, delimiter: u8) -> Self {
        Parser {
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            input: BufReader::with_capacity(BUF_LEN, input),
            fields: vec![0; 4096],
            ends: vec![0; 64],
            nfields: 0,
            separated: false,
            line: 1,
            pending_cr: false,
            offset: 0,
        }
    }

    /// Reads the next record; `None` at the end of the input.
    fn read(&mut self) -> io::Result<Option<RecordStart>> {
        // Skip line breaks (blank lines and the rest of a CRLF) ourselves, so
        // that the record starts at a known line.
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let n = buf
                .iter()
                .position(|&b| b != b'\n' && b != b'\r')
                .unwrap_or(buf.len());
            let more = n == buf.len();
            self.line += count_breaks(&buf[..n], &mut self.pending_cr);
            self.input.consume(n);
            self.offset += n as u64;
            if !more {
                break;
            }
        }
        let (line, offset) = (self.line, self.offset);
        if self.read_plain_line()? {
            return Ok(Some(RecordStart {
                line,
                offset,
                at_eof: false,
            }));
        }
        self.separated = false;
        let (mut outlen, mut endlen) = (0, 0);
        loop {
            let buf = self.input.fill_buf()?;
            let at_eof = buf.is_empty();
            let (res, nin, nout, nend) =
                self.core
                    .read_record(buf, &mut self.fields[outlen..], &mut self.ends[endlen..]);
            self.line += count_breaks(&buf[..nin], &mut self.pending_cr);
            self.input.consume(nin);
            self.offset += nin as u64;
            outlen += nout;
            endlen += nend;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let len = self.fields.len() * 2;
                    self.fields.resize(len, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                ReadRecordResult::Record => {
                    self.nfields = endlen;
                    return Ok(Some(RecordStart {
                        line,
                        offset,
                        at_eof,
                    }));
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    /// Fast path for the common case: if the buffer holds a whole line (up to
    /// a line break) without any double quote, it is one record whose fields
    /// are split by the delimiter, exactly as `csv-core` would parse it (its
    /// state between records needs no update). Returns false otherwise.
    fn read_plain_line(&mut self) -> io::Result<bool> {
        let buf = self.input.fill_buf()?;
        let Some(len) = memchr::memchr2(b'\n', b'\r', buf) else {
            return Ok(false);
        };
        let line = &buf[..len];
        if len == 0 || memchr::memchr(b'"', line).is_some() {
            return Ok(false);
        }
        if self.fields.len() < len {
            self.fields.resize(len.next_power_of_two(), 0);
        }
        self.fields[..len].copy_from_slice(line);
        // Fields are short: a plain loop beats a memchr call per field.
        let mut n = 0;
        let delimiter = self.delimiter;
        let ends = line
            .iter()
            .enumerate()
            .filter_map(|(i, &b)| (b == delimiter).then_some(i));
        for end in ends.chain([len]) {
            if n == self.ends.len() {
                self.ends.resize(n * 2, 0);
            }
            self.ends[n] = end;
            n += 1;
        }
        self.nfields = n;
        self.separated = true;
        self.input.consume(len);
        self.offset += len as u64;
        Ok(true)
    }

    /// Start and end of field `i` in `fields`.
    #[inline]
    fn field_bounds(&self, i: usize) -> (usize, usize) {
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] + usize::from(self.separated),
        };
        (start, self.ends[i])
    }

    fn record_bytes(&self) -> &[u8] {
        &self.fields[..self.ends[..self.nfields].last().copied().unwrap_or(0)]
    }
}

/// Line breaks in `bytes`: each `\n`, `\r\n` and lone `\r` is one.
fn count_breaks(bytes: &[u8], pending_cr: &mut bool) -> u64 {
    let Some(&last) = bytes.last() else {
        return 0;
    };
    let lf = bytes.iter().filter(|&&b| b == b'\n').count();
    let cr = bytes.iter().filter(|&&b| b == b'\r').count();
    let mut breaks = lf + cr;
    if *pending_cr && bytes[0] == b'\n' {
        breaks -= 1;
    }
    if cr > 0 {
        breaks -= bytes.windows(2).filter(|w| w == b"\r\n").count();
    }
    *pending_cr = last == b'\r';
    breaks as u64
}

/// Resolves a WHATWG encoding label.
pub(crate) fn lookup_encoding(file: &str, label: &str) -> Result<&'static Encoding, ReadError> {
    match Encoding::for_label(label.trim().as_bytes()) {
        Some(encoding) if encoding != encoding_rs::REPLACEMENT => Ok(encoding),
        _ => Err(ReadError::Unsupported {
            file: file.to_owned(),
            detail: format!("unknown text encoding \"{label}\""),
            hint: "use a standard encoding name such as utf-8, windows-1252, latin1, iso-8859-15, utf-16le or utf-16be".to_owned(),
        }),
    }
}

fn decoder<R: Read>(
    inner: R,
    encoding: Option<&'static Encoding>,
) -> io::Result<DecodeReaderBytes<R, Vec<u8>>> {
    DecodeReaderBytesBuilder::new()
        .encoding(encoding)
        .bom_sniffing(true)
        .strip_bom(true)
        .build_with_buffer(inner, vec![0; BUF_LEN])
}

/// A [`RowSource`] over delimited text.
pub(crate) struct CsvSource {
    file: String,
    path: PathBuf,
    delimiter: u8,
    decoding: Decoding,
    parser: Parser,
    headers: Vec<String>,
    bytes_read: Arc<AtomicU64>,
    finished: bool,
}

impl CsvSource {
    pub(crate) fn open(path: &Path, delimiter: u8, opts: &ReadOptions) -> Result<Self, ReadError> {
        let file = display_name(path);
        let io_err = |e| ReadError::io(&file, e);
        let mut f = File::open(path).map_err(io_err)?;
        let mut head = Vec::with_capacity(4096);
        (&mut f).take(4096).read_to_end(&mut head).map_err(io_err)?;
        f.rewind().map_err(io_err)?;
        let explicit = opts
            .encoding
            .as_deref()
            .map(|label| lookup_encoding(&file, label))
            .transpose()?;

        let bytes_read = Arc::new(AtomicU64::new(0));
        let counting = |f: File| Counting {
            inner: f,
            count: Arc::clone(&bytes_read),
        };
        let (input, decoding): (Box<dyn Read + Send>, Decoding) =
            if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
                let input = decoder(counting(f), None).map_err(io_err)?;
                (Box::new(input), Decoding::Transcoded { encoding: None })
            } else if head.starts_with(UTF8_BOM) {
                let base = UTF8_BOM.len() as u64;
                f.seek(SeekFrom::Start(base)).map_err(io_err)?;
                bytes_read.store(base, Ordering::Relaxed);
                (Box::new(counting(f)), Decoding::Raw { base })
            } else if let Some(encoding) = explicit.filter(|&e| e != encoding_rs::UTF_8) {
                let input = decoder(counting(f), Some(encoding)).map_err(io_err)?;
                let decoding = Decoding::Transcoded {
                    encoding: Some(encoding),
                };
                (Box::new(input), decoding)
            } else {
                if explicit.is_none() {
                    if let Some(guess) = utf16_without_bom(&head) {
                        return Err(ReadError::Encoding {
                            file,
                            line: 1,
                            byte_offset: 0,
                            detail: "the text is not UTF-8: every other byte is a NUL byte (0x00)"
                                .to_owned(),
                            hint: encoding_hint(guess),
                        });
                    }
                }
                (Box::new(counting(f)), Decoding::Raw { base: 0 })
            };

        let mut source = CsvSource {
            file,
            path: path.to_owned(),
            delimiter,
            decoding,
            parser: Parser::new(input, delimiter),
            headers: Vec::new(),
            bytes_read,
            finished: false,
        };
        source.read_headers(opts.header_row)?;
        Ok(source)
    }

    fn read_headers(&mut self, header_row: Option<usize>) -> Result<(), ReadError> {
        let first_line = header_row.unwrap_or(1).max(1) as u64;
        let mut cells = Vec::new();
        loop {
            let Some(start) = self.read_record()? else {
                return Err(ReadError::Empty {
                    file: self.file.clone(),
                });
            };
            if start.line < first_line {
                continue;
            }
            self.convert(&start, &mut cells)?;
            if is_blank(&cells) {
                continue;
            }
            if start.at_eof {
                self.check_final_record(&start)?;
            }
            self.headers = cells.iter().map(|c| clean_header(c)).collect();
            return Ok(());
        }
    }

    fn read_record(&mut self) -> Result<Option<RecordStart>, ReadError> {
        self.parser.read().map_err(|e| ReadError::io(&self.file, e))
    }

    /// Converts the current record to text cells, reusing `cells`.
    fn convert(&self, start: &RecordStart, cells: &mut Vec<String>) -> Result<(), ReadError> {
        let n = self.parser.nfields;
        cells.truncate(n);
        // Validate the whole record at once (fast for ASCII); a field is then
        // valid UTF-8 if it starts and ends on character boundaries.
        let Ok(all) = std::str::from_utf8(self.parser.record_bytes()) else {
            return Err(self.encoding_error(start));
        };
        for i in 0..n {
            let (begin, end) = self.parser.field_bounds(i);
            let Some(text) = all.get(begin..end) else {
                return Err(self.encoding_error(start));
            };
            match cells.get_mut(i) {
                Some(cell) => {
                    cell.clear();
                    cell.push_str(text);
                }
                None => cells.push(text.to_owned()),
            }
        }
        Ok(())
    }

    fn read_into(&mut self, row: &mut RawRow) -> Result<bool, ReadError> {
        loop {
            let Some(start) = self.read_record()? else {
                return Ok(false);
            };
            self.convert(&start, &mut row.cells)?;
            if is_blank(&row.cells) {
                continue;
            }
            if start.at_eof {
                self.check_final_record(&start)?;
            }
            row.number = start.line;
            return Ok(true);
        }
    }

    /// Builds the error for invalid UTF-8 in the record starting at `start`,
    /// locating the offending bytes exactly by re-reading the raw file.
    fn encoding_error(&self, start: &RecordStart) -> ReadError {
        let base = match self.decoding {
            Decoding::Raw { base } => base,
            // Transcoding always yields UTF-8, so this is not expected.
            Decoding::Transcoded { .. } => {
                return ReadError::Encoding {
                    file: self.file.clone(),
                    line: start.line,
                    byte_offset: start.offset,
                    detail: "invalid UTF-8 after transcoding".to_owned(),
                    hint: "re-save the file as UTF-8".to_owned(),
                };
            }
        };
        let record_offset = base + start.offset;
        match locate_invalid_utf8(&self.path, record_offset) {
            Ok(Some(bad)) => ReadError::Encoding {
                file: self.file.clone(),
                line: start.line + bad.breaks,
                byte_offset: bad.offset,
                detail: format!(
                    "invalid UTF-8: the byte sequence {} cannot be decoded (near \"{}\")",
                    hex_bytes(&bad.bytes),
                    bad.context
                ),
                hint: encoding_hint(guess_encoding(&bad.bytes)),
            },
            _ => ReadError::Encoding {
                file: self.file.clone(),
                line: start.line,
                byte_offset: record_offset,
                detail: "invalid UTF-8 in the record starting here".to_owned(),
                hint: encoding_hint(guess_encoding(self.parser.record_bytes())),
            },
        }
    }

    /// The last record of the file spans several lines: make sure this is not
    /// because a quoted field is never closed (which would swallow the rest
    /// of the file into one cell).
    fn check_final_record(&self, start: &RecordStart) -> Result<(), ReadError> {
        if !self
            .parser
            .record_bytes()
            .iter()
            .any(|&b| b == b'\n' || b == b'\r')
        {
            return Ok(());
        }
        let io_err = |e| ReadError::io(&self.file, e);
        let mut f = File::open(&self.path).map_err(io_err)?;
        let input: Box<dyn Read> = match self.decoding {
            Decoding::Raw { base } => {
                f.seek(SeekFrom::Start(base + start.offset))
                    .map_err(io_err)?;
                Box::new(f)
            }
            Decoding::Transcoded { encoding } => {
                let mut input = decoder(f, encoding).map_err(io_err)?;
                io::copy(&mut (&mut input).take(start.offset), &mut io::sink()).map_err(io_err)?;
                Box::new(input)
            }
        };
        match unclosed_quote_line(input, self.delimiter, start.line).map_err(io_err)? {
            Some(line) => Err(ReadError::Csv {
                file: self.file.clone(),
                line,
                detail: "a quoted field starting on this line is never closed (unmatched double quote), so everything after it would be read as one cell; a quote inside a quoted field must be doubled (\"\")".to_owned(),
            }),
            None => Ok(()),
        }
    }
}

impl RowSource for CsvSource {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn sheet(&self) -> Option<&str> {
        None
    }

    fn next_row(&mut self) -> Result<Option<RawRow>, ReadError> {
        let mut row = RawRow::default();
        Ok(self.read_row_into(&mut row)?.then_some(row))
    }

    fn rows_hint(&self) -> Option<u64> {
        None
    }

    fn bytes_read(&self) -> Option<u64> {
        Some(self.bytes_read.load(Ordering::Relaxed))
    }

    fn read_row_into(&mut self, row: &mut RawRow) -> Result<bool, ReadError> {
        if self.finished {
            return Ok(false);
        }
        let result = self.read_into(row);
        if !matches!(result, Ok(true)) {
            // End of input or a fatal error: the stream is over.
            self.finished = true;
        }
        result
    }
}

/// Invalid UTF-8 found in a file.
#[derive(Debug)]
struct InvalidUtf8 {
    /// Offset of the first offending byte in the file.
    offset: u64,
    /// Line breaks between the starting point and the offending bytes.
    breaks: u64,
    /// The offending bytes.
    bytes: Vec<u8>,
    /// Some text around them, for the message.
    context: String,
}

/// Finds the first invalid UTF-8 sequence in `path` at or after `from`
/// (which must be at a character boundary). Gives up after 64 MiB.
fn locate_invalid_utf8(path: &Path, from: u64) -> io::Result<Option<InvalidUtf8>> {
    const LIMIT: u64 = 64 << 20;
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0u8; BUF_LEN];
    let mut len = 0;
    let mut scanned = 0u64;
    let mut breaks = 0u64;
    let mut pending_cr = false;
    while scanned < LIMIT {
        let n = f.read(&mut buf[len..])?;
        let eof = n == 0;
        len += n;
        let chunk = &buf[..len];
        let (valid, bad_len) = match std::str::from_utf8(chunk) {
            Ok(_) if eof => return Ok(None),
            Ok(_) => (len, None),
            Err(e) => match e.error_len() {
                Some(bad) => (e.valid_up_to(), Some(bad)),
                None if eof => (e.valid_up_to(), Some(len - e.valid_up_to())),
                // An incomplete sequence at the end of the chunk: read on.
                None => (e.valid_up_to(), None),
            },
        };
        if let Some(bad_len) = bad_len {
            breaks += count_breaks(&chunk[..valid], &mut pending_cr);
            let line_start = chunk[..valid]
                .iter()
                .rposition(|&b| b == b'\n' || b == b'\r')
                .map_or(0, |p| p + 1)
                .max(valid.saturating_sub(24));
            let context_end = (valid + bad_len + 8).min(len);
            let context = String::from_utf8_lossy(&chunk[line_start..context_end]);
            let context: String = context
                .split(['\n', '\r'])
                .next()
                .unwrap_or_default()
                .escape_debug()
                .collect();
            return Ok(Some(InvalidUtf8 {
                offset: from + scanned + valid as u64,
                breaks,
                bytes: chunk[valid..valid + bad_len].to_vec(),
                context,
            }));
        }
        breaks += count_breaks(&chunk[..valid], &mut pending_cr);
        scanned += valid as u64;
        buf.copy_within(valid..len, 0);
        len -= valid;
    }
    Ok(None)
}

/// Scans text that starts at a record boundary on line `line` to its end;
/// returns the line where a quoted field opens that is never closed.
fn unclosed_quote_line(input: impl Read, delimiter: u8, mut line: u64) -> io::Result<Option<u64>> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut opened_on = line;
    let mut prev_cr = false;
    let mut input = BufReader::with_capacity(BUF_LEN, input);
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        for &b in buf {
            let is_break = b == b'\r' || (b == b'\n' && !prev_cr);
            state = match state {
                State::Quoted => {
                    if b == b'"' {
                        State::QuoteInQuoted
                    } else {
                        State::Quoted
                    }
                }
                State::FieldStart if b == b'"' => {
                    opened_on = line;
                    State::Quoted
                }
                State::QuoteInQuoted if b == b'"' => State::Quoted,
                _ if b == delimiter || b == b'\n' || b == b'\r' => State::FieldStart,
                _ => State::Unquoted,
            };
            if is_break {
                line += 1;
            }
            prev_cr = b == b'\r';
        }
        let n = buf.len();
        input.consume(n);
    }
    Ok((state == State::Quoted).then_some(opened_on))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks() {
        let mut cr = false;
        assert_eq!(count_breaks(b"a\nb\r\nc\rd", &mut cr), 3);
        assert!(!cr);
        assert_eq!(count_breaks(b"a\r", &mut cr), 1);
        assert!(cr);
        assert_eq!(count_breaks(b"\nb", &mut cr), 0);
        assert_eq!(count_breaks(b"", &mut cr), 0);
        assert_eq!(count_breaks(b"\r\r\n\n", &mut cr), 3);
    }

    #[test]
    fn unclosed_quotes() {
        let scan = |text: &str| unclosed_quote_line(text.as_bytes(), b',', 5).unwrap();
        assert_eq!(scan("a,\"b\nc\",d"), None);
        assert_eq!(scan("a,\"b\"\"\nc\",d\r\ne,f"), None);
        assert_eq!(scan("a,5\" x\ny,z"), None);
        assert_eq!(scan("a,b\r\nc,\"d\ne,f\ng"), Some(6));
        assert_eq!(scan("\"a\"\"\n"), Some(5));
    }
}
