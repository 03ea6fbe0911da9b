//! Smoothing f̂_δ(x) = E_u[f(x − δu)] (Definition 2.1) for the kernels of spec §1:
//! [`Kernel::Ball`] (uniform unit ball), [`Kernel::Gaussian`] (N(0, I_d)) and
//! [`Kernel::GaussianUnit`] (N(0, I_d/d)); exact closed forms; and the degree of
//! smoothing δ of SGD and its momentum variants.

pub mod degree;
pub mod kernel;
pub mod logistic;
pub mod monte_carlo;
pub mod quadratic;
pub mod rastrigin;
pub mod rastrigin_landscape;

pub use degree::{beta_hat, smoothing_degree, NoiseForm};
pub use kernel::Kernel;
pub use logistic::SmoothedLogistic;
pub use monte_carlo::{Difference, Estimate, MonteCarlo, VectorEstimate};
pub use quadratic::SmoothedQuadratic;
pub use rastrigin::SmoothedRastrigin;

/// Returns `Ok(δ)` for a degree of smoothing δ that is finite and ≥ 0 (δ = 0 is the
/// unsmoothed function).
pub(crate) fn check_delta(delta: f64) -> crate::Result<f64> {
    crate::error::check_closed(
        "degree of smoothing δ",
        "≥ 0 and finite",
        delta,
        0.0,
        f64::MAX,
    )
}
