//! [`HeavyBall`]: stochastic heavy ball m_k = β_k m_{k−1} + c(β_k)∇f_{S_k}(x_k),
//! x_{k+1} = x_k − η_k m_k, with c = 1 ([`Shb`](super::Shb)) or c = 1 − β
//! ([`Nshb`](super::Nshb)). Both are this one type with a different [`Form`].

use super::common::{finish_step, minibatch_gradient, momentum_at, momentum_update, MiniBatch};
use super::common::{BufferRule, Clock, MomentumReset, State};
use crate::objective::{AsArgmin, FiniteSum, Sampling};
use crate::schedule::{Constant, Schedule};
use crate::smoothing::smoothing_degree;
use crate::{Result, Seed, Vector};
use argmin::core::{Error, Problem, Solver, KV};
use serde::{Deserialize, Serialize};
use std::fmt;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Polyak {}
    impl Sealed for super::Normalized {}
}

/// The buffer update of a [`HeavyBall`] solver: [`Polyak`] (SHB) or [`Normalized`]
/// (NSHB). Sealed: the two forms of arXiv 2412.11501 are the only ones.
pub trait Form:
    sealed::Sealed
    + fmt::Debug
    + Clone
    + Copy
    + Default
    + PartialEq
    + Send
    + Sync
    + Serialize
    + for<'de> Deserialize<'de>
    + 'static
{
    /// The buffer update m ← βm + c(β)g.
    const RULE: BufferRule;
    /// The solver name argmin reports ("SHB", "NSHB").
    const NAME: &'static str;
}

/// m ← βm + g: Polyak's heavy ball as PyTorch `SGD(momentum=β)` implements it ([`Shb`](super::Shb)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Polyak;

impl Form for Polyak {
    const RULE: BufferRule = BufferRule::Heavy;
    const NAME: &'static str = "SHB";
}

/// m ← βm + (1 − β)g: the normalized heavy ball ([`Nshb`](super::Nshb)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalized;

impl Form for Normalized {
    const RULE: BufferRule = BufferRule::Normalized;
    const NAME: &'static str = "NSHB";
}

/// Stochastic heavy ball in the form `F`: m_k = β_k m_{k−1} + c(β_k)∇f_{S_k}(x_k),
/// x_{k+1} = x_k − η_k m_k, m_{−1} = 0, with c = 1 for [`Polyak`] and c = 1 − β for
/// [`Normalized`]. Construct it through the aliases [`Shb`](super::Shb) and
/// [`Nshb`](super::Nshb), whose docs give the references and examples.
///
/// * η_k, b_k = ⌊·⌋, β_k from [`Schedule`]s indexed by iteration or epoch ([`Clock`]);
/// * batches from a [`crate::objective::BatchSampler`] seeded by the [`Seed`];
/// * [`MomentumReset::EachEpoch`] zeroes the buffer at every epoch start (the authors'
///   Algorithm-6 code re-creates the optimizer each epoch);
/// * the state holds x_{k+1} and ∇f_{S_k}(x_k); the full cost only if asked for;
/// * diagnostics: `learning_rate`, `batch_size`, `momentum`, `epoch`, `momentum_reset`
///   and, with [`HeavyBall::with_noise`], the degree of smoothing `delta`
///   (δ_SHB = η√(C²/b + β̂(β)(C²/b + K²)), δ_NSHB = η√(C²/b + 4β²(C²/b + K²))).
///
/// The solver state (including the sampler's RNG and the buffer) is serialisable when
/// the schedules are, so checkpoints resume the same run.
///
/// ## Requirements on the optimization problem
///
/// A [`FiniteSum`] wrapped in [`AsArgmin`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeavyBall<F, L = Constant, B = Constant, M = Constant> {
    core: MiniBatch<L, B>,
    momentum: M,
    reset: MomentumReset,
    buffer: Option<Vector>,
    /// (C², K) for the δ diagnostic.
    noise: Option<(f64, f64)>,
    form: F,
}

impl<F: Form> HeavyBall<F, Constant, Constant, Constant> {
    /// Constant η = `learning_rate`, b = `batch_size`, β = `momentum`.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] unless η > 0, b ≥ 1 and β ∈ [0, 1).
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

impl<F: Form, L: Schedule, B: Schedule, M: Schedule> HeavyBall<F, L, B, M> {
    /// Schedules η_k, b_k, β_k (each checked when used: η ≥ 0, b ≥ 1, β ∈ [0, 1)).
    #[must_use]
    pub fn scheduled(learning_rate: L, batch_size: B, momentum: M, seed: Seed) -> Self {
        Self {
            core: MiniBatch::new(learning_rate, batch_size, seed),
            momentum,
            reset: MomentumReset::Never,
            buffer: None,
            noise: None,
            form: F::default(),
        }
    }

    /// How batches are drawn (default [`Sampling::WithReplacement`]).
    #[must_use]
    pub fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.core.stream.sampling = sampling;
        self
    }

