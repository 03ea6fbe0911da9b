//! Errors of the theory crate.

use thiserror::Error;

/// A check could not be set up or run (a statement that does not hold is *not* an
/// error: it is a case verdict).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TheoryError {
    /// A numerical building block failed.
    #[error(transparent)]
    Numerics(#[from] numerics::NumericsError),
    /// An id given by the user matches no check.
    #[error("no check with id '{0}' (run `igo check --list` for the ids)")]
    UnknownCheck(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// Result type of the theory crate.
pub type Result<T> = std::result::Result<T, TheoryError>;
