//! Tilted Rastrigin finite sum fᵢ(x) = Rastrigin(x) + aᵢᵀx with Σᵢ aᵢ = 0: a finite sum
//! whose gradient noise does not depend on the state (spec §3.2, C3.1/C3.2/C3.8).

use super::{FiniteSum, Objective, Rastrigin};
use crate::rng::Rng;
use crate::{Matrix, NumericsError, Result, Vector};
use rand_distr::{Distribution, StandardNormal};

/// f(x) = (1/N) Σᵢ fᵢ(x) with fᵢ(x) = Rastrigin(x) + aᵢᵀx and centred tilts Σᵢ aᵢ = 0,
/// so f = Rastrigin (up to rounding of the centring) and the mini-batch noise
/// ω = ∇f_S(x) − ∇f(x) = (1/b) Σ_{i∈S} aᵢ is the same at every x.
///
/// The per-sample variance σ² = (1/N) Σᵢ ‖aᵢ‖² is then the constant C² of (A3)(ii).
///
/// ```
/// use numerics::objective::{FiniteSum, Objective, TiltedRastrigin};
/// use numerics::{Matrix, Vector};
/// // Tilts ±(1, 2): already centred, σ² = 5 at every x.
/// let f = TiltedRastrigin::new(Matrix::from_row_slice(2, 2, &[1.0, 2.0, -1.0, -2.0])).unwrap();
/// let x = Vector::from_vec(vec![0.3, -1.1]);
/// assert!((f.value(&x) - 16.3).abs() < 1e-12);       // Rastrigin's spec anchor
/// assert!((f.gradient_variance(&x) - 5.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TiltedRastrigin {
    base: Rastrigin,
    tilts: Matrix,
    mean_tilt: Vector,
}

impl TiltedRastrigin {
    /// The finite sum with tilts given by the rows of `tilts` (N × d), which are
    /// centred here (the column mean is subtracted) so that Σᵢ aᵢ = 0.
    ///
    /// # Errors
    /// No rows or columns, or non-finite tilts.
    pub fn new(tilts: Matrix) -> Result<Self> {
        if tilts.nrows() == 0 || tilts.ncols() == 0 {
            return Err(NumericsError::Other(
                "tilted Rastrigin: need at least one tilt of dimension ≥ 1".into(),
            ));
        }
        if tilts.iter().any(|v| !v.is_finite()) {
            return Err(NumericsError::NonFinite("tilted-Rastrigin tilts"));
        }
        let base = Rastrigin::new(tilts.ncols())?;
        let mean = tilts.row_mean();
        let mut tilts = tilts;
        for mut row in tilts.row_iter_mut() {
            row -= &mean;
        }
        // What is left of the mean after centring (rounding only, ~1e−17·scale).
        let mean_tilt = tilts.row_mean().transpose();
        Ok(Self {
            base,
            tilts,
            mean_tilt,
        })
    }

    /// N Gaussian tilts aᵢ ~ N(0, s²I_d), then centred.
    ///
    /// # Errors
    /// `n == 0`, `d == 0`, or s negative or non-finite.
    pub fn gaussian(n: usize, d: usize, s: f64, rng: &mut Rng) -> Result<Self> {
        crate::error::check_closed("tilt scale s", "≥ 0 and finite", s, 0.0, f64::MAX)?;
        if n == 0 || d == 0 {
            return Err(NumericsError::Other(
                "tilted Rastrigin: need n ≥ 1 and d ≥ 1".into(),
            ));
        }
        let tilts = Matrix::from_fn(n, d, |_, _| {
            let z: f64 = StandardNormal.sample(rng);
            s * z
        });
        Self::new(tilts)
    }

    /// The centred tilts (N × d, row i = aᵢᵀ).
    #[must_use]
    pub fn tilts(&self) -> &Matrix {
        &self.tilts
    }

