//! [`ImplicitGraduated`]: graduated optimization over stages m = 1..M with decreasing
//! δ_m (arXiv 2311.08745, Algorithms 1/2; spec §4.2–4.3), either as GD on the exactly
//! smoothed f̂_{δ_m} ([`SmoothedGd`], the surrogate analysed by the theory) or as
//! SGD/SHB/NSHB on f with (η, b) chosen so that the noise has degree δ_m
//! ([`NoisyGradient`], the implicit version).

use super::common::{current_param, minibatch_gradient, momentum_update, sample_count};
use super::common::{schedule_status, stage_delta, BufferRule, MiniBatchStream, MomentumReset};
use super::common::{StageLog, StageRecord, State};
use super::exact_smoothing::ExactSmoothing;
use crate::objective::{AsArgmin, FiniteSum, Objective, Sampling};
use crate::schedule::check_deltas;
use crate::smoothing::{beta_hat, smoothing_degree, Kernel, NoiseForm};
use crate::{NumericsError, Result, Seed, Vector};
use argmin::core::{Error, Problem, Solver, TerminationStatus, KV};
use argmin::kv;
use serde::{Deserialize, Serialize};

/// When a stage ends.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum StageLength {
    /// After a fixed number of inner steps (the experiments: a fixed number of epochs).
    Iterations(usize),
    /// When the inner gradient norm ‖g‖ at the current point is ≤ `tolerance` (checked
    /// before stepping, so a stage can take no step), or after `max_iterations` steps
    /// (surrogate chaining rule of spec §4.3 item 2: for a σ-strongly convex stage
    /// ‖x − x*_δ‖ ≤ ‖∇f̂_δ(x)‖/σ). Meant for deterministic inner solvers: with
    /// [`NoisyGradient`] the closing check still consumes a batch.
    GradientNorm {
        /// Gradient-norm target.
        tolerance: f64,
        /// Step cap per stage.
        max_iterations: usize,
    },
    /// As [`StageLength::GradientNorm`] with the stage-dependent tolerance
    /// `factor`·δ_m: with factor = σρ this is the chaining rule ‖x − x*_{δ_m}‖ ≤ ρδ_m of
    /// spec §4.3 item 2 for a σ-strongly convex stage.
    RelativeGradientNorm {
        /// The factor σρ.
        factor: f64,
        /// Step cap per stage.
        max_iterations: usize,
    },
}

/// One inner step of a stage: the update x → x_new at degree δ.
pub trait StageStep<O> {
    /// Takes one step from `x` at stage `stage` (degree δ); returns the new point, the
    /// gradient used, the step size and diagnostics.
    ///
    /// # Errors
    /// When the objective cannot provide what the step needs, or a hyperparameter
    /// derived from δ is invalid.
    fn step(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        x: &Vector,
        stage: usize,
        delta: f64,
    ) -> std::result::Result<(Vector, Vector, f64, KV), Error>;
}

/// The surrogate inner solver (Algorithm 2 as analysed in spec §4.3): GD
/// x ← x − η_m ∇f̂_{δ_m}(x) on the closed-form smoothed objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmoothedGd {
    kernel: Kernel,
    steps: Vec<f64>,
}

impl SmoothedGd {
    /// GD on f̂_δ for `kernel` with the same step η in every stage.
    ///
    /// # Errors
    /// η not finite and > 0.
    pub fn new(kernel: Kernel, learning_rate: f64) -> Result<Self> {
        crate::error::check_positive("learning rate", learning_rate)?;
        Ok(Self {
            kernel,
            steps: vec![learning_rate],
        })
    }

    /// GD on f̂_δ with step η_m in stage m (e.g. 1/L_m); the last value is reused if the
    /// schedule has more stages.
    ///
    /// # Errors
    /// An empty list or a step that is not finite and > 0.
    pub fn per_stage(kernel: Kernel, learning_rates: Vec<f64>) -> Result<Self> {
        if learning_rates.is_empty() {
            return Err(NumericsError::InvalidParameter {
                name: "per-stage learning rates",
                allowed: "at least one",
                value: 0.0,
            });
        }
        for &eta in &learning_rates {
            crate::error::check_positive("learning rate", eta)?;
        }
        Ok(Self {
            kernel,
            steps: learning_rates,
        })
    }
}

