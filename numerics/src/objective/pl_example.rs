//! The non-convex Polyak–Łojasiewicz example f(x) = x² + 3 sin²x (lecture 003; Karimi,
//! Nutini & Schmidt 2016).

use super::Objective;
use crate::{Matrix, NumericsError, Result, Vector};

/// f(x) = x² + a·sin²x on R (a = 3 in the lecture and in Karimi et al.).
///
/// f'(x) = 2x + a·sin 2x, f''(x) = 2 + 2a·cos 2x, so f is β-smooth with β = 2 + 2a
/// (= 8 for a = 3) and non-convex for a > 1 (f'' < 0 near x = π/2). Its only
/// stationary point is the global minimiser x* = 0 with f* = 0, and it satisfies the
/// error bound μ(f(x) − f*) ≤ f'(x)² globally (for a = 3 the best constant on
/// [−20, 20] is ≈ 0.351; Karimi et al.'s PL constant 1/32 gives μ = 1/16).
///
/// ```
/// use numerics::objective::{Objective, PlExample};
/// use nalgebra::DVector;
/// let f = PlExample::lecture();
/// let x = DVector::from_element(1, std::f64::consts::FRAC_PI_2);
/// // f(π/2) = π²/4 + 3, f'(π/2) = π, f''(π/2) = 2 − 6 = −4.
/// assert!((f.value(&x) - (std::f64::consts::PI.powi(2) / 4.0 + 3.0)).abs() < 1e-14);
/// assert!((f.gradient(&x)[0] - std::f64::consts::PI).abs() < 1e-14);
/// assert!((f.second_derivative(x[0]) + 4.0).abs() < 1e-14);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlExample {
    amplitude: f64,
}

impl PlExample {
    /// f(x) = x² + a·sin²x with amplitude a ≥ 0.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] if a is negative or not finite.
    pub fn new(amplitude: f64) -> Result<Self> {
        if !(amplitude.is_finite() && amplitude >= 0.0) {
            return Err(NumericsError::InvalidParameter {
                name: "amplitude a",
                allowed: "≥ 0 and finite",
                value: amplitude,
            });
        }
        Ok(Self { amplitude })
    }

    /// The lecture's instance f(x) = x² + 3 sin²x.
    #[must_use]
    pub fn lecture() -> Self {
        Self { amplitude: 3.0 }
    }

    /// The amplitude a.
    #[must_use]
    pub fn amplitude(&self) -> f64 {
        self.amplitude
    }

    /// f(t) = t² + a·sin²t at a scalar t.
    #[must_use]
    pub fn value_at(&self, t: f64) -> f64 {
        t * t + self.amplitude * t.sin().powi(2)
    }

    /// f'(t) = 2t + a·sin 2t.
    #[must_use]
    pub fn derivative(&self, t: f64) -> f64 {
        2.0 * t + self.amplitude * (2.0 * t).sin()
    }

    /// f''(t) = 2 + 2a·cos 2t.
    #[must_use]
    pub fn second_derivative(&self, t: f64) -> f64 {
        2.0 + 2.0 * self.amplitude * (2.0 * t).cos()
    }

    /// The smoothness constant β = sup f'' = 2 + 2a.
    #[must_use]
    pub fn smoothness(&self) -> f64 {
        2.0 + 2.0 * self.amplitude
    }
}

impl Objective for PlExample {
    fn dim(&self) -> usize {
        1
    }
    fn value(&self, x: &Vector) -> f64 {
        self.value_at(x[0])
    }
    fn gradient(&self, x: &Vector) -> Vector {
        Vector::from_element(1, self.derivative(x[0]))
    }
    fn hvp(&self, x: &Vector, v: &Vector) -> Vector {
        v * self.second_derivative(x[0])
    }
    fn hessian(&self, x: &Vector) -> Option<Matrix> {
        Some(Matrix::from_element(1, 1, self.second_derivative(x[0])))
    }
}
