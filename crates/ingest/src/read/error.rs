//! Errors of the tabular readers.

use std::fmt::Write as _;

/// Why a table could not be read. Every message starts with the file name and
/// fits on one line.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// File name.
        file: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The text is not valid in the expected encoding.
    #[error("{file}: line {line} (byte offset {byte_offset}): {detail}; hint: {hint}")]
    Encoding {
        /// File name.
        file: String,
        /// 1-based line of the offending bytes.
        line: u64,
        /// 0-based byte offset of the offending bytes in the file.
        byte_offset: u64,
        /// What is wrong, including the offending bytes in hex.
        detail: String,
        /// What to do about it.
        hint: String,
    },
    /// Malformed delimited text (e.g. a quote that is never closed).
    #[error("{file}: line {line}: {detail}")]
    Csv {
        /// File name.
        file: String,
        /// 1-based line where the problem starts.
        line: u64,
        /// What is wrong.
        detail: String,
    },
    /// A truncated, corrupt or otherwise unreadable workbook.
    #[error("{file}: cannot read the workbook: {detail}; hint: {hint}")]
    Workbook {
        /// File name.
        file: String,
        /// What the workbook parser reported.
        detail: String,
        /// What to do about it.
        hint: String,
    },
    /// The requested sheet does not exist.
    #[error("{file}: there is no sheet named \"{sheet}\"; the available sheets are: {}", quoted_list(.available))]
    NoSuchSheet {
        /// File name.
        file: String,
        /// The sheet asked for.
        sheet: String,
        /// The sheets the workbook has.
        available: Vec<String>,
    },
    /// A corrupt or unreadable Parquet file.
    #[error("{file}: cannot read the Parquet file: {detail}")]
    Parquet {
        /// File name.
        file: String,
        /// What the Parquet reader reported.
        detail: String,
    },
    /// There is no header row: the table (or sheet) is empty.
    #[error("{file}: no header row found: the table is empty")]
    Empty {
        /// File name.
        file: String,
    },
    /// A format or option this reader does not handle.
    #[error("{file}: {detail}; hint: {hint}")]
    Unsupported {
        /// File name.
        file: String,
        /// What is not supported.
        detail: String,
        /// What to do instead.
        hint: String,
    },
}

impl ReadError {
    /// The file name the error is about.
    pub fn file(&self) -> &str {
        match self {
            ReadError::Io { file, .. }
            | ReadError::Encoding { file, .. }
            | ReadError::Csv { file, .. }
            | ReadError::Workbook { file, .. }
            | ReadError::NoSuchSheet { file, .. }
            | ReadError::Parquet { file, .. }
            | ReadError::Empty { file }
            | ReadError::Unsupported { file, .. } => file,
        }
    }

    /// The hint for the user, if the error has one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            ReadError::Encoding { hint, .. }
            | ReadError::Workbook { hint, .. }
            | ReadError::Unsupported { hint, .. } => Some(hint),
            _ => None,
        }
    }

    pub(crate) fn io(file: &str, source: std::io::Error) -> Self {
        ReadError::Io {
            file: file.to_owned(),
            source,
        }
    }

    pub(crate) fn parquet(file: &str, detail: impl std::fmt::Display) -> Self {
        ReadError::Parquet {
            file: file.to_owned(),
            detail: one_line(&detail.to_string()),
        }
    }
}

fn quoted_list(items: &[String]) -> String {
    if items.is_empty() {
        return "(none)".to_owned();
    }
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "\"{item}\"");
    }
    out
}

/// Collapses line breaks (and runs of whitespace around them) into single
/// spaces so that messages stay on one line.
pub(crate) fn one_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bytes as `0xE9 0x20`.
pub(crate) fn hex_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "0x{b:02X}");
    }
    out
}

/// Which encoding a byte sample that is not UTF-8 most likely uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EncodingGuess {
    Utf16Le,
    Utf16Be,
    Windows1252,
}

/// Guesses the encoding of a sample that failed UTF-8 validation.
pub(crate) fn guess_encoding(sample: &[u8]) -> EncodingGuess {
    utf16_without_bom(sample).unwrap_or(EncodingGuess::Windows1252)
}

/// Recognises UTF-16 text without a byte-order mark by its many NUL bytes
/// at either the odd (little-endian) or the even (big-endian) positions.
pub(crate) fn utf16_without_bom(sample: &[u8]) -> Option<EncodingGuess> {
    let sample = &sample[..sample.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_nul = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    if odd_nul * 10 >= pairs * 4 && even_nul * 20 <= pairs {
        Some(EncodingGuess::Utf16Le)
    } else if even_nul * 10 >= pairs * 4 && odd_nul * 20 <= pairs {
        Some(EncodingGuess::Utf16Be)
    } else {
        None
    }
}

/// The user-facing hint for a text that is not UTF-8.
pub(crate) fn encoding_hint(guess: EncodingGuess) -> String {
    match guess {
        EncodingGuess::Utf16Le => "the file is not UTF-8; it looks like UTF-16 (little-endian) without a byte-order mark — pass --encoding utf-16le or re-save as UTF-8".to_owned(),
        EncodingGuess::Utf16Be => "the file is not UTF-8; it looks like UTF-16 (big-endian) without a byte-order mark — pass --encoding utf-16be or re-save as UTF-8".to_owned(),
        EncodingGuess::Windows1252 => "the file is not UTF-8; it looks like Windows-1252/Latin-1 — pass --encoding windows-1252 or re-save as UTF-8".to_owned(),
    }
}
