//! [`Sam`] and [`StochasticSam`]: sharpness-aware minimisation
//! x_{k+1} = x_k − γ_k ∇f(x_k + ρ g_k/‖g_k‖), g_k = ∇f(x_k).

use super::common::{
    current_param, finish_step, init_cost, iteration, learning_rate_at, minibatch_gradient, Clock,
    MiniBatch, State,
};
use crate::objective::{AsArgmin, FiniteSum, Objective, Sampling};
use crate::schedule::{Constant, Schedule};
use crate::{Result, Seed, Vector};
use argmin::core::{Error, Problem, Solver, KV};
use argmin::kv;
use serde::{Deserialize, Serialize};

/// The SAM ascent step ε = ρ g/‖g‖, and ε = 0 when g = 0 (the guard: the normalised
/// direction is undefined there, and SAM then takes a plain gradient step).
#[must_use]
pub fn ascent_step(g: &Vector, rho: f64) -> Vector {
    let norm = g.norm();
    if norm > 0.0 && norm.is_finite() {
        g * (rho / norm)
    } else {
        Vector::zeros(g.len())
    }
}

fn check_radius(rho: f64) -> Result<f64> {
    crate::error::check_closed("SAM radius ρ", "finite and ≥ 0", rho, 0.0, f64::MAX)
}

/// Sharpness-aware minimisation (deterministic):
/// x_{k+1} = x_k − γ_k ∇f(x_k + ε_k), ε_k = ρ ∇f(x_k)/‖∇f(x_k)‖ (ε_k = 0 if ∇f(x_k) = 0).
///
/// Two gradient evaluations per step. After a step the state holds x_{k+1}, the SAM
/// gradient ∇f(x_k + ε_k) and, unless disabled, f(x_{k+1}). ρ = 0 is gradient descent.
/// Diagnostics: `learning_rate` γ, `rho` ρ, `gradient_norm` ‖∇f(x_k)‖.
///
/// ## Requirements on the optimization problem
///
/// An [`Objective`] wrapped in [`AsArgmin`].
///
/// ## Reference
///
/// Foret, Kleiner, Mobahi & Neyshabur, *Sharpness-aware minimization for efficiently
/// improving generalization*, ICLR 2021 (arXiv 2010.01412); spec §8 (lecture 002).
///
/// # Example
///
/// ```
/// use argmin::core::Executor;
/// use nalgebra::{DMatrix, DVector};
/// use numerics::objective::{AsArgmin, Quadratic};
/// use numerics::optim::Sam;
/// // f = ½x²: x₁ = x₀ − γ(x₀ + ρ·sign x₀) = 1 − 0.1·(1 + 0.5) = 0.85.
/// let f = Quadratic::homogeneous(DMatrix::identity(1, 1)).unwrap();
/// let res = Executor::new(AsArgmin(f), Sam::new(0.1, 0.5).unwrap())
///     .configure(|s| s.param(DVector::from_element(1, 1.0)).max_iters(1))
///     .run()
///     .unwrap();
/// assert!((res.state().param.as_ref().unwrap()[0] - 0.85).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sam<L = Constant> {
    learning_rate: L,
    rho: f64,
    track_cost: bool,
}

impl Sam<Constant> {
    /// SAM with constant step γ = `learning_rate` and radius ρ = `rho`.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] unless γ is finite and > 0 and ρ finite ≥ 0.
    pub fn new(learning_rate: f64, rho: f64) -> Result<Self> {
        crate::error::check_positive("learning rate", learning_rate)?;
        Self::scheduled(Constant(learning_rate), rho)
    }
}

impl<L: Schedule> Sam<L> {
    /// SAM with step schedule γ_k = `learning_rate.at(k)` and radius ρ.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] unless ρ is finite and ≥ 0.
    pub fn scheduled(learning_rate: L, rho: f64) -> Result<Self> {
        Ok(Self {
            learning_rate,
            rho: check_radius(rho)?,
            track_cost: true,
        })
    }

    /// Whether to evaluate f(x_{k+1}) after every step (default `true`).
    #[must_use]
    pub fn with_cost(mut self, track_cost: bool) -> Self {
        self.track_cost = track_cost;
        self
    }

    /// The radius ρ.
    #[must_use]
    pub fn rho(&self) -> f64 {
        self.rho
    }

    /// The learning-rate schedule.
    #[must_use]
    pub fn learning_rate(&self) -> &L {
        &self.learning_rate
    }
}

impl<O: Objective, L: Schedule> Solver<AsArgmin<O>, State> for Sam<L> {
    fn name(&self) -> &str {
        "SAM"
    }

    fn init(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        init_cost(problem, state, self.track_cost, "Sam")
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        let x = current_param(&state, "Sam")?;
        let gamma = learning_rate_at(&self.learning_rate, iteration(&state))?;
        let g = problem.gradient(&x)?;
        let eps = ascent_step(&g, self.rho);
        let g_sam = problem.gradient(&(&x + &eps))?;
        let x_new = &x - &g_sam * gamma;
        let kv = kv!(
            "learning_rate" => gamma;
            "rho" => self.rho;
            "gradient_norm" => g.norm();
        );
        finish_step(problem, state, x_new, g_sam, kv, self.track_cost)
    }
}