    /// What the schedules are indexed by (default [`Clock::Iteration`]).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.core.clock = clock;
        self
    }

    /// When the momentum buffer is zeroed (default [`MomentumReset::Never`]).
    #[must_use]
    pub fn with_reset(mut self, reset: MomentumReset) -> Self {
        self.reset = reset;
        self
    }

    /// Variance bound C² and gradient-norm bound K, used only to report δ.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] unless both are finite and ≥ 0.
    pub fn with_noise(mut self, c2: f64, k: f64) -> Result<Self> {
        crate::error::check_closed("noise variance C²", "finite and ≥ 0", c2, 0.0, f64::MAX)?;
        crate::error::check_closed("gradient bound K", "finite and ≥ 0", k, 0.0, f64::MAX)?;
        self.noise = Some((c2, k));
        Ok(self)
    }

    /// Whether to evaluate the full cost f(x_{k+1}) after every step (default `false`).
    #[must_use]
    pub fn with_cost(mut self, track_cost: bool) -> Self {
        self.core.track_cost = track_cost;
        self
    }

    /// The momentum buffer m_{k−1} (None before the first step and after a reset).
    #[must_use]
    pub fn buffer(&self) -> Option<&Vector> {
        self.buffer.as_ref()
    }
}

impl<O, F, L, B, M> Solver<AsArgmin<O>, State> for HeavyBall<F, L, B, M>
where
    O: FiniteSum,
    F: Form,
    L: Schedule,
    B: Schedule,
    M: Schedule,
{
    fn name(&self) -> &str {
        F::NAME
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        let d = self.core.draw(problem, &state, F::NAME)?;
        let (eta, beta) = (d.learning_rate, momentum_at(&self.momentum, d.k)?);
        let reset = self.reset == MomentumReset::EachEpoch && d.new_epoch;
        if reset {
            self.buffer = None;
        }
        let g = minibatch_gradient(problem, &d.batch, &d.x)?;
        let m = momentum_update(&mut self.buffer, &g, beta, F::RULE.gradient_weight(beta));
        let x_new = &d.x - m * eta;
        let mut kv = d.kv();
        kv.insert("momentum", beta.into());
        kv.insert("momentum_reset", reset.into());
        if let Some((c2, k)) = self.noise {
            let b = d.batch.len() as f64;
            let delta = smoothing_degree(eta, c2, b, F::RULE.noise_form(beta, k));
            kv.insert("delta", delta.into());
        }
        finish_step(problem, state, x_new, g, kv, self.core.track_cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::LeastSquares;
    use crate::optim::testing::{checkpoint_resume_matches, least_squares};
    use crate::optim::{Nshb, Sgd, Shb};
    use crate::Matrix;
    use argmin::core::Executor;

    fn half_square() -> LeastSquares {
        // One sample, f(x) = ½x², ∇f(x) = x.
        LeastSquares::new(Matrix::identity(1, 1), Vector::zeros(1), 0.0).unwrap()
    }

    fn last<F: Form>(f: LeastSquares, solver: HeavyBall<F>, x0: Vector, iters: u64) -> Vector {
        Executor::new(AsArgmin(f), solver)
            .configure(|s| s.param(x0).max_iters(iters))
            .run()
            .unwrap()
            .state()
            .param
            .clone()
            .unwrap()
    }

    fn rejects_bad_parameters<F: Form>() {
        assert!(HeavyBall::<F>::new(0.1, 4, 1.0, Seed(0)).is_err());
        assert!(HeavyBall::<F>::new(0.1, 4, -0.1, Seed(0)).is_err());
        assert!(HeavyBall::<F>::new(0.1, 0, 0.5, Seed(0)).is_err());
        assert!(HeavyBall::<F>::new(-0.1, 4, 0.5, Seed(0)).is_err());
        assert!(HeavyBall::<F>::new(0.1, 4, 0.5, Seed(0))
            .unwrap()
            .with_noise(1.0, -1.0)
            .is_err());
        let bad = HeavyBall::<F, _, _, _>::scheduled(
            Constant(0.1),
            Constant(1.0),
            Constant(1.5),
            Seed(0),
        );
        let res = Executor::new(AsArgmin(half_square()), bad)
            .configure(|s| s.param(Vector::zeros(1)).max_iters(1))
            .run();
        assert!(res.is_err());
    }

    #[test]
    fn shb_rejects_bad_parameters() {
        rejects_bad_parameters::<Polyak>();
    }

    #[test]
    fn nshb_rejects_bad_parameters() {
        rejects_bad_parameters::<Normalized>();
    }

    fn steps_match<F: Form>(solver: &HeavyBall<F>, want: [(u64, f64); 3]) {
        for (iters, want) in want {
            let x = last(
                half_square(),
                solver.clone(),
                Vector::from_element(1, 1.0),
                iters,
            );
            assert!((x[0] - want).abs() < 1e-15, "{iters}: {}", x[0]);
        }
    }

    #[test]
    fn shb_two_steps_match_closed_form() {
        // ∇f = x, η = 0.1, β = 0.5, x₀ = 1: m₀ = 1, x₁ = 0.9; m₁ = 0.5 + 0.9 = 1.4,
        // x₂ = 0.9 − 0.14 = 0.76; m₂ = 0.7 + 0.76 = 1.46, x₃ = 0.76 − 0.146 = 0.614.
        let shb = Shb::new(0.1, 1, 0.5, Seed(0)).unwrap();
        steps_match(&shb, [(1, 0.9), (2, 0.76), (3, 0.614)]);
    }

    #[test]
    fn nshb_two_steps_match_closed_form() {
        // ∇f = x, η = 0.1, β = 0.5, x₀ = 1: m₀ = 0.5, x₁ = 0.95; m₁ = 0.25 + 0.475
        // = 0.725, x₂ = 0.8775; m₂ = 0.3625 + 0.43875 = 0.80125, x₃ = 0.797375.
        let nshb = Nshb::new(0.1, 1, 0.5, Seed(0)).unwrap();
        steps_match(&nshb, [(1, 0.95), (2, 0.8775), (3, 0.797375)]);
    }

    #[test]
    fn shb_with_reset_every_epoch_is_sgd_when_each_step_is_an_epoch() {
        // N = 1, b = 1: every step starts an epoch, so the buffer never carries over.
        let shb = Shb::new(0.1, 1, 0.9, Seed(0))
            .unwrap()
            .with_reset(MomentumReset::EachEpoch);
        let x = last(half_square(), shb, Vector::from_element(1, 1.0), 3);
        assert!((x[0] - 0.9f64.powi(3)).abs() < 1e-15);
    }

    #[test]
    fn nshb_with_reset_every_epoch_is_sgd_when_each_step_is_an_epoch() {
        // As for SHB, with the gradient weighted by 1 − β = 0.1: x ← (1 − 0.01)x.
        let nshb = Nshb::new(0.1, 1, 0.9, Seed(0))
            .unwrap()
            .with_reset(MomentumReset::EachEpoch);
        let x = last(half_square(), nshb, Vector::from_element(1, 1.0), 3);
        assert!((x[0] - 0.99f64.powi(3)).abs() < 1e-15);
    }

    fn with_zero_momentum_is_sgd_with_the_same_seed<F: Form>() {
        let hb = HeavyBall::<F>::new(0.05, 4, 0.0, Seed(7)).unwrap();
        let x = Executor::new(AsArgmin(least_squares()), hb)
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
    fn shb_with_zero_momentum_is_sgd_with_the_same_seed() {
        with_zero_momentum_is_sgd_with_the_same_seed::<Polyak>();
    }

    #[test]
    fn nshb_with_zero_momentum_is_sgd_with_the_same_seed() {
        with_zero_momentum_is_sgd_with_the_same_seed::<Normalized>();
    }

    fn is_reproducible_and_resumes_from_a_checkpoint<F: Form>() {
        let hb = HeavyBall::<F>::new(0.02, 4, 0.9, Seed(1)).unwrap();
        let a = last(least_squares(), hb.clone(), Vector::zeros(3), 30);
        let b = last(least_squares(), hb.clone(), Vector::zeros(3), 30);
        assert_eq!(a, b);
        checkpoint_resume_matches(least_squares(), hb, Vector::zeros(3));
    }

    #[test]
    fn shb_is_reproducible_and_resumes_from_a_checkpoint() {
        is_reproducible_and_resumes_from_a_checkpoint::<Polyak>();
    }

    #[test]
    fn nshb_is_reproducible_and_resumes_from_a_checkpoint() {
        is_reproducible_and_resumes_from_a_checkpoint::<Normalized>();
    }

    fn converges_near_the_least_squares_solution<F: Form>(learning_rate: f64) {
        let f = least_squares();
        let q = f.to_quadratic().unwrap();
        let x_star = q.a().clone().lu().solve(&(-q.c())).unwrap();
        let hb = HeavyBall::<F>::new(learning_rate, 8, 0.9, Seed(2)).unwrap();
        let x = last(f, hb, Vector::zeros(3), 3000);
        assert!((x - x_star).norm() < 0.2);
    }

    #[test]
    fn shb_converges_near_the_least_squares_solution() {
        converges_near_the_least_squares_solution::<Polyak>(0.005);
    }

    #[test]
    fn nshb_converges_near_the_least_squares_solution() {
        // The gradient enters with weight 1 − β, so NSHB takes a 10× larger η.
        converges_near_the_least_squares_solution::<Normalized>(0.05);
    }

    #[test]
    fn heavy_ball_names_its_form() {
        let shb = Shb::new(0.1, 1, 0.5, Seed(0)).unwrap();
        let nshb = Nshb::new(0.1, 1, 0.5, Seed(0)).unwrap();
        assert_eq!(Solver::<AsArgmin<LeastSquares>, State>::name(&shb), "SHB");
        assert_eq!(Solver::<AsArgmin<LeastSquares>, State>::name(&nshb), "NSHB");
    }
}
