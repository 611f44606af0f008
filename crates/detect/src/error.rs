//! Errors of the detection library.

use std::path::Path;

use thiserror::Error;

/// Everything that can go wrong on user input (files, keys, parameters).
#[derive(Debug, Error)]
pub enum DetectError {
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A CSV file is malformed beyond one row (e.g. unreadable header).
    #[error("{path}: {message}")]
    Csv { path: String, message: String },
    /// Bad input or parameters.
    #[error("{0}")]
    Input(String),
    /// JSON (de)serialisation failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl DetectError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, e: std::io::Error) -> Self {
        DetectError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }

    /// A CSV error on `path`.
    pub fn csv(path: &Path, e: csv::Error) -> Self {
        DetectError::Csv {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = DetectError> = std::result::Result<T, E>;