    /// The state-independent per-sample gradient variance σ² = (1/N) Σᵢ ‖aᵢ − ā‖².
    #[must_use]
    pub fn noise_variance(&self) -> f64 {
        let n = self.tilts.nrows() as f64;
        let total: f64 = self.tilts.iter().map(|v| v * v).sum::<f64>() / n;
        total - self.mean_tilt.norm_squared()
    }

    /// The mini-batch noise ω_S = (1/|S|) Σ_{i∈S} aᵢ − ā (indices may repeat; zero for
    /// an empty batch).
    #[must_use]
    pub fn batch_noise(&self, batch: &[usize]) -> Vector {
        let d = self.tilts.ncols();
        let mut w = Vector::zeros(d);
        if batch.is_empty() {
            return w;
        }
        for &i in batch {
            for j in 0..d {
                w[j] += self.tilts[(i, j)];
            }
        }
        w /= batch.len() as f64;
        w - &self.mean_tilt
    }
}

impl Objective for TiltedRastrigin {
    fn dim(&self) -> usize {
        self.tilts.ncols()
    }
    fn value(&self, x: &Vector) -> f64 {
        self.base.value(x) + self.mean_tilt.dot(x)
    }
    fn gradient(&self, x: &Vector) -> Vector {
        self.base.gradient(x) + &self.mean_tilt
    }
    fn hvp(&self, x: &Vector, v: &Vector) -> Vector {
        self.base.hvp(x, v)
    }
    fn hessian(&self, x: &Vector) -> Option<Matrix> {
        self.base.hessian(x)
    }
}

impl FiniteSum for TiltedRastrigin {
    fn n(&self) -> usize {
        self.tilts.nrows()
    }
    fn sample_value(&self, i: usize, x: &Vector) -> f64 {
        self.base.value(x) + self.tilts.row(i).transpose().dot(x)
    }
    fn sample_gradient(&self, i: usize, x: &Vector) -> Vector {
        self.base.gradient(x) + self.tilts.row(i).transpose()
    }
    fn minibatch_gradient(&self, batch: &[usize], x: &Vector) -> Vector {
        if batch.is_empty() {
            return Vector::zeros(self.dim());
        }
        self.base.gradient(x) + self.batch_noise(batch) + &self.mean_tilt
    }
    fn sample_hessian(&self, _i: usize, x: &Vector) -> Option<Matrix> {
        self.base.hessian(x)
    }
    fn gradient_variance(&self, _x: &Vector) -> f64 {
        self.noise_variance()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::finite_difference_gradient;
    use crate::Seed;

    #[test]
    fn tilted_rastrigin_tilts_are_centred_and_noise_is_state_independent() {
        let f = TiltedRastrigin::gaussian(300, 2, 3.0, &mut Seed(1).stream("tilts")).unwrap();
        assert!(f.tilts().row_mean().norm() < 1e-13);
        let x = Vector::from_vec(vec![0.7, -2.2]);
        let y = Vector::from_vec(vec![-1.3, 0.4]);
        // The trait's default σ² (from sample gradients) equals the closed form at any x.
        let by_samples = |x: &Vector| {
            let g = f.gradient(x);
            (0..f.n())
                .map(|i| (f.sample_gradient(i, x) - &g).norm_squared())
                .sum::<f64>()
                / f.n() as f64
        };
        assert!((by_samples(&x) - f.noise_variance()).abs() < 1e-10 * f.noise_variance());
        assert!((by_samples(&y) - f.noise_variance()).abs() < 1e-10 * f.noise_variance());
        let batch = [3, 17, 17, 250];
        let direct = (0..4)
            .map(|k| f.sample_gradient(batch[k], &x))
            .fold(Vector::zeros(2), |a, b| a + b)
            / 4.0;
        assert!((f.minibatch_gradient(&batch, &x) - direct).norm() < 1e-12);
        let fd = finite_difference_gradient(&f, &x, 1e-6);
        assert!((f.gradient(&x) - fd).norm() < 1e-6);
    }
}
