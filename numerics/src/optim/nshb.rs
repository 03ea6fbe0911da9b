//! [`Nshb`]: normalized stochastic heavy ball m_k = βm_{k−1} + (1 − β)∇f_{S_k}(x_k),
//! x_{k+1} = x_k − ηm_k.

use super::common::{Buffer, Clock, HeavyBall, MomentumReset, State};
use crate::objective::{AsArgmin, FiniteSum, Sampling};
use crate::schedule::{Constant, Schedule};
use crate::{Result, Seed};
use argmin::core::{Error, Problem, Solver, KV};
use serde::{Deserialize, Serialize};

/// Normalized stochastic heavy ball (NSHB): m_k = β_k m_{k−1} + (1 − β_k)∇f_{S_k}(x_k),
/// x_{k+1} = x_k − η_k m_k, m_{−1} = 0 — the authors' `nshb.py` (adapted from
/// Kipok/understanding-momentum; buffer initialised to zero) without weight decay
/// (arXiv 2412.11501, Algorithm 5; spec §6.3).
///
/// * η_k, b_k = ⌊·⌋, β_k from [`Schedule`]s indexed by iteration or epoch ([`Clock`]);
/// * batches from a [`crate::objective::BatchSampler`] seeded by the [`Seed`];
/// * [`MomentumReset::EachEpoch`] zeroes the buffer at every epoch start;
/// * the state holds x_{k+1} and ∇f_{S_k}(x_k); the full cost only if asked for;
/// * diagnostics: `learning_rate`, `batch_size`, `momentum`, `epoch`, `momentum_reset`
///   and, with [`Nshb::with_noise`], δ_NSHB = η√(C²/b + 4β²(C²/b + K²)).
///
/// ## Requirements on the optimization problem
///
/// A [`FiniteSum`] wrapped in [`AsArgmin`].
///
/// ## Reference
///
/// Ma & Yarats, *Quasi-hyperbolic momentum and Adam for deep
/// learning* (ICLR 2019; the normalized form); Sato & Iiduka, arXiv 2412.11501,
/// Algorithm 5 and code `nshb.py`.
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Nshb<L = Constant, B = Constant, M = Constant>(HeavyBall<L, B, M>);

impl Nshb<Constant, Constant, Constant> {
    /// NSHB with constant η = `learning_rate`, b = `batch_size`, β = `momentum`.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] unless η > 0, b ≥ 1 and β ∈ [0, 1).
    pub fn new(learning_rate: f64, batch_size: usize, momentum: f64, seed: Seed) -> Result<Self> {
        super::common::check_constants(learning_rate, batch_size, momentum)?;
        Ok(Self::scheduled(
            Constant(learning_rate),
            Constant(batch_size as f64),
            Constant(momentum),
            seed,
        ))
    }
}

impl<L: Schedule, B: Schedule, M: Schedule> Nshb<L, B, M> {
    /// NSHB with schedules η_k, b_k, β_k (each checked when used: η ≥ 0, b ≥ 1, β ∈ [0, 1)).
    #[must_use]
    pub fn scheduled(learning_rate: L, batch_size: B, momentum: M, seed: Seed) -> Self {
        Self(HeavyBall::new(learning_rate, batch_size, momentum, seed))
    }

    /// How batches are drawn (default [`Sampling::WithReplacement`]).
    #[must_use]
    pub fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.0.stream.sampling = sampling;
        self
    }

    /// What the schedules are indexed by (default [`Clock::Iteration`]).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.0.clock = clock;
        self
    }

    /// When the momentum buffer is zeroed (default [`MomentumReset::Never`]).
    #[must_use]
    pub fn with_reset(mut self, reset: MomentumReset) -> Self {
        self.0.reset = reset;
        self
    }

    /// Variance bound C² and gradient-norm bound K, used only to report δ_NSHB.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] unless both are finite and ≥ 0.
    pub fn with_noise(mut self, c2: f64, k: f64) -> Result<Self> {
        crate::error::check_closed("noise variance C²", "finite and ≥ 0", c2, 0.0, f64::MAX)?;
        crate::error::check_closed("gradient bound K", "finite and ≥ 0", k, 0.0, f64::MAX)?;
        self.0.noise = Some((c2, k));
        Ok(self)
    }

    /// Whether to evaluate the full cost f(x_{k+1}) after every step (default `false`).
    #[must_use]
    pub fn with_cost(mut self, track_cost: bool) -> Self {
        self.0.track_cost = track_cost;
        self
    }

    /// The momentum buffer m_{k−1} (None before the first step and after a reset).
    #[must_use]
    pub fn buffer(&self) -> Option<&crate::Vector> {
        self.0.buffer.as_ref()
    }
}