/// Mini-batch SAM on a [`FiniteSum`]: with one batch S_k used at both points,
/// x_{k+1} = x_k − γ_k ∇f_{S_k}(x_k + ε_k), ε_k = ρ ∇f_{S_k}(x_k)/‖∇f_{S_k}(x_k)‖
/// (ε_k = 0 if that gradient vanishes).
///
/// Batches, schedules, clock and seed work as in [`crate::optim::Sgd`]; with ρ = 0 the
/// run is the SGD run with the same seed. The state holds x_{k+1} and the SAM gradient;
/// the full cost is evaluated only if asked for. Diagnostics: `learning_rate`,
/// `batch_size`, `epoch`, `rho`.
///
/// ## Requirements on the optimization problem
///
/// A [`FiniteSum`] wrapped in [`AsArgmin`].
///
/// ## Reference
///
/// Foret et al., ICLR 2021 (arXiv 2010.01412), Algorithm 1 (m-sharpness with m = b).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StochasticSam<L = Constant, B = Constant> {
    core: MiniBatch<L, B>,
    rho: f64,
}

impl StochasticSam<Constant, Constant> {
    /// Mini-batch SAM with constant γ = `learning_rate`, batch size b, radius ρ, and
    /// batches drawn from `seed`.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] unless γ > 0, b ≥ 1 and ρ ≥ 0 (all finite).
    pub fn new(learning_rate: f64, batch_size: usize, rho: f64, seed: Seed) -> Result<Self> {
        crate::error::check_positive("learning rate", learning_rate)?;
        crate::error::check_count("batch size", batch_size, 1)?;
        Self::scheduled(
            Constant(learning_rate),
            Constant(batch_size as f64),
            rho,
            seed,
        )
    }
}

