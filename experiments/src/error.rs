//! Errors of the experiments crate.

use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong in an experiment, with enough context to fix it: the
/// file and byte offset for bad data, the key and allowed range for a bad config value.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A data file is malformed.
    #[error("{path} (byte offset {offset}): {message}")]
    Data {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first bad record or field.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A configuration value is invalid.
    #[error("config key `{key}`: {message}")]
    Config {
        /// The key, as written in the config file or flag (`optimizer.momentum`).
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// An error raised by candle.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// An error raised by the numerics crate.
    #[error(transparent)]
    Numerics(#[from] numerics::NumericsError),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl ExperimentError {
    /// An [`ExperimentError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ExperimentError::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`ExperimentError::Data`] for `path` at `offset`.
    pub fn data(path: impl Into<PathBuf>, offset: u64, message: impl Into<String>) -> Self {
        ExperimentError::Data {
            path: path.into(),
            offset,
            message: message.into(),
        }
    }

    /// An [`ExperimentError::Config`] for `key`.
    pub fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        ExperimentError::Config {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Result type of the experiments crate.
pub type Result<T> = std::result::Result<T, ExperimentError>;
