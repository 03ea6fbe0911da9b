//! C1.x — Definition 2.1, the smoothed function: closed forms, gradient identities, approximation bounds (spec §1).

use crate::support::{random_orthogonal, with_spectrum};
use crate::Check;
use numerics::rng::Rng;
use numerics::{Matrix, Vector};
use rand::Rng as _;

pub mod approximation_bounds;
pub mod gradient_identities;
pub mod logistic_quadrature;
pub mod quadratic_shift;
pub mod rastrigin_closed_form;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(quadratic_shift::QuadraticShift),
        Box::new(rastrigin_closed_form::RastriginClosedForm),
        Box::new(gradient_identities::GradientIdentities),
        Box::new(approximation_bounds::ApproximationBounds),
        Box::new(logistic_quadrature::LogisticQuadrature),
    ]
}

/// A point uniform in [lo, hi]ᵈ.
pub(crate) fn uniform_vector(d: usize, lo: f64, hi: f64, rng: &mut Rng) -> Vector {
    Vector::from_fn(d, |_, _| lo + (hi - lo) * rng.random::<f64>())
}

/// A random symmetric positive-definite matrix QΛQᵀ with Q the orthogonal factor of a
/// Gaussian matrix and eigenvalues log-spaced from 1 to `condition`.
pub(crate) fn random_spd(d: usize, condition: f64, rng: &mut Rng) -> Matrix {
    let q = random_orthogonal(d, rng);
    let lambda: Vec<f64> = (0..d)
        .map(|i| {
            if d == 1 {
                1.0
            } else {
                condition.powf(i as f64 / (d - 1) as f64)
            }
        })
        .collect();
    with_spectrum(&q, &lambda)
}
