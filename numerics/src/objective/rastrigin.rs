//! Rastrigin's function f(x) = 10d + Σᵢ [xᵢ² − 10 cos(2πxᵢ)].

use super::Objective;
use crate::{Matrix, Result, Vector};
use std::f64::consts::PI;

/// Rastrigin's function in any dimension d ≥ 1:
/// f(x) = 10d + Σᵢ [xᵢ² − 10 cos(2πxᵢ)], global minimum f(0) = 0.
///
/// ∇f(x)ᵢ = 2xᵢ + 20π sin(2πxᵢ); ∇²f(x) = diag(2 + 40π² cos(2πxᵢ)).
/// Value and gradient come from `argmin_testfunctions` (A = 10); the usual search box
/// is [−5.12, 5.12]ᵈ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rastrigin {
    d: usize,
}

impl Rastrigin {
    /// The usual search box half-width: [−5.12, 5.12]ᵈ.
    pub const BOX: f64 = 5.12;

    /// Rastrigin in dimension `d`.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] if `d == 0`.
    pub fn new(d: usize) -> Result<Self> {
        crate::error::check_count("dimension", d, 1)?;
        Ok(Self { d })
    }

    /// Second derivative of one coordinate term, 2 + 40π² cos(2πt).
    #[must_use]
    pub fn curvature(t: f64) -> f64 {
        2.0 + 40.0 * PI * PI * (2.0 * PI * t).cos()
    }
}

impl Objective for Rastrigin {
    fn dim(&self) -> usize {
        self.d
    }
    fn value(&self, x: &Vector) -> f64 {
        argmin_testfunctions::rastrigin(x.as_slice())
    }
    fn gradient(&self, x: &Vector) -> Vector {
        Vector::from_vec(argmin_testfunctions::rastrigin_derivative(x.as_slice()))
    }
    fn hvp(&self, x: &Vector, v: &Vector) -> Vector {
        Vector::from_fn(self.d, |i, _| Self::curvature(x[i]) * v[i])
    }
    fn hessian(&self, x: &Vector) -> Option<Matrix> {
        Some(Matrix::from_diagonal(&x.map(Self::curvature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::finite_difference_gradient;

    #[test]
    fn rastrigin_gradient_matches_central_difference() {
        let f = Rastrigin::new(4).unwrap();
        let x = Vector::from_vec(vec![0.3, -1.1, 2.7, 0.05]);
        let fd = finite_difference_gradient(&f, &x, 1e-6);
        assert!((f.gradient(&x) - fd).norm() < 1e-6 * f.gradient(&x).norm());
    }

    #[test]
    fn rastrigin_value_matches_the_spec_anchor() {
        // Spec §1.2(b): f(0.3, −1.1) = 16.3 (d = 2), by hand: 20 + 0.09 + 1.21 − 10(cos 0.6π + cos 2.2π).
        let f = Rastrigin::new(2).unwrap();
        let v = f.value(&Vector::from_vec(vec![0.3, -1.1]));
        assert!((v - 16.3).abs() < 1e-12);
    }
}
