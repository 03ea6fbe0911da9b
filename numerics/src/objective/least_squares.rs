//! Least squares f(x) = (1/N) Σᵢ ½(aᵢᵀx − yᵢ)² (+ λ/2‖x‖²).

use super::{FiniteSum, Objective};
use crate::rng::Rng;
use crate::{Matrix, NumericsError, Result, Vector};
use rand_distr::{Distribution, StandardNormal};

/// f(x) = (1/N) Σᵢ fᵢ(x), fᵢ(x) = ½(aᵢᵀx − yᵢ)² + (λ/2)‖x‖², with rows aᵢ of A.
///
/// As a quadratic: ½xᵀ(AᵀA/N + λI)x − (Aᵀy/N)ᵀx + ‖y‖²/(2N). The lecture's
/// ½‖Ax − y‖² = Σᵢ fᵢ is N times this mean; SGD's per-sample step is the same.
#[derive(Debug, Clone, PartialEq)]
pub struct LeastSquares {
    a: Matrix,
    y: Vector,
    lambda: f64,
}

impl LeastSquares {
    /// Builds the problem from data (A, y) and ridge weight λ ≥ 0.
    ///
    /// # Errors
    /// Dimension mismatch between A and y, an empty A, λ < 0, or non-finite data.
    pub fn new(a: Matrix, y: Vector, lambda: f64) -> Result<Self> {
        super::check_rows(
            &a,
            &y,
            lambda,
            "least squares: A must be non-empty",
            "least squares: length of y",
        )?;
        if a.iter().chain(y.iter()).any(|v| !v.is_finite()) {
            return Err(NumericsError::NonFinite("least-squares data"));
        }
        Ok(Self { a, y, lambda })
    }

    /// Standard Gaussian A ∈ R^{n×d} and y, no ridge (the lecture-003 set-up).
    ///
    /// # Errors
    /// If `n == 0` or `d == 0`.
    pub fn gaussian(n: usize, d: usize, rng: &mut Rng) -> Result<Self> {
        let a = Matrix::from_fn(n, d, |_, _| StandardNormal.sample(rng));
        let y = Vector::from_fn(n, |_, _| StandardNormal.sample(rng));
        Self::new(a, y, 0.0)
    }

    /// Data matrix A (rows aᵢᵀ).
    #[must_use]
    pub fn a(&self) -> &Matrix {
        &self.a
    }

    /// Targets y.
    #[must_use]
    pub fn y(&self) -> &Vector {
        &self.y
    }

    /// Ridge weight λ.
    #[must_use]
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// Residual rᵢ = aᵢᵀx − yᵢ.
    #[must_use]
    pub fn residual(&self, i: usize, x: &Vector) -> f64 {
        self.a.row(i).transpose().dot(x) - self.y[i]
    }

    /// The problem as a [`super::Quadratic`]: A ← AᵀA/N + λI, c ← −Aᵀy/N, e = ‖y‖²/(2N).
    ///
    /// # Errors
    /// Never in practice (the data were validated); propagated from [`super::Quadratic::new`].
    pub fn to_quadratic(&self) -> Result<super::Quadratic> {
        let n = self.a.nrows() as f64;
        let d = self.a.ncols();
        let mut h = self.a.transpose() * &self.a / n;
        h += Matrix::identity(d, d) * self.lambda;
        // Symmetrise exactly against rounding.
        let h = (&h + h.transpose()) * 0.5;
        let c = -(self.a.transpose() * &self.y) / n;
        super::Quadratic::new(h, c, self.y.norm_squared() / (2.0 * n))
    }
}

impl Objective for LeastSquares {
    fn dim(&self) -> usize {
        self.a.ncols()
    }
    fn value(&self, x: &Vector) -> f64 {
        let r = &self.a * x - &self.y;
        0.5 * r.norm_squared() / self.a.nrows() as f64 + 0.5 * self.lambda * x.norm_squared()
    }
    fn gradient(&self, x: &Vector) -> Vector {
        let r = &self.a * x - &self.y;
        self.a.transpose() * r / self.a.nrows() as f64 + x * self.lambda
    }
    fn hvp(&self, _x: &Vector, v: &Vector) -> Vector {
        self.a.transpose() * (&self.a * v) / self.a.nrows() as f64 + v * self.lambda
    }
    fn hessian(&self, _x: &Vector) -> Option<Matrix> {
        let d = self.a.ncols();
        Some(
            self.a.transpose() * &self.a / self.a.nrows() as f64
                + Matrix::identity(d, d) * self.lambda,
        )
    }
}

impl FiniteSum for LeastSquares {
    fn n(&self) -> usize {
        self.a.nrows()
    }
    fn sample_value(&self, i: usize, x: &Vector) -> f64 {
        0.5 * self.residual(i, x).powi(2) + 0.5 * self.lambda * x.norm_squared()
    }
    fn sample_gradient(&self, i: usize, x: &Vector) -> Vector {
        self.a.row(i).transpose() * self.residual(i, x) + x * self.lambda
    }
    fn sample_hessian(&self, i: usize, _x: &Vector) -> Option<Matrix> {
        let ai = self.a.row(i).transpose();
        let d = ai.len();
        Some(&ai * ai.transpose() + Matrix::identity(d, d) * self.lambda)
    }
}
