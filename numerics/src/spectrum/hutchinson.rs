//! Hutchinson's trace estimator tr(A) ≈ (1/m) Σ zⱼᵀAzⱼ with Rademacher probes.

use super::operator::LinearOperator;
use crate::rng::Rng;
use crate::stats::RunningStats;
use crate::{Result, Vector};
use rand::Rng as _;

/// A Monte-Carlo trace estimate with its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceEstimate {
    /// Sample mean of zᵀAz.
    pub mean: f64,
    /// Standard error s/√m of the mean.
    pub std_error: f64,
    /// Number of probes m.
    pub probes: usize,
}

/// tr(A) ≈ (1/m) Σⱼ zⱼᵀAzⱼ with i.i.d. Rademacher probes zⱼ ∈ {±1}ⁿ
/// (E\[zzᵀ\] = I, so E\[zᵀAz\] = tr A; Var = 2Σ_{i≠j} A_ij² for symmetric A).
///
/// ```
/// use numerics::spectrum::hutchinson_trace;
/// use numerics::{Matrix, Seed};
/// let a = Matrix::from_diagonal(&nalgebra::dvector![1.0, 2.0, 3.0]);
/// let t = hutchinson_trace(&a, 10, &mut Seed(0).stream("probes")).unwrap();
/// assert!((t.mean - 6.0).abs() < 1e-12); // diagonal A: every probe gives tr A exactly
/// ```
///
/// # References
/// Hutchinson (1990), *Commun. Stat. Simul. Comput.* 19(2); Avron & Toledo (2011).
///
/// # Errors
/// [`crate::NumericsError::InvalidParameter`] if `probes < 2` (no standard error otherwise).
pub fn hutchinson_trace<A: LinearOperator + ?Sized>(
    a: &A,
    probes: usize,
    rng: &mut Rng,
) -> Result<TraceEstimate> {
    crate::error::check_count("number of Hutchinson probes", probes, 2)?;
    let n = a.dim();
    let mut stats = RunningStats::new();
    for _ in 0..probes {
        let z = Vector::from_fn(n, |_, _| if rng.random::<bool>() { 1.0 } else { -1.0 });
        stats.push(z.dot(&a.apply(&z)));
    }
    Ok(TraceEstimate {
        mean: stats.mean(),
        std_error: stats.std_error(),
        probes,
    })
}
