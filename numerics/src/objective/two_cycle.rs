//! The two-function example of lecture 003: f₁,₂(x) = ½(x ∓ a)² on R.

use super::{FiniteSum, Objective};
use crate::{Matrix, NumericsError, Result, Vector};

/// f(x) = ½(f₁(x) + f₂(x)) with f₁(x) = ½(x − a)², f₂(x) = ½(x + a)².
///
/// The minimiser is x* = 0 (f* = a²/2) and the individual gradients there are
/// ∇f₁(0) = −a, ∇f₂(0) = +a. SGD with step γ in the cyclic order 1, 2, 1, 2, … has the
/// 2-cycle x ∈ {+γa/(2 − γ), −γa/(2 − γ)} (after the f₁ and f₂ steps), approached at
/// the rate (1 − γ)² per cycle. The lecture gives |∇fᵢ(0)| = 0.83 and, after shifting
/// the fᵢ outwards, 0.02; the concrete fᵢ are not given there, these are our choice.
///
/// ```
/// use numerics::objective::{FiniteSum, TwoCycle};
/// use nalgebra::DVector;
/// let f = TwoCycle::new(0.83).unwrap();
/// let x = DVector::zeros(1);
/// assert!((f.sample_gradient(0, &x)[0] + 0.83).abs() < 1e-15);
/// assert!((f.sample_gradient(1, &x)[0] - 0.83).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoCycle {
    a: f64,
}

impl TwoCycle {
    /// The pair with offset a (so |∇fᵢ(x*)| = |a|).
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] if a is not finite.
    pub fn new(a: f64) -> Result<Self> {
        if !a.is_finite() {
            return Err(NumericsError::InvalidParameter {
                name: "offset a",
                allowed: "finite",
                value: a,
            });
        }
        Ok(Self { a })
    }

    /// The offset a.
    #[must_use]
    pub fn offset(&self) -> f64 {
        self.a
    }

    /// Centre of fᵢ: +a for i = 0 (f₁), −a for i = 1 (f₂).
    fn centre(&self, i: usize) -> f64 {
        if i == 0 {
            self.a
        } else {
            -self.a
        }
    }
}

impl Objective for TwoCycle {
    fn dim(&self) -> usize {
        1
    }
    fn value(&self, x: &Vector) -> f64 {
        0.5 * (self.sample_value(0, x) + self.sample_value(1, x))
    }
    fn gradient(&self, x: &Vector) -> Vector {
        x.clone()
    }
    fn hvp(&self, _x: &Vector, v: &Vector) -> Vector {
        v.clone()
    }
    fn hessian(&self, _x: &Vector) -> Option<Matrix> {
        Some(Matrix::identity(1, 1))
    }
}

impl FiniteSum for TwoCycle {
    fn n(&self) -> usize {
        2
    }
    fn sample_value(&self, i: usize, x: &Vector) -> f64 {
        0.5 * (x[0] - self.centre(i)).powi(2)
    }
    fn sample_gradient(&self, i: usize, x: &Vector) -> Vector {
        Vector::from_element(1, x[0] - self.centre(i))
    }
    fn sample_hessian(&self, _i: usize, _x: &Vector) -> Option<Matrix> {
        Some(Matrix::identity(1, 1))
    }
}