impl<L: Schedule, B: Schedule> StochasticSam<L, B> {
    /// Mini-batch SAM with schedules γ_k, b_k (checked when used) and radius ρ.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] unless ρ is finite and ≥ 0.
    pub fn scheduled(learning_rate: L, batch_size: B, rho: f64, seed: Seed) -> Result<Self> {
        Ok(Self {
            core: MiniBatch::new(learning_rate, batch_size, seed),
            rho: check_radius(rho)?,
        })
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

    /// Whether to evaluate the full cost f(x_{k+1}) after every step (default `false`).
    #[must_use]
    pub fn with_cost(mut self, track_cost: bool) -> Self {
        self.core.track_cost = track_cost;
        self
    }

    /// The radius ρ.
    #[must_use]
    pub fn rho(&self) -> f64 {
        self.rho
    }
}

impl<O: FiniteSum, L: Schedule, B: Schedule> Solver<AsArgmin<O>, State> for StochasticSam<L, B> {
    fn name(&self) -> &str {
        "stochastic SAM"
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        let d = self.core.draw(problem, &state, "StochasticSam")?;
        let g = minibatch_gradient(problem, &d.batch, &d.x)?;
        let eps = ascent_step(&g, self.rho);
        let g_sam = minibatch_gradient(problem, &d.batch, &(&d.x + &eps))?;
        let x_new = &d.x - &g_sam * d.learning_rate;
        let mut kv = d.kv();
        kv.insert("rho", self.rho.into());
        finish_step(problem, state, x_new, g_sam, kv, self.core.track_cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{LeastSquares, Quadratic};
    use crate::optim::testing::{checkpoint_resume_matches, least_squares};
    use crate::optim::Sgd;
    use crate::{Matrix, NumericsError};
    use argmin::core::Executor;

    fn diag14() -> Quadratic {
        Quadratic::homogeneous(Matrix::from_diagonal(&Vector::from_vec(vec![1.0, 4.0]))).unwrap()
    }

    #[test]
    fn sam_rejects_bad_parameters() {
        assert!(matches!(
            Sam::new(0.1, -1.0),
            Err(NumericsError::InvalidParameter { .. })
        ));
        assert!(Sam::new(0.0, 0.1).is_err());
        assert!(Sam::new(0.1, f64::NAN).is_err());
        assert!(StochasticSam::new(0.1, 0, 0.1, Seed(0)).is_err());
        assert!(StochasticSam::new(0.1, 4, -0.1, Seed(0)).is_err());
    }

    #[test]
    fn sam_one_step_matches_closed_form() {
        // f = ½xᵀdiag(1, 4)x at x = (1, 1): g = (1, 4), ε = ρ(1, 4)/√17,
        // x₁ = x − γ·diag(1, 4)(x + ε) = (1, 1) − γ[(1, 4) + ρ(1, 16)/√17].
        let (gamma, rho) = (0.1, 0.3);
        let res = Executor::new(AsArgmin(diag14()), Sam::new(gamma, rho).unwrap())
            .configure(|s| s.param(Vector::from_vec(vec![1.0, 1.0])).max_iters(1))
            .run()
            .unwrap();
        let s17 = 17f64.sqrt();
        let want = [
            1.0 - gamma * (1.0 + rho / s17),
            1.0 - gamma * (4.0 + 16.0 * rho / s17),
        ];
        let x = res.state().param.clone().unwrap();
        assert!((x[0] - want[0]).abs() < 1e-15 && (x[1] - want[1]).abs() < 1e-15);
        assert_eq!(res.problem.counts["gradient_count"], 2);
    }

    #[test]
    fn sam_guard_keeps_a_stationary_point_fixed() {
        // ∇f(0) = 0: without the guard ε = 0/0 = NaN.
        let res = Executor::new(AsArgmin(diag14()), Sam::new(0.1, 0.5).unwrap())
            .configure(|s| s.param(Vector::zeros(2)).max_iters(3))
            .run()
            .unwrap();
        assert_eq!(res.state().param.clone().unwrap(), Vector::zeros(2));
        assert_eq!(ascent_step(&Vector::zeros(3), 1.0), Vector::zeros(3));
    }

    #[test]
    fn sam_settles_within_the_closed_form_band_on_a_parabola() {
        // f = ½hx²: x ← (1 − γh)x − γhρ·sign x; the set |x| ≤ γhρ is invariant and
        // reached from any start, so |x_T| ≤ γhρ.
        let (gamma, rho) = (0.1, 0.05);
        let f = Quadratic::homogeneous(Matrix::identity(1, 1)).unwrap();
        let res = Executor::new(AsArgmin(f), Sam::new(gamma, rho).unwrap())
            .configure(|s| s.param(Vector::from_element(1, 3.0)).max_iters(500))
            .run()
            .unwrap();
        let x = res.state().param.as_ref().unwrap()[0];
        assert!(x.abs() <= gamma * rho * (1.0 + 1e-12), "x = {x}");
    }

    #[test]
    fn stochastic_sam_uses_one_batch_at_both_points() {
        // N = 1: ∇f₁(x) = a(aᵀx − y) with a = (1, 2), y = 1, x₀ = (1, 1):
        // g = 2a, ε = ρa/‖a‖, ∇f₁(x₀ + ε) = a(2 + ρ‖a‖), x₁ = x₀ − γ a(2 + ρ√5).
        let a = Matrix::from_row_slice(1, 2, &[1.0, 2.0]);
        let f = LeastSquares::new(a, Vector::from_element(1, 1.0), 0.0).unwrap();
        let (gamma, rho) = (0.1, 0.2);
        let res = Executor::new(
            AsArgmin(f),
            StochasticSam::new(gamma, 1, rho, Seed(0)).unwrap(),
        )
        .configure(|s| s.param(Vector::from_vec(vec![1.0, 1.0])).max_iters(1))
        .run()
        .unwrap();
        let c = gamma * (2.0 + rho * 5f64.sqrt());
        let x = res.state().param.clone().unwrap();
        assert!((x[0] - (1.0 - c)).abs() < 1e-15 && (x[1] - (1.0 - 2.0 * c)).abs() < 1e-15);
        assert_eq!(res.problem.counts["sample_gradient_count"], 2);
    }

    #[test]
    fn stochastic_sam_with_zero_radius_is_sgd_with_the_same_seed() {
        let run_sam = Executor::new(
            AsArgmin(least_squares()),
            StochasticSam::new(0.05, 4, 0.0, Seed(8)).unwrap(),
        )
        .configure(|s| s.param(Vector::zeros(3)).max_iters(25))
        .run()
        .unwrap();
        let run_sgd = Executor::new(
            AsArgmin(least_squares()),
            Sgd::new(0.05, 4, Seed(8)).unwrap(),
        )
        .configure(|s| s.param(Vector::zeros(3)).max_iters(25))
        .run()
        .unwrap();
        assert_eq!(run_sam.state().param, run_sgd.state().param);
    }

    #[test]
    fn stochastic_sam_is_reproducible() {
        let run = |seed| {
            Executor::new(
                AsArgmin(least_squares()),
                StochasticSam::new(0.05, 4, 0.1, seed).unwrap(),
            )
            .configure(|s| s.param(Vector::zeros(3)).max_iters(25))
            .run()
            .unwrap()
            .state()
            .param
            .clone()
            .unwrap()
        };
        assert_eq!(run(Seed(3)), run(Seed(3)));
        assert_ne!(run(Seed(3)), run(Seed(4)));
    }

    #[test]
    fn stochastic_sam_resumes_from_a_checkpoint() {
        let sam = StochasticSam::new(0.05, 4, 0.1, Seed(2)).unwrap();
        checkpoint_resume_matches(least_squares(), sam, Vector::zeros(3));
    }

    #[test]
    fn sam_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Sam>();
        check::<StochasticSam>();
    }
}
