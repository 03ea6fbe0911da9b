//! The noise-ball example of lecture 003: f(x) = (1/N) Σᵢ ½‖x − cᵢ‖² with Σcᵢ = 0.

use super::{FiniteSum, Objective};
use crate::{Matrix, NumericsError, Result, Vector};

/// f(x) = (1/N) Σᵢ fᵢ(x), fᵢ(x) = ½‖x − cᵢ‖², with centres cᵢ ∈ Rᵈ.
///
/// ∇fᵢ(x) = x − cᵢ, ∇f(x) = x − c̄ with c̄ the mean of the centres, which is the
/// unique minimiser. The lecture's example has three centres summing to zero
/// ([`ThreePoint::equilateral`]); its objective ½Σᵢ‖x − cᵢ‖² is N = 3 times this mean,
/// so its GD step γ = 1/3 on the sum is the step 1 on the mean. Single-sample SGD with
/// step γ is the affine map x ↦ (1 − γ)x + γcᵢ.
///
/// ```
/// use numerics::objective::{FiniteSum, Objective, ThreePoint};
/// use nalgebra::DVector;
/// let f = ThreePoint::equilateral(2.0).unwrap();
/// let x = DVector::zeros(2);
/// assert!(f.gradient(&x).norm() < 1e-15);                    // Σcᵢ = 0: x* = 0
/// assert!((f.sample_gradient(0, &x).norm() - 2.0).abs() < 1e-15); // ‖∇fᵢ(0)‖ = ‖cᵢ‖
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ThreePoint {
    centres: Vec<Vector>,
    mean: Vector,
}

impl ThreePoint {
    /// The objective with the given centres (any number N ≥ 1 of them, all in Rᵈ).
    ///
    /// # Errors
    /// No centres, a zero dimension, centres of different dimensions, or non-finite
    /// coordinates.
    pub fn new(centres: Vec<Vector>) -> Result<Self> {
        let Some(first) = centres.first() else {
            return Err(NumericsError::Other(
                "three-point objective: at least one centre is needed".into(),
            ));
        };
        let d = first.len();
        if d == 0 {
            return Err(NumericsError::Other(
                "three-point objective: centres must have dimension ≥ 1".into(),
            ));
        }
        if let Some(bad) = centres.iter().find(|c| c.len() != d) {
            return Err(NumericsError::DimensionMismatch {
                context: "three-point objective: centre dimension",
                expected: d,
                got: bad.len(),
            });
        }
        if centres
            .iter()
            .flat_map(|c| c.iter())
            .any(|v| !v.is_finite())
        {
            return Err(NumericsError::NonFinite("three-point centres"));
        }
        let mut mean = Vector::zeros(d);
        for c in &centres {
            mean += c;
        }
        mean /= centres.len() as f64;
        Ok(Self { centres, mean })
    }

    /// The lecture's instance: cᵢ = r·(cos(2πi/3), sin(2πi/3)), i = 0, 1, 2 (unit vectors
    /// at 120° scaled by r), so Σcᵢ = 0 and ‖cᵢ‖ = r.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] if r is negative or not finite.
    pub fn equilateral(radius: f64) -> Result<Self> {
        crate::error::check_closed("radius r", "≥ 0 and finite", radius, 0.0, f64::MAX)?;
        let centres = (0..3)
            .map(|i| {
                let t = 2.0 * std::f64::consts::PI * f64::from(i) / 3.0;
                Vector::from_vec(vec![radius * t.cos(), radius * t.sin()])
            })
            .collect();
        Self::new(centres)
    }

    /// The centres cᵢ.
    #[must_use]
    pub fn centres(&self) -> &[Vector] {
        &self.centres
    }

    /// The minimiser x* = c̄ = (1/N) Σᵢ cᵢ.
    #[must_use]
    pub fn minimiser(&self) -> &Vector {
        &self.mean
    }
}

impl Objective for ThreePoint {
    fn dim(&self) -> usize {
        self.mean.len()
    }
    fn value(&self, x: &Vector) -> f64 {
        self.centres
            .iter()
            .map(|c| 0.5 * (x - c).norm_squared())
            .sum::<f64>()
            / self.centres.len() as f64
    }
    fn gradient(&self, x: &Vector) -> Vector {
        x - &self.mean
    }
    fn hvp(&self, _x: &Vector, v: &Vector) -> Vector {
        v.clone()
    }
    fn hessian(&self, _x: &Vector) -> Option<Matrix> {
        let d = self.dim();
        Some(Matrix::identity(d, d))
    }
}

impl FiniteSum for ThreePoint {
    fn n(&self) -> usize {
        self.centres.len()
    }
    fn sample_value(&self, i: usize, x: &Vector) -> f64 {
        0.5 * (x - &self.centres[i]).norm_squared()
    }
    fn sample_gradient(&self, i: usize, x: &Vector) -> Vector {
        x - &self.centres[i]
    }
    fn sample_hessian(&self, _i: usize, _x: &Vector) -> Option<Matrix> {
        let d = self.dim();
        Some(Matrix::identity(d, d))
    }
}