impl<O: ExactSmoothing> StageStep<O> for SmoothedGd {
    fn step(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        x: &Vector,
        stage: usize,
        delta: f64,
    ) -> std::result::Result<(Vector, Vector, f64, KV), Error> {
        let eta = self
            .steps
            .get(stage)
            .or(self.steps.last())
            .copied()
            .unwrap_or(f64::NAN);
        let kernel = self.kernel;
        let g = problem.problem("smoothed_gradient_count", |p| {
            Ok(p.inner().smoothed(kernel, delta)?.gradient(x))
        })?;
        let x_new = x - &g * eta;
        Ok((x_new, g, eta, KV::new()))
    }
}

/// Which stochastic method runs on f inside a stage, with its noise model (spec §3,
/// §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Method {
    /// SGD: δ = ηC/√b.
    Sgd,
    /// SHB (m ← βm + g): δ = η√(C²/b + β̂(β)(C²/b + K²)).
    Shb {
        /// Momentum factor β ∈ [0, 1).
        beta: f64,
        /// Gradient-norm bound K.
        k: f64,
    },
    /// NSHB (m ← βm + (1 − β)g): δ = η√(C²/b + 4β²(C²/b + K²)).
    Nshb {
        /// Momentum factor β ∈ [0, 1).
        beta: f64,
        /// Gradient-norm bound K.
        k: f64,
    },
}

impl Method {
    /// The momentum factor β and buffer rule (SGD: β = 0, plain gradient).
    fn momentum(&self) -> (f64, BufferRule) {
        match *self {
            Method::Sgd => (0.0, BufferRule::Heavy),
            Method::Shb { beta, .. } => (beta, BufferRule::Heavy),
            Method::Nshb { beta, .. } => (beta, BufferRule::Normalized),
        }
    }

    fn noise_form(&self) -> NoiseForm {
        match *self {
            Method::Sgd => NoiseForm::Sgd,
            Method::Shb { beta, k } => BufferRule::Heavy.noise_form(beta, k),
            Method::Nshb { beta, k } => BufferRule::Normalized.noise_form(beta, k),
        }
    }

    /// (a, c) with δ²/η² = a·C²/b + c: SGD (1, 0); SHB (1 + β̂, β̂K²); NSHB
    /// (1 + 4β², 4β²K²).
    fn noise_coefficients(&self) -> (f64, f64) {
        match *self {
            Method::Sgd => (1.0, 0.0),
            Method::Shb { beta, k } => {
                let bh = beta_hat(beta);
                (1.0 + bh, bh * k * k)
            }
            Method::Nshb { beta, k } => (1.0 + 4.0 * beta * beta, 4.0 * beta * beta * k * k),
        }
    }
}

/// How (η, b) are chosen from the target δ_m.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NoiseControl {
    /// Fixed b, η_m = δ_m / δ(η = 1, b) (learning-rate decay).
    LearningRate {
        /// The batch size b.
        batch_size: usize,
    },
    /// Fixed η, b_m = ⌊a C² / (δ_m²/η² − c)⌋ (batch growth; δ is then realised only up
    /// to the integer cast, and the realised δ is reported).
    BatchSize {
        /// The learning rate η.
        learning_rate: f64,
    },
}

/// The implicit inner solver: SGD, SHB or NSHB on f with hyperparameters set so that
/// the degree of smoothing of the gradient noise equals δ_m (given C², and K for the
/// momentum forms).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoisyGradient {
    method: Method,
    control: NoiseControl,
    c2: f64,
    stream: MiniBatchStream,
    reset: MomentumReset,
    buffer: Option<Vector>,
}

impl NoisyGradient {
    /// `method` with (η, b) from `control`, noise variance bound C² = `c2`, and batches
    /// from `seed` (with replacement by default).
    ///
    /// # Errors
    /// C² not finite and > 0; β ∉ [0, 1) or K < 0; a fixed η ≤ 0 or b = 0.
    pub fn new(method: Method, control: NoiseControl, c2: f64, seed: Seed) -> Result<Self> {
        crate::error::check_positive("noise variance C²", c2)?;
        if let Method::Shb { beta, k } | Method::Nshb { beta, k } = method {
            super::common::check_constants(1.0, 1, beta)?;
            crate::error::check_closed("gradient bound K", "finite and ≥ 0", k, 0.0, f64::MAX)?;
        }
        match control {
            NoiseControl::LearningRate { batch_size } => {
                crate::error::check_count("batch size", batch_size, 1)?;
            }
            NoiseControl::BatchSize { learning_rate } => {
                crate::error::check_positive("learning rate", learning_rate)?;
            }
        }
        Ok(Self {
            method,
            control,
            c2,
            stream: MiniBatchStream::new(Sampling::WithReplacement, seed),
            reset: MomentumReset::Never,
            buffer: None,
        })
    }

