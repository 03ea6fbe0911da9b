//! [`Nshb`]: normalized stochastic heavy ball m_k = βm_{k−1} + (1 − β)∇f_{S_k}(x_k),
//! x_{k+1} = x_k − ηm_k.

use super::heavy_ball::{HeavyBall, Normalized};
use crate::schedule::Constant;

/// Normalized stochastic heavy ball (NSHB): m_k = β_k m_{k−1} + (1 − β_k)∇f_{S_k}(x_k),
/// x_{k+1} = x_k − η_k m_k, m_{−1} = 0 — the authors' `nshb.py` (adapted from
/// Kipok/understanding-momentum; buffer initialised to zero) without weight decay
/// (arXiv 2412.11501, Algorithm 5; spec §6.3).
///
/// [`HeavyBall`] in the [`Normalized`] form: schedules, clock, sampling, momentum reset
/// and diagnostics are described there; [`HeavyBall::with_noise`] reports
/// δ_NSHB = η√(C²/b + 4β²(C²/b + K²)).
///
/// ## Reference
///
/// Ma & Yarats, *Quasi-hyperbolic momentum and Adam for deep learning* (ICLR 2019; the
/// normalized form); Sato & Iiduka, arXiv 2412.11501, Algorithm 5 and code `nshb.py`.
///
/// # Example
///
/// ```
/// use argmin::core::Executor;
/// use nalgebra::{DMatrix, DVector};
/// use numerics::objective::{AsArgmin, LeastSquares};
/// use numerics::optim::Nshb;
/// use numerics::Seed;
/// // One sample, f(x) = ½x², ∇f = x: m₀ = 0.5, x₁ = 0.95; m₁ = 0.25 + 0.475, x₂ = 0.8775.
/// let f = LeastSquares::new(DMatrix::identity(1, 1), DVector::zeros(1), 0.0).unwrap();
/// let res = Executor::new(AsArgmin(f), Nshb::new(0.1, 1, 0.5, Seed(0)).unwrap())
///     .configure(|s| s.param(DVector::from_element(1, 1.0)).max_iters(2))
///     .run()
///     .unwrap();
/// assert!((res.state().param.as_ref().unwrap()[0] - 0.8775).abs() < 1e-15);
/// ```
pub type Nshb<L = Constant, B = Constant, M = Constant> = HeavyBall<Normalized, L, B, M>;
