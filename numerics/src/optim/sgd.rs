//! [`Sgd`]: mini-batch stochastic gradient descent x_{k+1} = x_k − η_k ∇f_{S_k}(x_k).

use super::common::{finish_step, minibatch_gradient, Clock, MiniBatch, State};
use crate::objective::{AsArgmin, FiniteSum, Sampling};
use crate::schedule::{Constant, Schedule};
use crate::smoothing::{smoothing_degree, NoiseForm};
use crate::{Result, Seed};
use argmin::core::{Error, Problem, Solver, KV};
use serde::{Deserialize, Serialize};

/// Mini-batch SGD x_{k+1} = x_k − η_k ∇f_{S_k}(x_k), |S_k| = b_k, on a [`FiniteSum`].
///
/// * η_k = `learning_rate.at(k)`, b_k = ⌊`batch_size.at(k)`⌋ (Python's `int(b)`), with k
///   the iteration or the epoch ([`Clock`]);
/// * S_k is drawn by a [`crate::objective::BatchSampler`] ([`Sampling`], default
///   [`Sampling::WithReplacement`], i.e. assumption (A4) taken literally) from the
///   `"minibatch"` stream of the [`Seed`]: the same seed gives the same run;
/// * after a step the state holds x_{k+1} and the mini-batch gradient ∇f_{S_k}(x_k);
///   the full cost f(x_{k+1}) is evaluated only if asked for ([`Sgd::with_cost`]),
///   since it costs N sample evaluations;
/// * diagnostics: `learning_rate` η, `batch_size` b, `epoch`, and, when the noise
///   variance C² is given ([`Sgd::with_noise_variance`]), the degree of smoothing
///   `delta` δ = ηC/√b (spec §3).
///
/// The solver state (including the sampler's RNG) is serialisable when the schedules
/// are, so argmin checkpoints resume the same random sequence.
///
/// ## Requirements on the optimization problem
///
/// A [`FiniteSum`] wrapped in [`AsArgmin`].
///
/// ## Reference
///
/// Robbins & Monro (1951); Sato & Iiduka, *Using stochastic gradient descent to smooth
/// nonconvex functions*, arXiv 2311.08745 (δ = ηC/√b).
///
/// # Example
///
/// ```
/// use argmin::core::Executor;
/// use nalgebra::DVector;
/// use numerics::objective::{AsArgmin, LeastSquares};
/// use numerics::optim::Sgd;
/// use numerics::Seed;
/// let f = LeastSquares::gaussian(100, 3, &mut Seed(1).stream("data")).unwrap();
/// let sgd = Sgd::new(0.05, 10, Seed(2)).unwrap();
/// let res = Executor::new(AsArgmin(f), sgd)
///     .configure(|s| s.param(DVector::zeros(3)).max_iters(50))
///     .run()
///     .unwrap();
/// assert!(res.state().param.is_some());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sgd<L = Constant, B = Constant> {
    core: MiniBatch<L, B>,
    noise_variance: Option<f64>,
}

impl Sgd<Constant, Constant> {
    /// SGD with constant learning rate η = `learning_rate` and batch size b =
    /// `batch_size`, drawing batches from `seed`.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] unless η is finite and > 0 and b ≥ 1.
    pub fn new(learning_rate: f64, batch_size: usize, seed: Seed) -> Result<Self> {
        crate::error::check_positive("learning rate", learning_rate)?;
        crate::error::check_count("batch size", batch_size, 1)?;
        Ok(Self::scheduled(
            Constant(learning_rate),
            Constant(batch_size as f64),
            seed,
        ))
    }
}

