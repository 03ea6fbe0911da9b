//! Pieces shared by the solvers of this module: reading the iterate from the state,
//! evaluating schedules with validation, closing a step (cost, state, diagnostics), the
//! mini-batch core of the stochastic solvers, the heavy-ball buffer update, and the
//! stage bookkeeping of the graduated solvers.

use crate::objective::{AsArgmin, BatchSampler, FiniteSum, Objective, Sampling};
use crate::schedule::Schedule;
use crate::smoothing::NoiseForm;
use crate::{NumericsError, Seed, Vector};
use argmin::core::{Error, IterState, Problem, TerminationReason, TerminationStatus, KV};
use serde::{Deserialize, Serialize};

/// Validates constant hyperparameters: η finite and > 0, b ≥ 1, β ∈ [0, 1).
pub(crate) fn check_constants(
    learning_rate: f64,
    batch_size: usize,
    momentum: f64,
) -> crate::Result<()> {
    crate::error::check_positive("learning rate", learning_rate)?;
    crate::error::check_count("batch size", batch_size, 1)?;
    let beta_ok = (0.0..1.0).contains(&momentum);
    crate::error::check_finite_and("momentum factor β", "in [0, 1)", momentum, beta_ok).map(drop)
}

/// The state every solver of this module runs on: parameter and gradient are
/// [`Vector`]s, the cost is `f64`.
pub type State = IterState<Vector, Vector, (), (), (), f64>;

/// The current iterate, or an error naming the solver when none was configured.
pub(crate) fn current_param(state: &State, solver: &'static str) -> Result<Vector, Error> {
    state.param.clone().ok_or_else(|| {
        Error::from(NumericsError::Other(format!(
            "{solver} requires an initial parameter vector: \
             configure the Executor with `.configure(|s| s.param(x0))`"
        )))
    })
}

/// The iteration counter k of the state as an index (saturating).
pub(crate) fn iteration(state: &State) -> usize {
    usize::try_from(state.iter).unwrap_or(usize::MAX)
}

/// `schedule.at(k)` if it is finite and `valid` accepts it, else an
/// `InvalidParameter` error for `name`.
fn checked_at<S: Schedule + ?Sized>(
    schedule: &S,
    k: usize,
    name: &'static str,
    allowed: &'static str,
    valid: impl Fn(f64) -> bool,
) -> Result<f64, Error> {
    let value = schedule.at(k);
    Ok(crate::error::check_finite_and(
        name,
        allowed,
        value,
        valid(value),
    )?)
}

/// η_k = `schedule.at(k)`, checked to be finite and ≥ 0.
pub(crate) fn learning_rate_at<S: Schedule + ?Sized>(schedule: &S, k: usize) -> Result<f64, Error> {
    checked_at(
        schedule,
        k,
        "learning rate",
        "finite and ≥ 0 at every step",
        |eta| eta >= 0.0,
    )
}

/// β_k = `schedule.at(k)`, checked to lie in [0, 1).
pub(crate) fn momentum_at<S: Schedule + ?Sized>(schedule: &S, k: usize) -> Result<f64, Error> {
    checked_at(
        schedule,
        k,
        "momentum factor β",
        "in [0, 1) at every step",
        |beta| (0.0..1.0).contains(&beta),
    )
}

/// b_k = ⌊`schedule.at(k)`⌋ (Python's `int(b)`, as the authors' code casts its float
/// batch sizes), checked to be finite and ≥ 1.
pub(crate) fn batch_size_at<S: Schedule + ?Sized>(schedule: &S, k: usize) -> Result<usize, Error> {
    let b = checked_at(
        schedule,
        k,
        "batch size",
        "finite and ≥ 1 at every step",
        |b| b >= 1.0,
    )?;
    // Truncation is intended: `int(b)` in the authors' code.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(b.floor() as usize)
}

/// `Solver::init` of the deterministic solvers: checks that an initial point is set and,
/// when the cost is tracked and not yet known, evaluates f(x₀).
pub(crate) fn init_cost<O: Objective>(
    problem: &mut Problem<AsArgmin<O>>,
    state: State,
    track_cost: bool,
    solver: &'static str,
) -> Result<(State, Option<KV>), Error> {
    let x = current_param(&state, solver)?;
    if track_cost && !state.cost.is_finite() {
        let cost = problem.cost(&x)?;
        return Ok((state.cost(cost), None));
    }
    Ok((state, None))
}

/// The end of a step: the state with x_{k+1} = `x_new` and the gradient `g` the step was
/// taken with, plus f(x_{k+1}) when the cost is tracked.
pub(crate) fn finish_step<O: Objective>(
    problem: &mut Problem<AsArgmin<O>>,
    state: State,
    x_new: Vector,
    g: Vector,
    kv: KV,
    track_cost: bool,
) -> Result<(State, Option<KV>), Error> {
    let state = if track_cost {
        let cost = problem.cost(&x_new)?;
        state.cost(cost)
    } else {
        state
    };
    Ok((state.param(x_new).gradient(g), Some(kv)))
}