    /// How batches are drawn (default [`Sampling::WithReplacement`]).
    #[must_use]
    pub fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.stream.sampling = sampling;
        self
    }

    /// When the momentum buffer is zeroed (default never).
    #[must_use]
    pub fn with_reset(mut self, reset: MomentumReset) -> Self {
        self.reset = reset;
        self
    }

    /// (η, b) for the target δ under this control rule.
    ///
    /// # Errors
    /// If no batch size ≥ 1 realises δ at the fixed η (δ²/η² ≤ c or b < 1).
    pub fn hyperparameters(&self, delta: f64) -> Result<(f64, usize)> {
        match self.control {
            NoiseControl::LearningRate { batch_size } => {
                let unit =
                    smoothing_degree(1.0, self.c2, batch_size as f64, self.method.noise_form());
                Ok((delta / unit, batch_size))
            }
            NoiseControl::BatchSize { learning_rate } => {
                let (a, c) = self.method.noise_coefficients();
                let excess = delta * delta / (learning_rate * learning_rate) - c;
                let b = a * self.c2 / excess;
                if !(excess > 0.0 && b.is_finite() && b >= 1.0) {
                    return Err(NumericsError::InvalidParameter {
                        name: "batch size realising δ",
                        allowed: "finite and ≥ 1",
                        value: b,
                    });
                }
                // Truncation as the authors' int(b).
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok((learning_rate, b.floor() as usize))
            }
        }
    }
}

impl<O: FiniteSum> StageStep<O> for NoisyGradient {
    fn step(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        x: &Vector,
        _stage: usize,
        delta: f64,
    ) -> std::result::Result<(Vector, Vector, f64, KV), Error> {
        let (eta, b) = self.hyperparameters(delta)?;
        let n = sample_count(problem)?;
        let epoch_before = self.stream.epoch(n);
        let batch = self.stream.next_batch(n, b)?;
        let g = minibatch_gradient(problem, &batch, x)?;
        let (beta, rule) = self.method.momentum();
        let m = momentum_update(&mut self.buffer, &g, beta, rule.gradient_weight(beta));
        let x_new = x - m * eta;
        // The buffer is zeroed once the batch that completes an epoch has been used.
        if self.reset == MomentumReset::EachEpoch && self.stream.epoch(n) != epoch_before {
            self.buffer = None;
        }
        let realised = smoothing_degree(eta, self.c2, batch.len() as f64, self.method.noise_form());
        let kv = kv!(
            "batch_size" => batch.len() as u64;
            "delta_realised" => realised;
            "momentum" => beta;
        );
        Ok((x_new, g, eta, kv))
    }
}

