//! Quadratic f(x) = ½ xᵀAx + cᵀx + e with symmetric A.

use super::Objective;
use crate::{Matrix, NumericsError, Result, Vector};

/// f(x) = ½ xᵀAx + cᵀx + e, A symmetric; ∇f = Ax + c, ∇²f = A.
///
/// ```
/// use numerics::objective::{Objective, Quadratic};
/// use nalgebra::{DMatrix, DVector};
/// let f = Quadratic::new(DMatrix::from_diagonal_element(2, 2, 2.0), DVector::zeros(2), 1.0).unwrap();
/// let x = DVector::from_vec(vec![1.0, 1.0]);
/// assert!((f.value(&x) - 3.0).abs() < 1e-15);       // ½·(2 + 2) + 1
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Quadratic {
    a: Matrix,
    c: Vector,
    e: f64,
}

impl Quadratic {
    /// Builds f from (A, c, e).
    ///
    /// # Errors
    /// [`NumericsError::DimensionMismatch`] if A is not square or c has the wrong length;
    /// [`NumericsError::Other`] if A is not symmetric (relative asymmetry > 1e−12) or
    /// has non-finite entries.
    pub fn new(a: Matrix, c: Vector, e: f64) -> Result<Self> {
        if a.nrows() != a.ncols() {
            return Err(NumericsError::DimensionMismatch {
                context: "quadratic: A must be square",
                expected: a.nrows(),
                got: a.ncols(),
            });
        }
        if c.len() != a.nrows() {
            return Err(NumericsError::DimensionMismatch {
                context: "quadratic: length of c",
                expected: a.nrows(),
                got: c.len(),
            });
        }
        if a.iter().any(|v| !v.is_finite()) || c.iter().any(|v| !v.is_finite()) {
            return Err(NumericsError::NonFinite("quadratic coefficients"));
        }
        let asym = (&a - a.transpose()).abs().max();
        if asym > 1e-12 * a.abs().max().max(1.0) {
            return Err(NumericsError::Other(format!(
                "quadratic: A must be symmetric (max |A − Aᵀ| = {asym:e})"
            )));
        }
        Ok(Self { a, c, e })
    }

    /// The pure quadratic ½ xᵀAx.
    ///
    /// # Errors
    /// As [`Quadratic::new`].
    pub fn homogeneous(a: Matrix) -> Result<Self> {
        let d = a.nrows();
        Self::new(a, Vector::zeros(d), 0.0)
    }

    /// A.
    #[must_use]
    pub fn a(&self) -> &Matrix {
        &self.a
    }

    /// c.
    #[must_use]
    pub fn c(&self) -> &Vector {
        &self.c
    }

    /// e.
    #[must_use]
    pub fn e(&self) -> f64 {
        self.e
    }
}

impl Objective for Quadratic {
    fn dim(&self) -> usize {
        self.c.len()
    }
    fn value(&self, x: &Vector) -> f64 {
        0.5 * x.dot(&(&self.a * x)) + self.c.dot(x) + self.e
    }
    fn gradient(&self, x: &Vector) -> Vector {
        &self.a * x + &self.c
    }
    fn hvp(&self, _x: &Vector, v: &Vector) -> Vector {
        &self.a * v
    }
    fn hessian(&self, _x: &Vector) -> Option<Matrix> {
        Some(self.a.clone())
    }
}
