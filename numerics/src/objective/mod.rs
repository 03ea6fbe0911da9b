//! Objectives f: Rᵈ → R and finite sums f = (1/N) Σᵢ fᵢ.
//!
//! Dimensions and parameters are validated when an objective is built, so evaluation
//! is infallible. [`Objective`] is what deterministic solvers need; [`FiniteSum`] adds
//! per-sample gradients for stochastic ones. [`AsArgmin`] exposes any objective to
//! argmin's solvers and executor.

mod argmin_adapter;
mod sampler;

pub mod classification_2d;
pub mod go_suite;
pub mod l1_norm;
pub mod least_squares;
pub mod logistic;
pub mod mlp;
pub mod pl_example;
pub mod quadratic;
pub mod rastrigin;
pub mod three_point;
pub mod tilted_rastrigin;
pub mod two_cycle;

pub use argmin_adapter::AsArgmin;
pub use classification_2d::Classification2d;
pub use l1_norm::{L1Norm, SmoothedL1Norm};
pub use least_squares::LeastSquares;
pub use logistic::LogisticRegression;
pub use mlp::{Activation, LayerLayout, Mlp, MlpLoss, MlpWorkspace};
pub use pl_example::PlExample;
pub use quadratic::Quadratic;
pub use rastrigin::Rastrigin;
pub use sampler::{BatchSampler, Sampling};
pub use three_point::ThreePoint;
pub use tilted_rastrigin::TiltedRastrigin;
pub use two_cycle::TwoCycle;

use crate::{Matrix, Vector};

/// A differentiable function f: Rᵈ → R.
pub trait Objective {
    /// Dimension d of the domain.
    fn dim(&self) -> usize;

    /// f(x).
    fn value(&self, x: &Vector) -> f64;

    /// ∇f(x).
    fn gradient(&self, x: &Vector) -> Vector;

    /// Hessian-vector product ∇²f(x)·v.
    ///
    /// Default: central difference of gradients,
    /// (∇f(x + hv̂) − ∇f(x − hv̂))/(2h)·‖v‖ with v̂ = v/‖v‖ and h = 1e−5·max(1, ‖x‖).
    /// Its error is O(h²) on smooth objectives; override it with the exact product
    /// when one is available.
    fn hvp(&self, x: &Vector, v: &Vector) -> Vector {
        let nv = v.norm();
        if nv == 0.0 {
            return Vector::zeros(self.dim());
        }
        let h = 1e-5 * x.norm().max(1.0);
        let step = v * (h / nv);
        let gp = self.gradient(&(x + &step));
        let gm = self.gradient(&(x - &step));
        (gp - gm) * (nv / (2.0 * h))
    }

    /// Dense Hessian ∇²f(x), when the objective can form it.
    fn hessian(&self, _x: &Vector) -> Option<Matrix> {
        None
    }
}

/// A finite sum f(x) = (1/N) Σᵢ fᵢ(x).
pub trait FiniteSum: Objective {
    /// Number of components N.
    fn n(&self) -> usize;

    /// fᵢ(x).
    fn sample_value(&self, i: usize, x: &Vector) -> f64;

    /// ∇fᵢ(x).
    fn sample_gradient(&self, i: usize, x: &Vector) -> Vector;

    /// Mini-batch gradient ∇f_S(x) = (1/|S|) Σ_{i∈S} ∇fᵢ(x) (indices may repeat).
    fn minibatch_gradient(&self, batch: &[usize], x: &Vector) -> Vector {
        let mut g = Vector::zeros(self.dim());
        for &i in batch {
            g += self.sample_gradient(i, x);
        }
        if !batch.is_empty() {
            g /= batch.len() as f64;
        }
        g
    }

    /// ∇²fᵢ(x), when the objective can form it.
    fn sample_hessian(&self, _i: usize, _x: &Vector) -> Option<Matrix> {
        None
    }

    /// Per-sample gradient variance σ²(x) = (1/N) Σᵢ ‖∇fᵢ(x) − ∇f(x)‖².
    fn gradient_variance(&self, x: &Vector) -> f64 {
        let g = self.gradient(x);
        (0..self.n())
            .map(|i| (self.sample_gradient(i, x) - &g).norm_squared())
            .sum::<f64>()
            / self.n() as f64
    }
}

impl<T: Objective + ?Sized> Objective for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn value(&self, x: &Vector) -> f64 {
        (**self).value(x)
    }
    fn gradient(&self, x: &Vector) -> Vector {
        (**self).gradient(x)
    }
    fn hvp(&self, x: &Vector, v: &Vector) -> Vector {
        (**self).hvp(x, v)
    }
    fn hessian(&self, x: &Vector) -> Option<Matrix> {
        (**self).hessian(x)
    }
}

impl<T: FiniteSum + ?Sized> FiniteSum for &T {
    fn n(&self) -> usize {
        (**self).n()
    }
    fn sample_value(&self, i: usize, x: &Vector) -> f64 {
        (**self).sample_value(i, x)
    }
    fn sample_gradient(&self, i: usize, x: &Vector) -> Vector {
        (**self).sample_gradient(i, x)
    }
    fn minibatch_gradient(&self, batch: &[usize], x: &Vector) -> Vector {
        (**self).minibatch_gradient(batch, x)
    }
    fn sample_hessian(&self, i: usize, x: &Vector) -> Option<Matrix> {
        (**self).sample_hessian(i, x)
    }
}

/// Central-difference gradient (∂f/∂xⱼ ≈ (f(x + heⱼ) − f(x − heⱼ))/(2h)), used to test
/// analytic gradients.
#[must_use]
pub fn finite_difference_gradient<O: Objective + ?Sized>(f: &O, x: &Vector, h: f64) -> Vector {
    let mut g = Vector::zeros(x.len());
    let mut xp = x.clone();
    for j in 0..x.len() {
        let xj = x[j];
        xp[j] = xj + h;
        let fp = f.value(&xp);
        xp[j] = xj - h;
        let fm = f.value(&xp);
        xp[j] = xj;
        g[j] = (fp - fm) / (2.0 * h);
    }
    g
}

/// Checks the data of a finite sum with one row aᵢᵀ of A per sample: A non-empty (else
/// [`crate::NumericsError::Other`] with `empty`), y of length N (else a dimension
/// mismatch in `targets`), and the ridge weight λ finite and ≥ 0.
pub(crate) fn check_rows(
    a: &Matrix,
    y: &Vector,
    lambda: f64,
    empty: &'static str,
    targets: &'static str,
) -> crate::Result<()> {
    if a.nrows() == 0 || a.ncols() == 0 {
        return Err(crate::NumericsError::Other(empty.into()));
    }
    if y.len() != a.nrows() {
        return Err(crate::NumericsError::DimensionMismatch {
            context: targets,
            expected: a.nrows(),
            got: y.len(),
        });
    }
    crate::error::check_closed("ridge weight λ", "≥ 0 and finite", lambda, 0.0, f64::MAX)?;
    Ok(())
}

/// sign(t) ∈ {−1, 0, 1} with sign(0) = 0 (unlike `f64::signum`, which gives ±1 at ±0):
/// the subgradient choice of |t| at 0.
pub(crate) fn sign(t: f64) -> f64 {
    if t > 0.0 {
        1.0
    } else if t < 0.0 {
        -1.0
    } else {
        0.0
    }
}