/// Graduated optimization over a δ schedule δ_1 > δ_2 > … > δ_M: stage m runs the
/// inner solver at degree δ_m until its [`StageLength`] rule ends the stage.
///
/// * With [`SmoothedGd`] this is the surrogate Algorithm 1/2 of spec §4.3 (GD on the
///   exact f̂_{δ_m});
/// * with [`NoisyGradient`] it is implicit graduated optimization: SGD/SHB/NSHB on f
///   with ηC/√b (or its momentum analogue) equal to δ_m.
///
/// One argmin iteration is one inner step; the run ends by itself after stage M
/// (`SolverExit("schedule finished")`). Per-stage [`StageRecord`]s (δ, step,
/// iterations, f at the stage end) are kept in the solver. Diagnostics: `stage`,
/// `delta`, `learning_rate` and the inner solver's (`batch_size`, `delta_realised`, …).
///
/// ## Requirements on the optimization problem
///
/// [`ExactSmoothing`] for [`SmoothedGd`], [`FiniteSum`] for [`NoisyGradient`], wrapped in
/// [`AsArgmin`].
///
/// ## Reference
///
/// Sato & Iiduka, *Using stochastic gradient descent to smooth nonconvex functions:
/// analysis of implicit graduated optimization*, arXiv 2311.08745, Algorithms 1–2;
/// Hazan, Levy & Shalev-Shwartz, *On graduated optimization for stochastic non-convex
/// problems*, ICML 2016.
///
/// # Example
///
/// ```
/// use argmin::core::Executor;
/// use nalgebra::DVector;
/// use numerics::objective::{AsArgmin, Rastrigin};
/// use numerics::schedule::polynomial_deltas;
/// use numerics::optim::graduated_implicit::{ImplicitGraduated, SmoothedGd, StageLength};
/// use numerics::smoothing::Kernel;
/// let solver = ImplicitGraduated::new(
///     polynomial_deltas(10, 1.0, 2.0).unwrap(),
///     StageLength::Iterations(50),
///     SmoothedGd::new(Kernel::Gaussian, 0.002).unwrap(),
/// )
/// .unwrap();
/// let res = Executor::new(AsArgmin(Rastrigin::new(2).unwrap()), solver)
///     .configure(|s| s.param(DVector::from_vec(vec![3.3, -2.2])).max_iters(u64::MAX))
///     .run()
///     .unwrap();
/// assert_eq!(res.solver.stages().len(), 10);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImplicitGraduated<I> {
    deltas: Vec<f64>,
    length: StageLength,
    inner: I,
    stage: usize,
    in_stage: usize,
    log: StageLog,
}

impl<I> ImplicitGraduated<I> {
    /// Stages δ_1, …, δ_M = `deltas`, ended by `length`, with inner solver `inner`.
    ///
    /// # Errors
    /// An empty or non-positive δ list; a stage length of 0 or a tolerance that is not
    /// finite and > 0.
    pub fn new(deltas: Vec<f64>, length: StageLength, inner: I) -> Result<Self> {
        check_deltas(&deltas)?;
        match length {
            StageLength::Iterations(0)
            | StageLength::GradientNorm {
                max_iterations: 0, ..
            }
            | StageLength::RelativeGradientNorm {
                max_iterations: 0, ..
            } => {
                return Err(NumericsError::InvalidParameter {
                    name: "stage length",
                    allowed: "at least 1 iteration",
                    value: 0.0,
                })
            }
            StageLength::GradientNorm { tolerance, .. } => {
                crate::error::check_positive("stage gradient tolerance", tolerance)?;
            }
            StageLength::RelativeGradientNorm { factor, .. } => {
                crate::error::check_positive("stage gradient factor", factor)?;
            }
            StageLength::Iterations(_) => {}
        }
        Ok(Self {
            deltas,
            length,
            inner,
            stage: 0,
            in_stage: 0,
            log: StageLog::new(false),
        })
    }

    /// Whether to evaluate f(x_{k+1}) after every step (default `false`; the stage
    /// records always hold f at the stage ends).
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

    /// The records of the stages completed so far.
    #[must_use]
    pub fn stages(&self) -> &[StageRecord] {
        &self.log.records
    }

    /// The inner solver.
    #[must_use]
    pub fn inner(&self) -> &I {
        &self.inner
    }

    /// Gradient rule: close the stage at `x` if ‖g‖ ≤ tolerance, else move to `x_new`
    /// (closing after `max_iterations` steps).
    fn close_or_step(
        &mut self,
        g: &Vector,
        tolerance: f64,
        max_iterations: usize,
        x: Vector,
        x_new: Vector,
    ) -> (Vector, bool) {
        if g.norm() <= tolerance {
            (x, true)
        } else {
            self.in_stage += 1;
            (x_new, self.in_stage >= max_iterations)
        }
    }
}

