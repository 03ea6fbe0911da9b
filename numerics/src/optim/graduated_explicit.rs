//! [`ExplicitGraduated`]: explicit graduated optimization (arXiv 2412.11501,
//! Algorithm 1; the authors' `ego.py`): GD on f̂_{δ_k} for a decreasing list of δ_k.

pub use super::common::StageRecord;
use super::common::{current_param, init_cost, iteration, schedule_status, stage_delta};
use super::common::{StageLog, State};
use super::exact_smoothing::ExactSmoothing;
use crate::objective::{finite_difference_gradient, AsArgmin, Objective};
use crate::rng::Rng;
use crate::schedule::{check_deltas, ego_deltas};
use crate::smoothing::Kernel;
use crate::{Result, Seed, Vector};
use argmin::core::{Error, Problem, Solver, TerminationStatus, KV};
use serde::{Deserialize, Serialize};

/// How ∇f is evaluated inside the Monte-Carlo estimate of ∇f̂_δ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum GradientSource {
    /// The objective's analytic gradient.
    Analytic,
    /// Central differences (f(x + εeᵢ) − f(x − εeᵢ))/(2ε), 2D cost evaluations per
    /// gradient (`ego.py` uses ε = 1e−8).
    CentralDifference {
        /// The difference step ε.
        step: f64,
    },
}

/// An estimator of the smoothed gradient ∇f̂_δ(x) used by [`ExplicitGraduated`].
pub trait SmoothedGradientEstimator<O> {
    /// An estimate of ∇f̂_δ(x), evaluated through `problem` (so its counts record the
    /// cost).
    ///
    /// # Errors
    /// When the objective cannot provide what the estimator needs.
    fn estimate(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        x: &Vector,
        delta: f64,
    ) -> std::result::Result<Vector, Error>;

    /// Gradient evaluations of f per estimate (for equal-budget comparisons).
    fn gradient_evaluations(&self) -> usize;
}

/// ∇f̂_δ(x) ≈ (1/n) Σⱼ ∇f(x + δuⱼ), uⱼ i.i.d. from a [`Kernel`] (`ego.py`: n = 100,
/// GISO u ~ N(0, I), central-difference gradients with ε = 1e−8).
///
/// The draws come from the `"smoothing"` stream of the seed; the generator is part of
/// the (serialisable) solver state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MonteCarlo {
    samples: usize,
    kernel: Kernel,
    source: GradientSource,
    rng: Rng,
}

impl MonteCarlo {
    /// The estimator with `samples` draws from `kernel` and gradients from `source`.
    ///
    /// # Errors
    /// `samples == 0`, or a difference step that is not finite and > 0.
    pub fn new(samples: usize, kernel: Kernel, source: GradientSource, seed: Seed) -> Result<Self> {
        crate::error::check_count("number of smoothing samples", samples, 1)?;
        if let GradientSource::CentralDifference { step } = source {
            crate::error::check_positive("difference step ε", step)?;
        }
        Ok(Self {
            samples,
            kernel,
            source,
            rng: seed.stream("smoothing"),
        })
    }

    /// `ego.py`'s estimator: 100 GISO samples, central differences with ε = 1e−8.
    #[must_use]
    pub fn ego(seed: Seed) -> Self {
        Self {
            samples: 100,
            kernel: Kernel::Gaussian,
            source: GradientSource::CentralDifference { step: 1e-8 },
            rng: seed.stream("smoothing"),
        }
    }

    /// The same estimator with analytic gradients.
    #[must_use]
    pub fn with_source(mut self, source: GradientSource) -> Self {
        self.source = source;
        self
    }
}

impl<O: Objective> SmoothedGradientEstimator<O> for MonteCarlo {
    fn estimate(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        x: &Vector,
        delta: f64,
    ) -> std::result::Result<Vector, Error> {
        let (samples, kernel, source) = (self.samples, self.kernel, self.source);
        let rng = &mut self.rng;
        let name = match source {
            GradientSource::Analytic => "gradient_count",
            GradientSource::CentralDifference { .. } => "finite_difference_gradient_count",
        };
        // One closure call for all draws (the counter is then raised to `samples`).
        let sum = problem.problem(name, |p| {
            let f = p.inner();
            let mut sum = Vector::zeros(x.len());
            let mut u = Vector::zeros(x.len());
            let mut y = x.clone();
            for _ in 0..samples {
                kernel.sample_into(&mut u, rng);
                y.copy_from(x);
                y.axpy(delta, &u, 1.0);
                match source {
                    GradientSource::Analytic => sum += f.gradient(&y),
                    GradientSource::CentralDifference { step } => {
                        sum += finite_difference_gradient(f, &y, step);
                    }
                }
            }
            Ok(sum)
        })?;
        *problem.counts.entry(name).or_insert(0) += samples as u64 - 1;
        Ok(sum / self.samples as f64)
    }

