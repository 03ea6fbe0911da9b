//! Linear operators v ↦ Av on Rⁿ, given only through their action (matrix-free).

use crate::objective::Objective;
use crate::{Matrix, NumericsError, Result, Vector};

/// A linear map A: Rⁿ → Rⁿ known through v ↦ Av.
///
/// Implementations must accept every `v` of length [`LinearOperator::dim`]; callers
/// (Lanczos, power iteration, Hutchinson) only pass such vectors.
pub trait LinearOperator {
    /// Dimension n of the space A acts on.
    fn dim(&self) -> usize;

    /// Av.
    fn apply(&self, v: &Vector) -> Vector;
}

/// A dense square matrix as an operator: Av is the matrix-vector product.
///
/// # Panics
/// `apply` panics (inside nalgebra) if the matrix is not square; build operators from
/// validated matrices (e.g. after [`crate::spectrum::SymmetricSpectrum::new`]).
impl LinearOperator for Matrix {
    fn dim(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, v: &Vector) -> Vector {
        self * v
    }
}

impl<T: LinearOperator + ?Sized> LinearOperator for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn apply(&self, v: &Vector) -> Vector {
        (**self).apply(v)
    }
}

/// The Hessian of an objective at a point as an operator: v ↦ ∇²f(x)·v through
/// [`Objective::hvp`] (exact where the objective overrides it, a central difference of
/// gradients otherwise).
#[derive(Debug, Clone)]
pub struct HessianOperator<O> {
    f: O,
    x: Vector,
}

impl<O: Objective> HessianOperator<O> {
    /// ∇²f(x) as an operator.
    ///
    /// # Errors
    /// [`NumericsError::DimensionMismatch`] if `x.len() != f.dim()`.
    pub fn new(f: O, x: Vector) -> Result<Self> {
        if x.len() != f.dim() {
            return Err(NumericsError::DimensionMismatch {
                context: "Hessian operator: point x",
                expected: f.dim(),
                got: x.len(),
            });
        }
        Ok(Self { f, x })
    }

    /// The objective f.
    #[must_use]
    pub fn objective(&self) -> &O {
        &self.f
    }

    /// The point x.
    #[must_use]
    pub fn point(&self) -> &Vector {
        &self.x
    }
}

impl<O: Objective> LinearOperator for HessianOperator<O> {
    fn dim(&self) -> usize {
        self.f.dim()
    }
    fn apply(&self, v: &Vector) -> Vector {
        self.f.hvp(&self.x, v)
    }
}

/// A closure v ↦ Av of a fixed dimension as an operator.
pub struct FnOperator<F> {
    dim: usize,
    f: F,
}

impl<F: Fn(&Vector) -> Vector> FnOperator<F> {
    /// The operator v ↦ f(v) on R^`dim`; `f` must return a vector of length `dim`.
    pub fn new(dim: usize, f: F) -> Self {
        Self { dim, f }
    }
}

impl<F> std::fmt::Debug for FnOperator<F> {
    fn fmt(&self, fmt: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt.debug_struct("FnOperator")
            .field("dim", &self.dim)
            .finish_non_exhaustive()
    }
}

impl<F: Fn(&Vector) -> Vector> LinearOperator for FnOperator<F> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn apply(&self, v: &Vector) -> Vector {
        (self.f)(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Quadratic;
    use approx::assert_relative_eq;

    #[test]
    fn hessian_operator_applies_the_quadratic_matrix() {
        let a = Matrix::from_row_slice(2, 2, &[2.0, 1.0, 1.0, 3.0]);
        let f = Quadratic::homogeneous(a.clone()).unwrap();
        let op = HessianOperator::new(&f, Vector::from_vec(vec![0.5, -1.0])).unwrap();
        let v = Vector::from_vec(vec![1.0, 2.0]);
        // Quadratic overrides hvp with the exact product Av.
        assert_relative_eq!(op.apply(&v), &a * &v, epsilon = 1e-14);
        assert!(matches!(
            HessianOperator::new(&f, Vector::zeros(3)),
            Err(NumericsError::DimensionMismatch { .. })
        ));
    }
}