impl<O: Objective, I: StageStep<O>> Solver<AsArgmin<O>, State> for ImplicitGraduated<I> {
    fn name(&self) -> &str {
        "implicit graduated optimization"
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        let x = current_param(&state, "ImplicitGraduated")?;
        let stage = self.stage;
        let delta = stage_delta(&self.deltas, stage, "implicit graduated optimization")?;
        let (x_new, g, eta, inner_kv) = self.inner.step(problem, &x, stage, delta)?;
        // Under the gradient rule the stage is checked before moving: a point that
        // already satisfies ‖g‖ ≤ tolerance closes the stage without a step (so a stage
        // may take 0 steps; the iteration is then spent on the check).
        let (x_new, done) = match self.length {
            StageLength::Iterations(n) => {
                self.in_stage += 1;
                (x_new, self.in_stage >= n)
            }
            StageLength::GradientNorm {
                tolerance,
                max_iterations,
            } => self.close_or_step(&g, tolerance, max_iterations, x, x_new),
            StageLength::RelativeGradientNorm {
                factor,
                max_iterations,
            } => self.close_or_step(&g, factor * delta, max_iterations, x, x_new),
        };
        let step = StageRecord {
            stage,
            delta,
            learning_rate: eta,
            iterations: self.in_stage,
            value: f64::NAN,
        };
        if done {
            self.stage += 1;
            self.in_stage = 0;
        }
        self.log
            .finish_step(problem, state, (x_new, g), step, done, inner_kv)
    }