/// What the schedules of a stochastic solver are indexed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Clock {
    /// k = the iteration (parameter update) counter.
    #[default]
    Iteration,
    /// k = the epoch counter ⌊samples drawn / N⌋ (PyTorch schedulers stepped once per
    /// epoch).
    Epoch,
}

/// When the momentum buffer of [`crate::optim::Shb`] / [`crate::optim::Nshb`] is reset
/// to zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MomentumReset {
    /// Never: one buffer for the whole run (the algorithm as written).
    #[default]
    Never,
    /// At the start of every epoch: what the authors' Algorithm-6 code does, because it
    /// re-creates the PyTorch optimizer once per epoch (spec §6.3).
    EachEpoch,
}

/// The mini-batch stream of a stochastic solver: a [`BatchSampler`] created on the
/// first draw (when N is known), from the `"minibatch"` stream of the seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MiniBatchStream {
    pub(crate) sampling: Sampling,
    pub(crate) seed: Seed,
    sampler: Option<BatchSampler>,
    /// Samples drawn so far (for the epoch counter).
    samples: u64,
    /// Epoch of the last batch drawn.
    last_epoch: Option<usize>,
}

impl MiniBatchStream {
    pub(crate) fn new(sampling: Sampling, seed: Seed) -> Self {
        Self {
            sampling,
            seed,
            sampler: None,
            samples: 0,
            last_epoch: None,
        }
    }

    /// The epoch the next batch belongs to: ⌊samples drawn / N⌋.
    pub(crate) fn epoch(&self, n: usize) -> usize {
        usize::try_from(self.samples / (n.max(1) as u64)).unwrap_or(usize::MAX)
    }

    /// Draws the next batch of (at most) `b` indices in `0..n`.
    pub(crate) fn next_batch(&mut self, n: usize, b: usize) -> Result<Vec<usize>, Error> {
        let sampler = match &mut self.sampler {
            Some(s) if s.n() == n => s,
            slot => slot.insert(BatchSampler::new(
                n,
                self.sampling,
                self.seed.stream("minibatch"),
            )?),
        };
        let batch = sampler.next_batch(b);
        self.samples += batch.len() as u64;
        Ok(batch)
    }
}

/// Number of components N of the wrapped finite sum.
pub(crate) fn sample_count<O: FiniteSum>(
    problem: &mut Problem<AsArgmin<O>>,
) -> Result<usize, Error> {
    problem
        .problem
        .as_ref()
        .map(|p| p.inner().n())
        .ok_or_else(|| Error::from(NumericsError::Other("problem was taken".into())))
}

/// ∇f_S(x) through the problem, counted as `minibatch_gradient_count` (and
/// `sample_gradient_count` += |S|).
pub(crate) fn minibatch_gradient<O: FiniteSum>(
    problem: &mut Problem<AsArgmin<O>>,
    batch: &[usize],
    x: &Vector,
) -> Result<Vector, Error> {
    *problem.counts.entry("sample_gradient_count").or_insert(0) += batch.len() as u64;
    problem.problem("minibatch_gradient_count", |p| {
        Ok(p.minibatch_gradient(batch, x))
    })
}

/// The start of one stochastic step: the iterate, the schedule position, the batch and
/// the learning rate.
pub(crate) struct Draw {
    /// The iterate x_k.
    pub(crate) x: Vector,
    /// The schedule index k (iteration or epoch).
    pub(crate) k: usize,
    /// The epoch of this batch.
    pub(crate) epoch: usize,
    /// Whether this batch opens a new epoch (and is not the very first batch).
    pub(crate) new_epoch: bool,
    /// The indices.
    pub(crate) batch: Vec<usize>,
    /// η_k.
    pub(crate) learning_rate: f64,
}

impl Draw {
    /// The diagnostics every stochastic solver reports: `learning_rate`, `batch_size`,
    /// `epoch`.
    pub(crate) fn kv(&self) -> KV {
        argmin::kv!(
            "learning_rate" => self.learning_rate;
            "batch_size" => self.batch.len() as u64;
            "epoch" => self.epoch as u64;
        )
    }
}

/// The part every mini-batch solver shares: the schedules η_k and b_k, the batch stream,
/// what the schedules are indexed by, and whether the full cost is tracked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MiniBatch<L, B> {
    pub(crate) learning_rate: L,
    pub(crate) batch_size: B,
    pub(crate) stream: MiniBatchStream,
    pub(crate) clock: Clock,
    pub(crate) track_cost: bool,
}

impl<L: Schedule, B: Schedule> MiniBatch<L, B> {
    /// Batches with replacement from `seed`, iteration clock, cost not tracked.
    pub(crate) fn new(learning_rate: L, batch_size: B, seed: Seed) -> Self {
        Self {
            learning_rate,
            batch_size,
            stream: MiniBatchStream::new(Sampling::WithReplacement, seed),
            clock: Clock::Iteration,
            track_cost: false,
        }
    }

