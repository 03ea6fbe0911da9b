//! Exact smoothed quadratic (spec §1.2a).

use super::Kernel;
use crate::objective::{Objective, Quadratic};
use crate::{Matrix, Result, Vector};

/// f̂_δ(x) = f(x) + ½δ²·tr(A·E\[uuᵀ\]) for f(x) = ½xᵀAx + cᵀx + e:
/// BALL + δ²tr(A)/(2(d+2)), GISO + δ²tr(A)/2, GUNIT + δ²tr(A)/(2d).
///
/// So ∇f̂_δ = ∇f and argmin f̂_δ = argmin f for every δ: smoothing cannot change a GD
/// trajectory on a quadratic.
#[derive(Debug, Clone, PartialEq)]
pub struct SmoothedQuadratic {
    f: Quadratic,
    kernel: Kernel,
    delta: f64,
}

impl SmoothedQuadratic {
    /// Smoothing of `f` with `kernel` at degree δ ≥ 0.
    ///
    /// # Errors
    /// δ negative or non-finite.
    pub fn new(f: Quadratic, kernel: Kernel, delta: f64) -> Result<Self> {
        crate::smoothing::check_delta(delta)?;
        Ok(Self { f, kernel, delta })
    }

    /// The constant shift ½δ²·s·tr(A), s = E\[u₁²\].
    #[must_use]
    pub fn shift(&self) -> f64 {
        0.5 * self.delta
            * self.delta
            * self.kernel.coordinate_variance(self.f.dim())
            * self.f.a().trace()
    }

    /// The unsmoothed quadratic.
    #[must_use]
    pub fn inner(&self) -> &Quadratic {
        &self.f
    }
}

impl Objective for SmoothedQuadratic {
    fn dim(&self) -> usize {
        self.f.dim()
    }
    fn value(&self, x: &Vector) -> f64 {
        self.f.value(x) + self.shift()
    }
    fn gradient(&self, x: &Vector) -> Vector {
        self.f.gradient(x)
    }
    fn hvp(&self, x: &Vector, v: &Vector) -> Vector {
        self.f.hvp(x, v)
    }
    fn hessian(&self, x: &Vector) -> Option<Matrix> {
        self.f.hessian(x)
    }
}
