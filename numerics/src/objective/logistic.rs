//! L2-regularised logistic regression f(x) = (1/N) Σᵢ log(1 + exp(−yᵢaᵢᵀx)) + (λ/2)‖x‖².

use super::{FiniteSum, Objective};
use crate::rng::Rng;
use crate::{Matrix, NumericsError, Result, Vector};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

/// log(1 + eᶻ), computed without overflow.
#[must_use]
pub fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// The logistic sigmoid 1/(1 + e⁻ᶻ), computed without overflow.
#[must_use]
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// fᵢ(x) = log(1 + exp(−yᵢ aᵢᵀx)) + (λ/2)‖x‖² with labels yᵢ ∈ {−1, +1}.
///
/// ∇fᵢ = −yᵢ σ(−yᵢaᵢᵀx) aᵢ + λx; ∇²fᵢ = σ(m)(1 − σ(m)) aᵢaᵢᵀ + λI with m = yᵢaᵢᵀx.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticRegression {
    a: Matrix,
    y: Vector,
    lambda: f64,
}

impl LogisticRegression {
    /// Builds the problem from features A (rows aᵢᵀ), labels y ∈ {±1}ᴺ and λ ≥ 0.
    ///
    /// # Errors
    /// Dimension mismatch, empty data, a label other than ±1, λ < 0, non-finite data.
    pub fn new(a: Matrix, y: Vector, lambda: f64) -> Result<Self> {
        super::check_rows(
            &a,
            &y,
            lambda,
            "logistic regression: A must be non-empty",
            "logistic regression: number of labels",
        )?;
        // Labels must be exactly ±1: an exact comparison is the intended check.
        #[allow(clippy::float_cmp)]
        if let Some(bad) = y.iter().find(|&&v| v != 1.0 && v != -1.0) {
            return Err(NumericsError::InvalidParameter {
                name: "label",
                allowed: "−1 or +1",
                value: *bad,
            });
        }
        if a.iter().any(|v| !v.is_finite()) {
            return Err(NumericsError::NonFinite("logistic-regression features"));
        }
        Ok(Self { a, y, lambda })
    }

    /// Gaussian features aᵢ ~ N(0, I_d) and labels yᵢ = sign(aᵢᵀw* + ε) for a random
    /// w* ~ N(0, I_d) and label noise ε ~ N(0, noise²).
    ///
    /// # Errors
    /// If `n == 0` or `d == 0` or `lambda < 0`.
    pub fn gaussian(n: usize, d: usize, noise: f64, lambda: f64, rng: &mut Rng) -> Result<Self> {
        let w = Vector::from_fn(d, |_, _| StandardNormal.sample(rng));
        let a = Matrix::from_fn(n, d, |_, _| StandardNormal.sample(rng));
        let y = Vector::from_fn(n, |i, _| {
            let eps: f64 = StandardNormal.sample(rng);
            let m = a.row(i).transpose().dot(&w) + noise * eps;
            if m > 0.0 || (m == 0.0 && rng.random::<bool>()) {
                1.0
            } else {
                -1.0
            }
        });
        Self::new(a, y, lambda)
    }

    /// Features A.
    #[must_use]
    pub fn a(&self) -> &Matrix {
        &self.a
    }

    /// Labels y.
    #[must_use]
    pub fn y(&self) -> &Vector {
        &self.y
    }

    /// Ridge weight λ.
    #[must_use]
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// Margin mᵢ = yᵢ aᵢᵀx.
    #[must_use]
    pub fn margin(&self, i: usize, x: &Vector) -> f64 {
        self.y[i] * self.a.row(i).transpose().dot(x)
    }
}

impl Objective for LogisticRegression {
    fn dim(&self) -> usize {
        self.a.ncols()
    }
    fn value(&self, x: &Vector) -> f64 {
        let n = self.a.nrows();
        let margins = &self.a * x;
        let loss: f64 = (0..n)
            .map(|i| softplus(-self.y[i] * margins[i]))
            .sum::<f64>()
            / n as f64;
        loss + 0.5 * self.lambda * x.norm_squared()
    }
    fn gradient(&self, x: &Vector) -> Vector {
        let n = self.a.nrows();
        let margins = &self.a * x;
        let w = Vector::from_fn(n, |i, _| -self.y[i] * sigmoid(-self.y[i] * margins[i]));
        self.a.transpose() * w / n as f64 + x * self.lambda
    }
    fn hvp(&self, x: &Vector, v: &Vector) -> Vector {
        let n = self.a.nrows();
        let margins = &self.a * x;
        let av = &self.a * v;
        let w = Vector::from_fn(n, |i, _| {
            let s = sigmoid(margins[i]);
            s * (1.0 - s) * av[i]
        });
        self.a.transpose() * w / n as f64 + v * self.lambda
    }
    fn hessian(&self, x: &Vector) -> Option<Matrix> {
        let n = self.a.nrows();
        let d = self.a.ncols();
        let margins = &self.a * x;
        let mut weighted = self.a.clone();
        for i in 0..n {
            let s = sigmoid(margins[i]);
            weighted.row_mut(i).scale_mut(s * (1.0 - s) / n as f64);
        }
        Some(self.a.transpose() * weighted + Matrix::identity(d, d) * self.lambda)
    }
}

impl FiniteSum for LogisticRegression {
    fn n(&self) -> usize {
        self.a.nrows()
    }
    fn sample_value(&self, i: usize, x: &Vector) -> f64 {
        softplus(-self.margin(i, x)) + 0.5 * self.lambda * x.norm_squared()
    }
    fn sample_gradient(&self, i: usize, x: &Vector) -> Vector {
        let m = self.margin(i, x);
        self.a.row(i).transpose() * (-self.y[i] * sigmoid(-m)) + x * self.lambda
    }
    fn sample_hessian(&self, i: usize, x: &Vector) -> Option<Matrix> {
        let ai = self.a.row(i).transpose();
        let s = sigmoid(self.margin(i, x));
        let d = ai.len();
        Some(&ai * ai.transpose() * (s * (1.0 - s)) + Matrix::identity(d, d) * self.lambda)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::finite_difference_gradient;
    use crate::Seed;

    #[test]
    fn logistic_gradient_and_hessian_match_finite_differences() {
        let f =
            LogisticRegression::gaussian(40, 5, 0.5, 1e-2, &mut Seed(3).stream("data")).unwrap();
        let x = Vector::from_fn(5, |i, _| 0.3 * i as f64 - 0.5);
        let g = f.gradient(&x);
        assert!((&g - finite_difference_gradient(&f, &x, 1e-6)).norm() < 1e-8);
        let v = Vector::from_fn(5, |i, _| (i as f64).cos());
        let hv = f.hessian(&x).unwrap() * &v;
        assert!((f.hvp(&x, &v) - &hv).norm() < 1e-12);
        let sum: Vector = (0..f.n())
            .map(|i| f.sample_gradient(i, &x))
            .fold(Vector::zeros(5), |a, b| a + b)
            / f.n() as f64;
        assert!((sum - g).norm() < 1e-14);
    }
}