    /// Reads x_k, draws the batch S_k of size b_k and evaluates η_k.
    pub(crate) fn draw<O: FiniteSum>(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: &State,
        solver: &'static str,
    ) -> Result<Draw, Error> {
        let x = current_param(state, solver)?;
        let n = sample_count(problem)?;
        let stream = &mut self.stream;
        let epoch = stream.epoch(n);
        let new_epoch = stream.last_epoch.is_some_and(|e| e != epoch);
        stream.last_epoch = Some(epoch);
        let k = match self.clock {
            Clock::Iteration => iteration(state),
            Clock::Epoch => epoch,
        };
        let b = batch_size_at(&self.batch_size, k)?;
        let batch = stream.next_batch(n, b)?;
        let learning_rate = learning_rate_at(&self.learning_rate, k)?;
        Ok(Draw {
            x,
            k,
            epoch,
            new_epoch,
            batch,
            learning_rate,
        })
    }
}

/// Which heavy-ball buffer update a momentum solver uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BufferRule {
    /// m ← βm + g (SHB, PyTorch `SGD(momentum=β)`).
    Heavy,
    /// m ← βm + (1 − β)g (NSHB).
    Normalized,
}

impl BufferRule {
    /// The weight of the new gradient: 1 (SHB) or 1 − β (NSHB).
    #[must_use]
    pub fn gradient_weight(self, beta: f64) -> f64 {
        match self {
            BufferRule::Heavy => 1.0,
            BufferRule::Normalized => 1.0 - beta,
        }
    }

    /// The noise model of the rule for the degree of smoothing (spec §6.3).
    #[must_use]
    pub fn noise_form(self, beta: f64, k: f64) -> NoiseForm {
        match self {
            BufferRule::Heavy => NoiseForm::HeavyBall { beta, k },
            BufferRule::Normalized => NoiseForm::NormalizedHeavyBall { beta, k },
        }
    }
}

/// m ← βm + w·g, or m ← w·g when there is no buffer yet or β = 0; the new m is kept in
/// `buffer` and returned.
pub(crate) fn momentum_update<'a>(
    buffer: &'a mut Option<Vector>,
    g: &Vector,
    beta: f64,
    weight: f64,
) -> &'a Vector {
    let m = match buffer.take() {
        Some(m) if beta > 0.0 => m * beta + g * weight,
        _ => g * weight,
    };
    buffer.insert(m)
}

/// What one stage of a graduated run did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    /// Stage index (0-based).
    pub stage: usize,
    /// δ of the stage.
    pub delta: f64,
    /// Step size used in the stage.
    pub learning_rate: f64,
    /// Inner iterations run in the stage.
    pub iterations: usize,
    /// f(x) (the unsmoothed objective) at the end of the stage.
    pub value: f64,
}

/// δ of stage `stage`, or an error when the schedule is exhausted.
pub(crate) fn stage_delta(
    deltas: &[f64],
    stage: usize,
    solver: &'static str,
) -> Result<f64, Error> {
    deltas.get(stage).copied().ok_or_else(|| {
        Error::from(NumericsError::Other(format!(
            "{solver}: stage {stage} is past the last stage"
        )))
    })
}

/// Terminated with `SolverExit("schedule finished")` once `finished`.
pub(crate) fn schedule_status(finished: bool) -> TerminationStatus {
    if finished {
        TerminationStatus::Terminated(TerminationReason::SolverExit("schedule finished".into()))
    } else {
        TerminationStatus::NotTerminated
    }
}

/// The stage records of a graduated run and whether f is evaluated after every step.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct StageLog {
    pub(crate) track_cost: bool,
    pub(crate) records: Vec<StageRecord>,
}

impl StageLog {
    pub(crate) fn new(track_cost: bool) -> Self {
        Self {
            track_cost,
            records: Vec::new(),
        }
    }

    /// The end of a graduated step: f(x_{k+1}) is evaluated when the cost is tracked or
    /// the step closes the stage (`closed`; the record `step` then gets that value and is
    /// appended); the diagnostics get `stage`, `delta` and `learning_rate` of `step`.
    pub(crate) fn finish_step<O: Objective>(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
        (x_new, g): (Vector, Vector),
        step: StageRecord,
        closed: bool,
        kv: KV,
    ) -> Result<(State, Option<KV>), Error> {
        let cost = if self.track_cost || closed {
            Some(problem.cost(&x_new)?)
        } else {
            None
        };
        if closed {
            self.records.push(StageRecord {
                value: cost.unwrap_or(f64::NAN),
                ..step
            });
        }
        let kv = argmin::kv!(
            "stage" => step.stage as u64;
            "delta" => step.delta;
            "learning_rate" => step.learning_rate;
        )
        .merge(kv);
        let state = match cost {
            Some(c) if self.track_cost => state.cost(c),
            _ => state,
        };
        Ok((state.param(x_new).gradient(g), Some(kv)))
    }
}
