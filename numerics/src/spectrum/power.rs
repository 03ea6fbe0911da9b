//! Power iteration for the dominant eigenvalue magnitude (spectral radius) of any
//! linear operator, symmetric or not.

use super::operator::LinearOperator;
use crate::{NumericsError, Result, Vector};

/// The output of [`PowerIteration::run`].
#[derive(Debug, Clone, PartialEq)]
pub struct PowerResult {
    /// Spectral-radius estimate ρ̂ = ‖Av‖ for the last unit iterate v.
    pub value: f64,
    /// Rayleigh quotient vᵀAv: the signed dominant eigenvalue when A is symmetric.
    pub rayleigh: f64,
    /// The last unit iterate v (dominant eigenvector estimate).
    pub vector: Vector,
    /// Number of applications of A.
    pub iterations: usize,
    /// Whether the relative change |ρ̂ₖ − ρ̂ₖ₋₁|/ρ̂ₖ fell below the tolerance.
    pub converged: bool,
}

/// Power iteration vₖ₊₁ = Avₖ/‖Avₖ‖ with ρ̂ₖ = ‖Avₖ‖, stopped when the relative change
/// |ρ̂ₖ − ρ̂ₖ₋₁| < `tolerance`·ρ̂ₖ (spec §0.3: 1e−10), with the iteration count
/// reported.
///
/// ρ̂ₖ → ρ(A) when the start vector has a component along the dominant eigenvector and
/// the dominant eigenvalues are ±ρ (a real Perron root, as for positive maps, or a
/// symmetric A). A complex dominant pair makes ρ̂ oscillate: the run then ends
/// unconverged. The error after stopping is about `tolerance`·r/(1 − r) with
/// r = |λ₂|/|λ₁|, so slow gaps need a tighter tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerIteration {
    tolerance: f64,
    max_iterations: usize,
}

impl Default for PowerIteration {
    fn default() -> Self {
        Self::new()
    }
}

impl PowerIteration {
    /// Tolerance 1e−10 (spec §0.3) and at most 100 000 iterations.
    #[must_use]
    pub fn new() -> Self {
        Self {
            tolerance: 1e-10,
            max_iterations: 100_000,
        }
    }

    /// Sets the relative-change tolerance.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] unless `tolerance` is in (0, 1).
    pub fn with_tolerance(mut self, tolerance: f64) -> Result<Self> {
        self.tolerance = crate::error::check_open(
            "power-iteration tolerance",
            "in (0, 1)",
            tolerance,
            0.0,
            1.0,
        )?;
        Ok(self)
    }

    /// Sets the iteration budget.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] if `iterations == 0`.
    pub fn with_max_iterations(mut self, iterations: usize) -> Result<Self> {
        crate::error::check_count("power-iteration budget", iterations, 1)?;
        self.max_iterations = iterations;
        Ok(self)
    }

    /// Runs from `start` (normalised here).
    ///
    /// # Errors
    /// [`NumericsError::DimensionMismatch`] if `start.len() != a.dim()`;
    /// [`NumericsError::InvalidParameter`] if `start` is zero;
    /// [`NumericsError::NonFinite`] if the iterates overflow or A produces NaN.
    /// An exhausted budget is not an error: see [`PowerResult::converged`].
    pub fn run<A: LinearOperator + ?Sized>(&self, a: &A, start: &Vector) -> Result<PowerResult> {
        let n = a.dim();
        if start.len() != n {
            return Err(NumericsError::DimensionMismatch {
                context: "power iteration: start vector",
                expected: n,
                got: start.len(),
            });
        }
        let norm = start.norm();
        if !(norm > 0.0 && norm.is_finite()) {
            return Err(NumericsError::InvalidParameter {
                name: "power-iteration start vector norm",
                allowed: "positive and finite",
                value: norm,
            });
        }
        let mut v = start / norm;
        let mut previous = f64::NAN;
        for iteration in 1..=self.max_iterations {
            let w = a.apply(&v);
            if w.len() != n {
                return Err(NumericsError::DimensionMismatch {
                    context: "power iteration: operator output",
                    expected: n,
                    got: w.len(),
                });
            }
            let rayleigh = v.dot(&w);
            let value = w.norm();
            if !value.is_finite() {
                return Err(NumericsError::NonFinite("power iteration"));
            }
            if value == 0.0 {
                // A v = 0: v is in the kernel; every further iterate is 0.
                return Ok(PowerResult {
                    value,
                    rayleigh,
                    vector: v,
                    iterations: iteration,
                    converged: true,
                });
            }
            let converged = (value - previous).abs() < self.tolerance * value;
            previous = value;
            let next = w / value;
            if converged {
                return Ok(PowerResult {
                    value,
                    rayleigh,
                    vector: next,
                    iterations: iteration,
                    converged: true,
                });
            }
            v = next;
        }
        let w = a.apply(&v);
        Ok(PowerResult {
            value: w.norm(),
            rayleigh: v.dot(&w),
            vector: v,
            iterations: self.max_iterations,
            converged: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Matrix;
    use approx::assert_relative_eq;

    #[test]
    fn power_iteration_reports_iterations_and_signed_eigenvalue() {
        // Eigenvalues −2, 1, 0.5: ρ = 2 with Rayleigh quotient −2. ‖Av‖ converges like
        // r^{2k} with r = 1/2, so about log4(1e10) ≈ 17 iterations.
        let a = Matrix::from_diagonal(&Vector::from_vec(vec![1.0, -2.0, 0.5]));
        let r = PowerIteration::new()
            .run(&a, &Vector::from_element(3, 1.0))
            .unwrap();
        assert!(r.converged);
        assert_relative_eq!(r.value, 2.0, epsilon = 1e-9);
        assert_relative_eq!(r.rayleigh, -2.0, epsilon = 1e-9);
        assert!(r.iterations > 10 && r.iterations < 30, "{}", r.iterations);
    }

    #[test]
    fn power_iteration_on_a_non_symmetric_matrix() {
        // Upper triangular with eigenvalues 0.9 and 0.3.
        let a = Matrix::from_row_slice(2, 2, &[0.9, 5.0, 0.0, 0.3]);
        let r = PowerIteration::new()
            .run(&a, &Vector::from_element(2, 1.0))
            .unwrap();
        assert_relative_eq!(r.value, 0.9, epsilon = 1e-8);
    }

    #[test]
    fn power_iteration_rejects_bad_start() {
        let a = Matrix::identity(2, 2);
        assert!(PowerIteration::new().run(&a, &Vector::zeros(2)).is_err());
        assert!(PowerIteration::new().run(&a, &Vector::zeros(3)).is_err());
    }
}