    fn terminate(&mut self, _state: &State) -> TerminationStatus {
        schedule_status(self.stage >= self.deltas.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{LeastSquares, Rastrigin};
    use crate::optim::testing::{checkpoint_resume_matches, least_squares};
    use crate::optim::{run, Nshb, Sgd, Shb};
    use crate::schedule::polynomial_deltas;
    use crate::Matrix;
    use argmin::core::Executor;
    use std::f64::consts::PI;

    #[test]
    fn implicit_graduated_rejects_bad_parameters() {
        let inner = SmoothedGd::new(Kernel::Gaussian, 0.01).unwrap();
        assert!(ImplicitGraduated::new(vec![], StageLength::Iterations(5), inner.clone()).is_err());
        assert!(
            ImplicitGraduated::new(vec![1.0], StageLength::Iterations(0), inner.clone()).is_err()
        );
        assert!(ImplicitGraduated::new(
            vec![1.0],
            StageLength::GradientNorm {
                tolerance: 0.0,
                max_iterations: 3
            },
            inner
        )
        .is_err());
        assert!(SmoothedGd::new(Kernel::Gaussian, 0.0).is_err());
        assert!(SmoothedGd::per_stage(Kernel::Gaussian, vec![]).is_err());
        let c = NoiseControl::LearningRate { batch_size: 4 };
        assert!(NoisyGradient::new(Method::Sgd, c, 0.0, Seed(0)).is_err());
        assert!(NoisyGradient::new(Method::Shb { beta: 1.0, k: 1.0 }, c, 1.0, Seed(0)).is_err());
        assert!(NoisyGradient::new(
            Method::Sgd,
            NoiseControl::LearningRate { batch_size: 0 },
            1.0,
            Seed(0)
        )
        .is_err());
    }

    #[test]
    fn implicit_graduated_smoothed_stages_match_closed_form() {
        // Two stages δ = (2, 1), one step each, η = 0.01 on 1-D Rastrigin from 0.3:
        // x ← x − η(2x + 20π e^{−2π²δ²} sin 2πx).
        let grad = |x: f64, d: f64| {
            2.0 * x + 20.0 * PI * (-2.0 * PI * PI * d * d).exp() * (2.0 * PI * x).sin()
        };
        let x1 = 0.3 - 0.01 * grad(0.3, 2.0);
        let x2 = x1 - 0.01 * grad(x1, 1.0);
        let solver = ImplicitGraduated::new(
            vec![2.0, 1.0],
            StageLength::Iterations(1),
            SmoothedGd::new(Kernel::Gaussian, 0.01).unwrap(),
        )
        .unwrap();
        let res = Executor::new(AsArgmin(Rastrigin::new(1).unwrap()), solver)
            .configure(|s| s.param(Vector::from_element(1, 0.3)).max_iters(100))
            .run()
            .unwrap();
        assert_eq!(res.state().iter, 2);
        assert!((res.state().param.as_ref().unwrap()[0] - x2).abs() < 1e-15);
        let st = res.solver.stages();
        assert_eq!(st.len(), 2);
        assert!((st[1].delta - 1.0).abs() < 1e-15 && st[1].iterations == 1);
    }

    #[test]
    fn implicit_graduated_gradient_rule_ends_stages_early() {
        let solver = ImplicitGraduated::new(
            polynomial_deltas(5, 1.0, 2.0).unwrap(),
            StageLength::GradientNorm {
                tolerance: 1e-6,
                max_iterations: 10_000,
            },
            SmoothedGd::new(Kernel::Gaussian, 0.002).unwrap(),
        )
        .unwrap();
        let res = Executor::new(AsArgmin(Rastrigin::new(3).unwrap()), solver)
            .configure(|s| {
                s.param(Vector::from_vec(vec![3.1, -4.4, 0.7]))
                    .max_iters(u64::MAX)
            })
            .run()
            .unwrap();
        let st = res.solver.stages();
        assert_eq!(st.len(), 5);
        assert!(st.iter().all(|r| r.iterations < 10_000));
        // x*_δ = 0 under GISO for every δ: the run ends at the global minimiser.
        assert!(res.state().param.as_ref().unwrap().amax() < 1e-6);
    }

    #[test]
    fn implicit_graduated_relative_rule_uses_the_stage_delta() {
        // Stage m closes once ‖∇f̂_{δ_m}(x)‖ ≤ factor·δ_m; a point already there closes
        // the stage without a step (0 iterations recorded, x unchanged).
        let f = Rastrigin::new(1).unwrap();
        let x0 = Vector::from_element(1, 1e-3);
        // ∇f̂_δ(1e−3) ≈ (2 + 40π²κ)·1e−3 ≤ 0.4 ≤ 0.5·δ for δ ∈ {2, 1}: both stages close at once.
        let solver = ImplicitGraduated::new(
            vec![2.0, 1.0],
            StageLength::RelativeGradientNorm {
                factor: 0.5,
                max_iterations: 100,
            },
            SmoothedGd::new(Kernel::Gaussian, 0.001).unwrap(),
        )
        .unwrap();
        let res = Executor::new(AsArgmin(f), solver)
            .configure(|s| s.param(x0.clone()).max_iters(100))
            .run()
            .unwrap();
        assert_eq!(res.state().param.clone().unwrap(), x0);
        assert!(res.solver.stages().iter().all(|r| r.iterations == 0));
        // From x = 2 the first stage (δ = 2, ∇ ≈ 2x) must step until |2x| ≤ 1.
        let solver = ImplicitGraduated::new(
            vec![2.0],
            StageLength::RelativeGradientNorm {
                factor: 0.5,
                max_iterations: 10_000,
            },
            SmoothedGd::new(Kernel::Gaussian, 0.1).unwrap(),
        )
        .unwrap();
        let res = Executor::new(AsArgmin(f), solver)
            .configure(|s| s.param(Vector::from_element(1, 2.0)).max_iters(10_000))
            .run()
            .unwrap();
        let x = res.state().param.as_ref().unwrap()[0];
        // x_k = 2·0.8^k (κ(2) ≈ 0): the first k with 2x_k ≤ 1 (0.8^k ≤ ¼) is k = 7.
        assert_eq!(res.solver.stages()[0].iterations, 7);
        assert!((x - 2.0 * 0.8f64.powi(7)).abs() < 1e-9);
    }

    #[test]
    fn noise_control_realises_the_target_delta() {
        let c2 = 4.0;
        // (method, a δ that needs a batch of a few samples at η = 0.01)
        for (method, target) in [
            (Method::Sgd, 0.005),
            (Method::Shb { beta: 0.9, k: 1.5 }, 0.15),
            (Method::Nshb { beta: 0.5, k: 2.0 }, 0.025),
        ] {
            let lr = NoisyGradient::new(
                method,
                NoiseControl::LearningRate { batch_size: 16 },
                c2,
                Seed(0),
            )
            .unwrap();
            let (eta, b) = lr.hyperparameters(0.3).unwrap();
            let got = smoothing_degree(eta, c2, b as f64, method.noise_form());
            assert!((got - 0.3).abs() < 1e-14, "{method:?}");
            // Batch control: b = ⌊a C²/(δ²/η² − c)⌋, so the realised δ is ≥ the target
            // and within one batch of it.
            let bc = NoisyGradient::new(
                method,
                NoiseControl::BatchSize {
                    learning_rate: 0.01,
                },
                c2,
                Seed(0),
            )
            .unwrap();
            let (eta, b) = bc.hyperparameters(target).unwrap();
            let got = smoothing_degree(eta, c2, b as f64, method.noise_form());
            let next = smoothing_degree(eta, c2, (b + 1) as f64, method.noise_form());
            assert!(
                got >= target - 1e-15 && next < target + 1e-15,
                "{method:?}: b = {b}, {got} {next}"
            );
        }
        let bc = NoisyGradient::new(
            Method::Sgd,
            NoiseControl::BatchSize {
                learning_rate: 0.01,
            },
            4.0,
            Seed(0),
        )
        .unwrap();
        assert!(bc.hyperparameters(1.0).is_err()); // would need b < 1
    }

    fn implicit_run(method: Method, iters: usize) -> Vector {
        let inner = NoisyGradient::new(
            method,
            NoiseControl::LearningRate { batch_size: 4 },
            1.0,
            Seed(5),
        )
        .unwrap();
        let solver =
            ImplicitGraduated::new(vec![0.02], StageLength::Iterations(iters), inner).unwrap();
        Executor::new(AsArgmin(least_squares()), solver)
            .configure(|s| s.param(Vector::zeros(3)).max_iters(u64::MAX))
            .run()
            .unwrap()
            .state()
            .param
            .clone()
            .unwrap()
    }

    /// The last iterate of `solver` after 20 steps on [`least_squares`] from 0.
    fn last_of<S: argmin::core::Solver<AsArgmin<LeastSquares>, State>>(solver: S) -> Vector {
        let res = run(least_squares(), solver, Vector::zeros(3), 20).unwrap();
        res.state.param.unwrap()
    }

    #[test]
    fn noisy_gradient_with_one_stage_is_the_plain_method_with_the_same_seed() {
        // η = δ√b/C = 0.02·2/1 = 0.04 with b = 4, C² = 1.
        let sgd = last_of(Sgd::new(0.04, 4, Seed(5)).unwrap());
        assert!((implicit_run(Method::Sgd, 20) - sgd).norm() < 1e-14);
        // SHB/NSHB: η = δ/√(C²/b + ĉ(C²/b + K²)).
        let shb = last_of(Shb::new(0.02 / (0.25f64 * 2.5).sqrt(), 4, 0.5, Seed(5)).unwrap());
        let x = implicit_run(Method::Shb { beta: 0.5, k: 0.0 }, 20);
        assert!((x - shb).norm() < 1e-13);
        let nshb = last_of(Nshb::new(0.02 / (0.25f64 * 2.0).sqrt(), 4, 0.5, Seed(5)).unwrap());
        let x = implicit_run(Method::Nshb { beta: 0.5, k: 0.0 }, 20);
        assert!((x - nshb).norm() < 1e-13);
    }

    #[test]
    fn noisy_gradient_momentum_reset_each_epoch() {
        // N = 1, b = 1: every batch completes an epoch, so with the reset SHB is SGD.
        let f = LeastSquares::new(Matrix::identity(1, 1), Vector::zeros(1), 0.0).unwrap();
        let inner = NoisyGradient::new(
            Method::Shb { beta: 0.9, k: 0.0 },
            NoiseControl::LearningRate { batch_size: 1 },
            1.0,
            Seed(0),
        )
        .unwrap()
        .with_reset(MomentumReset::EachEpoch);
        let eta = inner.hyperparameters(0.1).unwrap().0;
        let solver = ImplicitGraduated::new(vec![0.1], StageLength::Iterations(3), inner).unwrap();
        let res = Executor::new(AsArgmin(f), solver)
            .configure(|s| s.param(Vector::from_element(1, 1.0)).max_iters(u64::MAX))
            .run()
            .unwrap();
        let want = (1.0 - eta).powi(3);
        assert!((res.state().param.as_ref().unwrap()[0] - want).abs() < 1e-15);
    }

    #[test]
    fn implicit_graduated_resumes_from_a_checkpoint() {
        let inner = NoisyGradient::new(
            Method::Shb { beta: 0.5, k: 1.0 },
            NoiseControl::LearningRate { batch_size: 4 },
            1.0,
            Seed(2),
        )
        .unwrap();
        let solver =
            ImplicitGraduated::new(vec![0.05, 0.03, 0.01], StageLength::Iterations(4), inner)
                .unwrap();
        checkpoint_resume_matches(least_squares(), solver, Vector::zeros(3));
    }
}
