//! [`AsArgmin`]: exposes an igo objective to argmin.

use super::{FiniteSum, Objective};
use crate::{Matrix, Vector};
use argmin::core::{CostFunction, Error, Gradient, Hessian};

/// Wraps an [`Objective`] so argmin's `Executor` and solvers (and igo's own solvers in
/// [`crate::optim`]) can run on it: `CostFunction`, `Gradient` and, when the objective
/// forms dense Hessians, `Hessian`.
#[derive(Debug, Clone)]
pub struct AsArgmin<O>(pub O);

impl<O> AsArgmin<O> {
    /// The wrapped objective.
    #[must_use]
    pub fn inner(&self) -> &O {
        &self.0
    }
}

impl<O: Objective> CostFunction for AsArgmin<O> {
    type Param = Vector;
    type Output = f64;
    fn cost(&self, x: &Vector) -> Result<f64, Error> {
        Ok(self.0.value(x))
    }
}

impl<O: Objective> Gradient for AsArgmin<O> {
    type Param = Vector;
    type Gradient = Vector;
    fn gradient(&self, x: &Vector) -> Result<Vector, Error> {
        Ok(self.0.gradient(x))
    }
}

impl<O: Objective> Hessian for AsArgmin<O> {
    type Param = Vector;
    type Hessian = Matrix;
    fn hessian(&self, x: &Vector) -> Result<Matrix, Error> {
        self.0
            .hessian(x)
            .ok_or_else(|| Error::msg("this objective does not form dense Hessians"))
    }
}

impl<O: FiniteSum> AsArgmin<O> {
    /// Mini-batch gradient of the wrapped finite sum.
    #[must_use]
    pub fn minibatch_gradient(&self, batch: &[usize], x: &Vector) -> Vector {
        self.0.minibatch_gradient(batch, x)
    }
}
