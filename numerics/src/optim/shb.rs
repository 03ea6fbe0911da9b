//! [`Shb`]: stochastic heavy ball m_k = βm_{k−1} + ∇f_{S_k}(x_k), x_{k+1} = x_k − ηm_k.

use super::heavy_ball::{HeavyBall, Polyak};
use crate::schedule::Constant;

/// Stochastic heavy ball (SHB): m_k = β_k m_{k−1} + ∇f_{S_k}(x_k), x_{k+1} = x_k − η_k m_k,
/// m_{−1} = 0 — PyTorch `optim.SGD(lr=η, momentum=β)` without dampening, weight decay or
/// Nesterov, as in the authors' code (arXiv 2412.11501, Algorithm 4; spec §6.3).
///
/// [`HeavyBall`] in the [`Polyak`] form: schedules, clock, sampling, momentum reset and
/// diagnostics are described there; [`HeavyBall::with_noise`] reports
/// δ_SHB = η√(C²/b + β̂(β)(C²/b + K²)).
///
/// ## Reference
///
/// Polyak (1964); Sato & Iiduka, arXiv 2412.11501 (AAAI-25), Algorithm 4 and code
/// `main.py`.
///
/// # Example
///
/// ```
/// use argmin::core::Executor;
/// use nalgebra::{DMatrix, DVector};
/// use numerics::objective::{AsArgmin, LeastSquares};
/// use numerics::optim::Shb;
/// use numerics::Seed;
/// // One sample, f(x) = ½x², ∇f = x: m₀ = 1, x₁ = 0.9; m₁ = 0.5 + 0.9, x₂ = 0.76.
/// let f = LeastSquares::new(DMatrix::identity(1, 1), DVector::zeros(1), 0.0).unwrap();
/// let res = Executor::new(AsArgmin(f), Shb::new(0.1, 1, 0.5, Seed(0)).unwrap())
///     .configure(|s| s.param(DVector::from_element(1, 1.0)).max_iters(2))
///     .run()
///     .unwrap();
/// assert!((res.state().param.as_ref().unwrap()[0] - 0.76).abs() < 1e-15);
/// ```
pub type Shb<L = Constant, B = Constant, M = Constant> = HeavyBall<Polyak, L, B, M>;