impl<L: Schedule, B: Schedule> Sgd<L, B> {
    /// SGD with learning-rate schedule η_k and batch-size schedule b_k; each value is
    /// checked when it is used (η_k finite and ≥ 0, b_k finite and ≥ 1), and a bad value
    /// ends the run with an error.
    #[must_use]
    pub fn scheduled(learning_rate: L, batch_size: B, seed: Seed) -> Self {
        Self {
            core: MiniBatch::new(learning_rate, batch_size, seed),
            noise_variance: None,
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

    /// The per-sample gradient-variance bound C², used only to report δ = ηC/√b.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] unless C² is finite and ≥ 0.
    pub fn with_noise_variance(mut self, c2: f64) -> Result<Self> {
        crate::error::check_closed("noise variance C²", "finite and ≥ 0", c2, 0.0, f64::MAX)?;
        self.noise_variance = Some(c2);
        Ok(self)
    }

    /// Whether to evaluate the full cost f(x_{k+1}) after every step (default `false`).
    #[must_use]
    pub fn with_cost(mut self, track_cost: bool) -> Self {
        self.core.track_cost = track_cost;
        self
    }

    /// The learning-rate schedule.
    #[must_use]
    pub fn learning_rate(&self) -> &L {
        &self.core.learning_rate
    }

    /// The batch-size schedule.
    #[must_use]
    pub fn batch_size(&self) -> &B {
        &self.core.batch_size
    }

    /// The seed of the mini-batch stream.
    #[must_use]
    pub fn seed(&self) -> Seed {
        self.core.stream.seed
    }
}

impl<O: FiniteSum, L: Schedule, B: Schedule> Solver<AsArgmin<O>, State> for Sgd<L, B> {
    fn name(&self) -> &str {
        "SGD"
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        let d = self.core.draw(problem, &state, "Sgd")?;
        let eta = d.learning_rate;
        let g = minibatch_gradient(problem, &d.batch, &d.x)?;
        let x_new = &d.x - &g * eta;
        let mut kv = d.kv();
        if let Some(c2) = self.noise_variance {
            let b = d.batch.len() as f64;
            kv.insert("delta", smoothing_degree(eta, c2, b, NoiseForm::Sgd).into());
        }
        finish_step(problem, state, x_new, g, kv, self.core.track_cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{LeastSquares, Objective};
    use crate::optim::testing::{checkpoint_resume_matches, from_bytes, least_squares, to_bytes};
    use crate::{NumericsError, Vector};
    use argmin::core::Executor;

    #[test]
    fn sgd_rejects_bad_parameters() {
        assert!(matches!(
            Sgd::new(0.0, 4, Seed(0)),
            Err(NumericsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            Sgd::new(0.1, 0, Seed(0)),
            Err(NumericsError::InvalidParameter { .. })
        ));
        assert!(Sgd::new(0.1, 4, Seed(0))
            .unwrap()
            .with_noise_variance(-1.0)
            .is_err());
    }

    #[test]
    fn sgd_rejects_a_schedule_that_leaves_its_range() {
        let f = least_squares();
        let sgd = Sgd::scheduled(Constant(0.1), Constant(0.5), Seed(0));
        let res = Executor::new(AsArgmin(f), sgd)
            .configure(|s| s.param(Vector::zeros(3)).max_iters(1))
            .run();
        assert!(res.is_err());
    }

    #[test]
    fn sgd_full_batch_step_is_a_gd_step() {
        // b = N without replacement: ∇f_S = ∇f, so x₁ = x₀ − η∇f(x₀).
        let f = least_squares();
        let n = f.n();
        let x0 = Vector::from_vec(vec![0.5, -1.0, 2.0]);
        let want = &x0 - f.gradient(&x0) * 0.1;
        let sgd = Sgd::new(0.1, n, Seed(3))
            .unwrap()
            .with_sampling(Sampling::WithoutReplacement);
        let res = Executor::new(AsArgmin(f), sgd)
            .configure(|s| s.param(x0).max_iters(1))
            .run()
            .unwrap();
        assert!((res.state().param.clone().unwrap() - want).norm() < 1e-13);
    }

    #[test]
    fn sgd_one_sample_step_matches_closed_form() {
        // N = 1: ∇f₁(x) = a(aᵀx − y), so x₁ = x₀ − η a(aᵀx₀ − y).
        let a = crate::Matrix::from_row_slice(1, 2, &[1.0, 2.0]);
        let f = LeastSquares::new(a, Vector::from_element(1, 1.0), 0.0).unwrap();
        let x0 = Vector::from_vec(vec![1.0, 1.0]);
        // aᵀx₀ − y = 2 → x₁ = (1, 1) − 0.1·2·(1, 2) = (0.8, 0.6).
        let res = Executor::new(AsArgmin(f), Sgd::new(0.1, 1, Seed(0)).unwrap())
            .configure(|s| s.param(x0).max_iters(1))
            .run()
            .unwrap();
        let x = res.state().param.clone().unwrap();
        assert!((x[0] - 0.8).abs() < 1e-15 && (x[1] - 0.6).abs() < 1e-15);
        assert_eq!(res.problem.counts["sample_gradient_count"], 1);
    }

    fn run(seed: Seed, iters: u64) -> Vector {
        let sgd = Sgd::new(0.05, 4, seed).unwrap();
        Executor::new(AsArgmin(least_squares()), sgd)
            .configure(|s| s.param(Vector::zeros(3)).max_iters(iters))
            .run()
            .unwrap()
            .state()
            .param
            .clone()
            .unwrap()
    }

    #[test]
    fn sgd_is_reproducible_with_the_same_seed() {
        assert_eq!(run(Seed(5), 30), run(Seed(5), 30));
        assert!((run(Seed(5), 30) - run(Seed(6), 30)).norm() > 1e-12);
    }

    #[test]
    fn sgd_converges_to_a_noise_ball_around_the_least_squares_solution() {
        let f = least_squares();
        let q = f.to_quadratic().unwrap();
        let x_star = q.a().clone().lu().solve(&(-q.c())).unwrap();
        let x = run(Seed(9), 3000);
        assert!((x - x_star).norm() < 0.2);
    }

    #[test]
    fn sgd_epoch_clock_changes_the_rate_once_per_epoch() {
        // η = 1 in epoch 0, 0 afterwards: with N = 40, b = 10 and epoch shuffling, the
        // iterate moves in the first 4 steps and never again.
        #[derive(Debug, Clone)]
        struct FirstEpoch;
        impl Schedule for FirstEpoch {
            fn at(&self, k: usize) -> f64 {
                if k == 0 {
                    0.01
                } else {
                    0.0
                }
            }
        }
        let sgd = Sgd::scheduled(FirstEpoch, Constant(10.0), Seed(1))
            .with_sampling(Sampling::EpochShuffle)
            .with_clock(Clock::Epoch);
        let run = |iters| {
            Executor::new(AsArgmin(least_squares()), sgd.clone())
                .configure(|s| s.param(Vector::zeros(3)).max_iters(iters))
                .run()
                .unwrap()
                .state()
                .param
                .clone()
                .unwrap()
        };
        let (x3, x4, x9) = (run(3), run(4), run(9));
        assert!((x3 - &x4).norm() > 1e-6);
        assert_eq!(x4, x9);
    }

    #[test]
    fn sgd_reports_the_degree_of_smoothing() {
        use argmin::core::observers::{Observe, ObserverMode};
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Deltas(Arc<Mutex<Vec<f64>>>);
        impl Observe<State> for Deltas {
            fn observe_iter(&mut self, _: &State, kv: &KV) -> std::result::Result<(), Error> {
                if let Some(d) = kv.get("delta").and_then(|v| v.get_float()) {
                    self.0.lock().unwrap().push(d);
                }
                Ok(())
            }
        }
        let obs = Deltas::default();
        let sgd = Sgd::new(0.1, 16, Seed(0))
            .unwrap()
            .with_noise_variance(4.0)
            .unwrap();
        Executor::new(AsArgmin(least_squares()), sgd)
            .configure(|s| s.param(Vector::zeros(3)).max_iters(2))
            .add_observer(obs.clone(), ObserverMode::Always)
            .run()
            .unwrap();
        // δ = ηC/√b = 0.1·2/4 = 0.05.
        let deltas = obs.0.lock().unwrap().clone();
        assert_eq!(deltas.len(), 2);
        assert!(deltas.iter().all(|d| (d - 0.05).abs() < 1e-15));
    }

    #[test]
    fn sgd_resumes_from_a_checkpoint_with_the_same_random_sequence() {
        let sgd = Sgd::new(0.05, 4, Seed(4)).unwrap();
        checkpoint_resume_matches(least_squares(), sgd, Vector::zeros(3));
    }

    #[test]
    fn sgd_with_step_schedules_resumes_from_a_serialised_checkpoint() {
        use crate::schedule::Step;
        // η halves every 3 steps and b doubles every 4: the resumed half (steps 5..10)
        // must continue both schedules where the checkpoint left them.
        let sgd = Sgd::scheduled(
            Step::new(0.05, 0.5, 3).unwrap(),
            Step::new(2.0, 2.0, 4).unwrap(),
            Seed(4),
        )
        .with_sampling(Sampling::EpochShuffle);
        checkpoint_resume_matches(least_squares(), sgd.clone(), Vector::zeros(3));
        // The schedules themselves survive the round trip.
        let bytes = to_bytes(&sgd).unwrap();
        let back: Sgd<Step, Step> = from_bytes(&bytes).unwrap();
        assert_eq!(back.learning_rate(), sgd.learning_rate());
        assert_eq!(back.batch_size(), sgd.batch_size());
        assert_eq!(to_bytes(&back).unwrap(), bytes);
    }
}
