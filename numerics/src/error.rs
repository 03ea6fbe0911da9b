//! Errors of the numerics crate.

use thiserror::Error;

/// Everything that can go wrong when building or running numerical objects.
///
/// Variants carry the offending value and what was allowed, so that a message can be
/// shown to a user unchanged.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum NumericsError {
    /// A scalar parameter lies outside its admissible range.
    #[error("{name} must be {allowed}, got {value}")]
    InvalidParameter {
        /// Parameter name as the user sees it (e.g. "learning rate").
        name: &'static str,
        /// Human-readable admissible range (e.g. "in (0, 1)").
        allowed: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// Two objects that must agree in dimension do not.
    #[error("dimension mismatch in {context}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// Where the mismatch was detected.
        context: &'static str,
        /// Expected dimension.
        expected: usize,
        /// Actual dimension.
        got: usize,
    },
    /// A numerical procedure did not converge within its budget.
    #[error("{method} did not converge after {iterations} iterations (residual {residual:e})")]
    NoConvergence {
        /// Name of the procedure.
        method: &'static str,
        /// Iterations performed.
        iterations: usize,
        /// Last residual.
        residual: f64,
    },
    /// A value became NaN or infinite.
    #[error("non-finite value in {0}")]
    NonFinite(&'static str),
    /// Anything else, with a message.
    #[error("{0}")]
    Other(String),
}

/// Result type of the numerics crate.
pub type Result<T> = std::result::Result<T, NumericsError>;

/// Returns `Ok(value)` if `value` is finite and `ok`, else an
/// [`NumericsError::InvalidParameter`] naming `name` and what is `allowed`.
pub(crate) fn check_finite_and(
    name: &'static str,
    allowed: &'static str,
    value: f64,
    ok: bool,
) -> Result<f64> {
    if value.is_finite() && ok {
        Ok(value)
    } else {
        Err(NumericsError::InvalidParameter {
            name,
            allowed,
            value,
        })
    }
}

/// Returns `Ok(value)` if `lo < value < hi` (open interval), else an
/// [`NumericsError::InvalidParameter`].
pub fn check_open(
    name: &'static str,
    allowed: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
) -> Result<f64> {
    check_finite_and(name, allowed, value, value > lo && value < hi)
}

/// Returns `Ok(value)` if `lo ≤ value ≤ hi` (closed interval), else an
/// [`NumericsError::InvalidParameter`].
pub fn check_closed(
    name: &'static str,
    allowed: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
) -> Result<f64> {
    check_finite_and(name, allowed, value, value >= lo && value <= hi)
}

/// Returns `Ok(value)` if `value` is finite and strictly positive.
pub fn check_positive(name: &'static str, value: f64) -> Result<f64> {
    check_open(name, "positive and finite", value, 0.0, f64::INFINITY)
}

/// Returns `Ok(value)` if the count `value` is at least `min` (1 or 2 in this crate),
/// else an [`NumericsError::InvalidParameter`] naming `name`.
pub fn check_count(name: &'static str, value: usize, min: usize) -> Result<usize> {
    if value >= min {
        return Ok(value);
    }
    let allowed = match min {
        0 | 1 => "at least 1",
        2 => "at least 2",
        _ => "larger",
    };
    Err(NumericsError::InvalidParameter {
        name,
        allowed,
        value: value as f64,
    })
}
