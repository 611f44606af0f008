//! Errors of the linkage library. Every failure on user data (files, settings, encodings) is one
//! of these; nothing is linked on a guess.

use thiserror::Error;

/// Everything that can go wrong while reading data, validating settings, training, scoring or
/// comparing privacy-preserving encodings.
#[derive(Debug, Error)]
pub enum LinkError {
    /// A data file could not be read.
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    /// The settings file is not valid TOML for [`crate::Settings`].
    #[error("invalid settings: {0}")]
    Settings(String),
    /// The settings name a column that the data does not have.
    #[error("the settings name column `{column}` ({used_in}) but dataset `{dataset}` does not have it (available columns: {available})")]
    UnknownColumn {
        column: String,
        used_in: String,
        dataset: String,
        available: String,
    },
    /// Linking needs datasets with the same identifying columns.
    #[error("datasets disagree: {0}")]
    Datasets(String),
    /// A saved model could not be read or does not fit the settings/data.
    #[error("invalid model: {0}")]
    Model(String),
    /// Two encodings (or an encoding and a schema) were made under different linkage schemas or
    /// secrets; comparing them would be meaningless.
    #[error("encoding schema mismatch: {what} has fingerprint {found}, expected {expected} (the parties must use the same linkage schema and the same shared secret)")]
    SchemaMismatch {
        what: String,
        expected: String,
        found: String,
    },
    /// The linkage schema itself is invalid.
    #[error("invalid linkage schema: {0}")]
    Schema(String),
    /// An encoding has the wrong length or is not valid base64/hex.
    #[error("invalid encoding: {0}")]
    Encoding(String),
    /// JSON (de)serialisation of a model or encodings failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// I/O on a model or encodings file.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias of this crate.
pub type Result<T, E = LinkError> = std::result::Result<T, E>;