    fn gradient_evaluations(&self) -> usize {
        self.samples
    }
}

/// The exact ∇f̂_δ of an [`ExactSmoothing`] objective (e.g. smoothed Rastrigin).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Exact {
    kernel: Kernel,
}

impl Exact {
    /// Exact smoothing with `kernel`.
    #[must_use]
    pub fn new(kernel: Kernel) -> Self {
        Self { kernel }
    }
}

impl<O: ExactSmoothing> SmoothedGradientEstimator<O> for Exact {
    fn estimate(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        x: &Vector,
        delta: f64,
    ) -> std::result::Result<Vector, Error> {
        let kernel = self.kernel;
        problem.problem("smoothed_gradient_count", |p| {
            Ok(p.inner().smoothed(kernel, delta)?.gradient(x))
        })
    }

    fn gradient_evaluations(&self) -> usize {
        1
    }
}

/// Explicit graduated optimization: for stages k = 0, 1, …, run `steps_per_stage` GD
/// steps x ← x − l₀δ_k·ĝ_k(x) on the smoothed function, ĝ_k ≈ ∇f̂_{δ_k}.
///
/// The defaults of [`ExplicitGraduated::ego`] are the authors' `ego.py`: the 51 values
/// δ_k = (51 − k)/51 (k = 0..49) then 0.01, 20 steps per stage, step l₀δ_k, and the
/// [`MonteCarlo::ego`] estimator. The estimator is a type parameter: [`Exact`] runs on
/// the closed-form ∇f̂_δ. One argmin iteration is one GD step; the run ends by itself
/// after the last stage (`SolverExit("schedule finished")`). The per-stage
/// [`StageRecord`]s are kept in the solver ([`ExplicitGraduated::stages`]).
/// Diagnostics: `stage`, `delta`, `learning_rate`.
///
/// ## Requirements on the optimization problem
///
/// An [`Objective`] wrapped in [`AsArgmin`] ([`ExactSmoothing`] for [`Exact`]).
///
/// ## Reference
///
/// Sato & Iiduka, *Explicit and implicit graduated optimization in deep neural
/// networks*, AAAI-25 (arXiv 2412.11501), Algorithm 1; code `ego.py` (igo-aaai25).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExplicitGraduated<E = MonteCarlo> {
    deltas: Vec<f64>,
    steps_per_stage: usize,
    initial_step: f64,
    estimator: E,
    log: StageLog,
}

impl ExplicitGraduated<MonteCarlo> {
    /// `ego.py`'s algorithm with initial step l₀ (step l₀δ_k) and the draws of `seed`.
    ///
    /// # Errors
    /// l₀ not finite and > 0.
    pub fn ego(initial_step: f64, seed: Seed) -> Result<Self> {
        Self::new(
            ego_deltas(50, 1.0, 1.0, 0.01)?,
            20,
            initial_step,
            MonteCarlo::ego(seed),
        )
    }
}

impl<E> ExplicitGraduated<E> {
    /// Stages `deltas`, `steps_per_stage` GD steps each with step l₀δ_k, gradients from
    /// `estimator`.
    ///
    /// # Errors
    /// An empty or non-positive δ list, `steps_per_stage == 0`, or l₀ not finite > 0.
    pub fn new(
        deltas: Vec<f64>,
        steps_per_stage: usize,
        initial_step: f64,
        estimator: E,
    ) -> Result<Self> {
        check_deltas(&deltas)?;
        crate::error::check_count("steps per stage", steps_per_stage, 1)?;
        crate::error::check_positive("initial step l₀", initial_step)?;
        Ok(Self {
            deltas,
            steps_per_stage,
            initial_step,
            estimator,
            log: StageLog::new(true),
        })
    }

    /// Replaces the estimator (e.g. by [`Exact`]), keeping the schedule.
    #[must_use]
    pub fn with_estimator<F>(self, estimator: F) -> ExplicitGraduated<F> {
        ExplicitGraduated {
            deltas: self.deltas,
            steps_per_stage: self.steps_per_stage,
            initial_step: self.initial_step,
            estimator,
            log: StageLog::new(self.log.track_cost),
        }
    }

