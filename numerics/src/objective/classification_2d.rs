//! Two-class synthetic classification data in the plane: Gaussian blobs and two
//! interleaved spirals (seeded), the small-scale stand-in for image data sets.

use crate::rng::Rng;
use crate::{Matrix, Result};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};
use std::f64::consts::PI;

/// N points xᵢ ∈ R² with class labels yᵢ ∈ {0, 1}; sample i has class i mod 2, so the
/// classes are balanced (⌈N/2⌉ of class 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Classification2d {
    features: Matrix,
    labels: Vec<usize>,
}

impl Classification2d {
    /// Two Gaussian blobs: class k has mean ((2k − 1)·separation/2, 0) and covariance
    /// std²·I.
    ///
    /// # Errors
    /// `n < 2`, separation or std negative or non-finite.
    pub fn gaussian_blobs(n: usize, separation: f64, std: f64, rng: &mut Rng) -> Result<Self> {
        check_n(n)?;
        crate::error::check_closed("separation", "≥ 0 and finite", separation, 0.0, f64::MAX)?;
        crate::error::check_closed("blob std", "≥ 0 and finite", std, 0.0, f64::MAX)?;
        let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let mut features = Matrix::zeros(n, 2);
        for i in 0..n {
            let centre = (2.0 * labels[i] as f64 - 1.0) * separation / 2.0;
            let e0: f64 = StandardNormal.sample(rng);
            let e1: f64 = StandardNormal.sample(rng);
            features[(i, 0)] = centre + std * e0;
            features[(i, 1)] = std * e1;
        }
        Ok(Self { features, labels })
    }

    /// Two interleaved spirals: with t ~ U(0, 1), class k sits at
    /// r(t)·(cos θ, sin θ) + noise·ε with r = 0.1 + 0.9t, θ = 2π·turns·t + kπ and
    /// ε ~ N(0, I₂). Not linearly separable; a width-64 network fits it.
    ///
    /// # Errors
    /// `n < 2`, turns not positive, noise negative or non-finite.
    pub fn two_spirals(n: usize, turns: f64, noise: f64, rng: &mut Rng) -> Result<Self> {
        check_n(n)?;
        crate::error::check_positive("spiral turns", turns)?;
        crate::error::check_closed("spiral noise", "≥ 0 and finite", noise, 0.0, f64::MAX)?;
        let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let mut features = Matrix::zeros(n, 2);
        for i in 0..n {
            let t: f64 = rng.random();
            let r = 0.1 + 0.9 * t;
            let angle = 2.0 * PI * turns * t + PI * labels[i] as f64;
            let e0: f64 = StandardNormal.sample(rng);
            let e1: f64 = StandardNormal.sample(rng);
            features[(i, 0)] = r * angle.cos() + noise * e0;
            features[(i, 1)] = r * angle.sin() + noise * e1;
        }
        Ok(Self { features, labels })
    }

    /// Number of samples N.
    #[must_use]
    pub fn n(&self) -> usize {
        self.labels.len()
    }

    /// Features (N × 2, row i = xᵢᵀ).
    #[must_use]
    pub fn features(&self) -> &Matrix {
        &self.features
    }

    /// Class labels in {0, 1}.
    #[must_use]
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Labels as ±1 (class 1 → +1, class 0 → −1), for logistic losses.
    #[must_use]
    pub fn signed_labels(&self) -> crate::Vector {
        crate::Vector::from_fn(
            self.n(),
            |i, _| if self.labels[i] == 1 { 1.0 } else { -1.0 },
        )
    }
}

fn check_n(n: usize) -> Result<()> {
    crate::error::check_count("number of samples", n, 2).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;

    #[test]
    fn classification_2d_is_balanced_and_seeded() {
        let a = Classification2d::two_spirals(101, 1.5, 0.05, &mut Seed(1).stream("d")).unwrap();
        let b = Classification2d::two_spirals(101, 1.5, 0.05, &mut Seed(1).stream("d")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.labels().iter().filter(|&&l| l == 0).count(), 51);
        let blobs =
            Classification2d::gaussian_blobs(400, 4.0, 0.5, &mut Seed(2).stream("d")).unwrap();
        // Class means ≈ (∓2, 0).
        let mean0: f64 = (0..400)
            .step_by(2)
            .map(|i| blobs.features()[(i, 0)])
            .sum::<f64>()
            / 200.0;
        assert!((mean0 + 2.0).abs() < 0.2);
        assert!(Classification2d::gaussian_blobs(1, 1.0, 1.0, &mut Seed(0).stream("d")).is_err());
    }
}