impl<O: FiniteSum, L: Schedule, B: Schedule, M: Schedule> Solver<AsArgmin<O>, State>
    for Nshb<L, B, M>
{
    fn name(&self) -> &str {
        "NSHB"
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        self.0.step(problem, state, Buffer::Normalized, "Nshb")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::LeastSquares;
    use crate::optim::testing::{checkpoint_resume_matches, least_squares};
    use crate::optim::Sgd;
    use crate::{Matrix, Vector};
    use argmin::core::Executor;

    fn half_square() -> LeastSquares {
        // One sample, f(x) = ½x², ∇f(x) = x.
        LeastSquares::new(Matrix::identity(1, 1), Vector::zeros(1), 0.0).unwrap()
    }

    fn last(f: LeastSquares, solver: Nshb, x0: Vector, iters: u64) -> Vector {
        Executor::new(AsArgmin(f), solver)
            .configure(|s| s.param(x0).max_iters(iters))
            .run()
            .unwrap()
            .state()
            .param
            .clone()
            .unwrap()
    }

    #[test]
    fn nshb_rejects_bad_parameters() {
        assert!(Nshb::new(0.1, 4, 1.0, Seed(0)).is_err());
        assert!(Nshb::new(0.1, 4, -0.1, Seed(0)).is_err());
        assert!(Nshb::new(0.1, 0, 0.5, Seed(0)).is_err());
        assert!(Nshb::new(-0.1, 4, 0.5, Seed(0)).is_err());
        assert!(Nshb::new(0.1, 4, 0.5, Seed(0))
            .unwrap()
            .with_noise(1.0, -1.0)
            .is_err());
        let bad = Nshb::scheduled(Constant(0.1), Constant(1.0), Constant(1.5), Seed(0));
        let res = Executor::new(AsArgmin(half_square()), bad)
            .configure(|s| s.param(Vector::zeros(1)).max_iters(1))
            .run();
        assert!(res.is_err());
    }

    #[test]
    fn nshb_two_steps_match_closed_form() {
        // ∇f = x, η = 0.1, β = 0.5, x₀ = 1: m₀ = 0.5, x₁ = 0.95; m₁ = 0.25 + 0.475
        // = 0.725, x₂ = 0.8775; m₂ = 0.3625 + 0.43875 = 0.80125, x₃ = 0.797375.
        let nshb = Nshb::new(0.1, 1, 0.5, Seed(0)).unwrap();
        for (iters, want) in [(1, 0.95), (2, 0.8775), (3, 0.797375)] {
            let x = last(
                half_square(),
                nshb.clone(),
                Vector::from_element(1, 1.0),
                iters,
            );
            assert!((x[0] - want).abs() < 1e-15, "{iters}: {}", x[0]);
        }
    }

    #[test]
    fn nshb_with_reset_every_epoch_is_sgd_when_each_step_is_an_epoch() {
        // N = 1, b = 1: every step starts an epoch, so the buffer never carries over.
        let nshb = Nshb::new(0.1, 1, 0.9, Seed(0))
            .unwrap()
            .with_reset(MomentumReset::EachEpoch);
        let x = last(half_square(), nshb, Vector::from_element(1, 1.0), 3);
        assert!((x[0] - 0.99f64.powi(3)).abs() < 1e-15);
    }

    #[test]
    fn nshb_with_zero_momentum_is_sgd_with_the_same_seed() {
        let nshb = Nshb::new(0.05, 4, 0.0, Seed(7)).unwrap();
        let x = Executor::new(AsArgmin(least_squares()), nshb)
            .configure(|s| s.param(Vector::zeros(3)).max_iters(20))
            .run()
            .unwrap();
        let y = Executor::new(
            AsArgmin(least_squares()),
            Sgd::new(0.05, 4, Seed(7)).unwrap(),
        )
        .configure(|s| s.param(Vector::zeros(3)).max_iters(20))
        .run()
        .unwrap();
        assert_eq!(x.state().param, y.state().param);
    }

    #[test]
    fn nshb_is_reproducible_and_resumes_from_a_checkpoint() {
        let nshb = Nshb::new(0.02, 4, 0.9, Seed(1)).unwrap();
        let a = last(least_squares(), nshb.clone(), Vector::zeros(3), 30);
        let b = last(least_squares(), nshb.clone(), Vector::zeros(3), 30);
        assert_eq!(a, b);
        checkpoint_resume_matches(least_squares(), nshb, Vector::zeros(3));
    }

    #[test]
    fn nshb_converges_near_the_least_squares_solution() {
        let f = least_squares();
        let q = f.to_quadratic().unwrap();
        let x_star = q.a().clone().lu().solve(&(-q.c())).unwrap();
        let nshb = Nshb::new(0.05, 8, 0.9, Seed(2)).unwrap();
        let x = last(f, nshb, Vector::zeros(3), 3000);
        assert!((x - x_star).norm() < 0.2);
    }
}