    /// Whether to evaluate f(x_{k+1}) after every step (default `true`); the stage
    /// records always hold f at the stage ends.
    #[must_use]
    pub fn with_cost(mut self, track_cost: bool) -> Self {
        self.log.track_cost = track_cost;
        self
    }

    /// The δ schedule.
    #[must_use]
    pub fn deltas(&self) -> &[f64] {
        &self.deltas
    }

    /// GD steps per stage.
    #[must_use]
    pub fn steps_per_stage(&self) -> usize {
        self.steps_per_stage
    }

    /// Total GD steps of the schedule: stages × steps per stage (use it as `max_iters`).
    #[must_use]
    pub fn total_steps(&self) -> u64 {
        (self.deltas.len() * self.steps_per_stage) as u64
    }

    /// The records of the stages completed so far.
    #[must_use]
    pub fn stages(&self) -> &[StageRecord] {
        &self.log.records
    }

    /// The estimator.
    #[must_use]
    pub fn estimator(&self) -> &E {
        &self.estimator
    }
}

impl<O: Objective, E: SmoothedGradientEstimator<O>> Solver<AsArgmin<O>, State>
    for ExplicitGraduated<E>
{
    fn name(&self) -> &str {
        "explicit graduated optimization"
    }

    fn init(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        init_cost(problem, state, self.log.track_cost, "ExplicitGraduated")
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        let x = current_param(&state, "ExplicitGraduated")?;
        let k = iteration(&state);
        let stage = k / self.steps_per_stage;
        let delta = stage_delta(&self.deltas, stage, "explicit graduated optimization")?;
        let eta = self.initial_step * delta;
        let g = self.estimator.estimate(problem, &x, delta)?;
        let x_new = &x - &g * eta;
        let step = StageRecord {
            stage,
            delta,
            learning_rate: eta,
            iterations: self.steps_per_stage,
            value: f64::NAN,
        };
        let closed = (k + 1) % self.steps_per_stage == 0;
        self.log
            .finish_step(problem, state, (x_new, g), step, closed, KV::new())
    }

    fn terminate(&mut self, state: &State) -> TerminationStatus {
        schedule_status(state.iter >= self.total_steps())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{Quadratic, Rastrigin};
    use crate::optim::testing::checkpoint_resume_matches;
    use crate::Matrix;
    use argmin::core::Executor;

    fn run<E>(
        solver: ExplicitGraduated<E>,
        f: Rastrigin,
        x0: Vector,
    ) -> argmin::core::OptimizationResult<AsArgmin<Rastrigin>, ExplicitGraduated<E>, State>
    where
        E: SmoothedGradientEstimator<Rastrigin>,
    {
        Executor::new(AsArgmin(f), solver)
            .configure(|s| s.param(x0).max_iters(u64::MAX))
            .run()
            .unwrap()
    }

    #[test]
    fn explicit_graduated_rejects_bad_parameters() {
        assert!(ExplicitGraduated::new(vec![], 20, 0.01, Exact::new(Kernel::Gaussian)).is_err());
        assert!(
            ExplicitGraduated::new(vec![1.0, 0.0], 20, 0.01, Exact::new(Kernel::Gaussian)).is_err()
        );
        assert!(ExplicitGraduated::new(vec![1.0], 0, 0.01, Exact::new(Kernel::Gaussian)).is_err());
        assert!(ExplicitGraduated::ego(-1.0, Seed(0)).is_err());
        assert!(MonteCarlo::new(0, Kernel::Gaussian, GradientSource::Analytic, Seed(0)).is_err());
        assert!(MonteCarlo::new(
            10,
            Kernel::Gaussian,
            GradientSource::CentralDifference { step: 0.0 },
            Seed(0)
        )
        .is_err());
    }

    #[test]
    fn explicit_graduated_one_exact_step_matches_closed_form() {
        // One stage δ = 0.5, one step, l₀ = 0.1 on 1-D Rastrigin from x₀ = 0.3:
        // ∇f̂_δ(x) = 2x + 20π e^{−2π²δ²} sin(2πx), x₁ = x₀ − l₀δ·∇f̂_δ(x₀).
        let (delta, l0, x0) = (0.5, 0.1, 0.3);
        let kappa = (-2.0 * std::f64::consts::PI.powi(2) * delta * delta).exp();
        let g = 2.0 * x0
            + 20.0 * std::f64::consts::PI * kappa * (2.0 * std::f64::consts::PI * x0).sin();
        let want = x0 - l0 * delta * g;
        let solver =
            ExplicitGraduated::new(vec![delta], 1, l0, Exact::new(Kernel::Gaussian)).unwrap();
        let res = run(
            solver,
            Rastrigin::new(1).unwrap(),
            Vector::from_element(1, x0),
        );
        assert!((res.state().param.as_ref().unwrap()[0] - want).abs() < 1e-15);
        assert_eq!(res.state().iter, 1);
        assert_eq!(res.solver().stages().len(), 1);
    }

    #[test]
    fn explicit_graduated_monte_carlo_on_a_quadratic_is_gd_plus_noise_free_drift() {
        // On a quadratic ∇f(x + δu) = ∇f(x) + δAu, so the MC mean equals ∇f(x) + δA·ū;
        // with A = 0 (a linear f) the estimate is exact: x₁ = x₀ − l₀δc.
        let f =
            Quadratic::new(Matrix::zeros(2, 2), Vector::from_vec(vec![1.0, -2.0]), 0.0).unwrap();
        let solver = ExplicitGraduated::new(
            vec![0.5],
            1,
            0.2,
            MonteCarlo::new(7, Kernel::Gaussian, GradientSource::Analytic, Seed(0)).unwrap(),
        )
        .unwrap();
        let res = Executor::new(AsArgmin(f), solver)
            .configure(|s| s.param(Vector::zeros(2)).max_iters(10))
            .run()
            .unwrap();
        let x = res.state().param.clone().unwrap();
        assert!((x[0] + 0.1).abs() < 1e-15 && (x[1] - 0.2).abs() < 1e-15);
        assert_eq!(res.problem.counts["gradient_count"], 7);
    }

    #[test]
    fn explicit_graduated_ego_schedule_has_51_stages_and_ends_by_itself() {
        let solver = ExplicitGraduated::ego(0.01, Seed(0))
            .unwrap()
            .with_estimator(Exact::new(Kernel::Gaussian));
        assert_eq!(solver.total_steps(), 51 * 20);
        let res = run(
            solver,
            Rastrigin::new(3).unwrap(),
            Vector::from_vec(vec![4.2, -3.1, 2.7]),
        );
        assert_eq!(res.state().iter, 1020);
        let stages = res.solver().stages();
        assert_eq!(stages.len(), 51);
        assert!((stages[50].delta - 0.01).abs() < 1e-18);
        // From far outside the global basin, the smoothed path ends in it.
        assert!(res.state().param.as_ref().unwrap().amax() < 0.5);
    }

    #[test]
    fn explicit_graduated_is_reproducible_and_resumes() {
        let solver = ExplicitGraduated::new(
            vec![1.0, 0.5, 0.1],
            4,
            0.01,
            MonteCarlo::new(5, Kernel::Gaussian, GradientSource::Analytic, Seed(3)).unwrap(),
        )
        .unwrap();
        let a = run(
            solver.clone(),
            Rastrigin::new(2).unwrap(),
            Vector::from_vec(vec![2.0, -1.0]),
        );
        let b = run(
            solver.clone(),
            Rastrigin::new(2).unwrap(),
            Vector::from_vec(vec![2.0, -1.0]),
        );
        assert_eq!(a.state().param, b.state().param);
        checkpoint_resume_matches(
            Rastrigin::new(2).unwrap(),
            solver,
            Vector::from_vec(vec![2.0, -1.0]),
        );
    }

    #[test]
    fn explicit_graduated_central_differences_agree_with_analytic_gradients() {
        // Same draws (same seed): the FD and analytic runs differ only by the FD error.
        let mk = |source| {
            ExplicitGraduated::new(
                vec![0.3],
                3,
                0.01,
                MonteCarlo::new(10, Kernel::Gaussian, source, Seed(1)).unwrap(),
            )
            .unwrap()
        };
        let x0 = Vector::from_vec(vec![1.3, -0.4]);
        let a = run(
            mk(GradientSource::Analytic),
            Rastrigin::new(2).unwrap(),
            x0.clone(),
        );
        let b = run(
            mk(GradientSource::CentralDifference { step: 1e-6 }),
            Rastrigin::new(2).unwrap(),
            x0,
        );
        let (xa, xb) = (
            a.state().param.clone().unwrap(),
            b.state().param.clone().unwrap(),
        );
        assert!((xa - xb).norm() < 1e-6);
        assert_eq!(b.problem.counts["finite_difference_gradient_count"], 30);
    }
}
