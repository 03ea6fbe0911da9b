//! Pieces shared by the solvers of this module: reading the iterate from the state,
//! evaluating schedules with validation, and the mini-batch stream of the stochastic
//! solvers.

use crate::objective::{BatchSampler, FiniteSum, Sampling};
use crate::schedule::Schedule;
use crate::{NumericsError, Seed, Vector};
use argmin::core::{Error, IterState, Problem};
use serde::{Deserialize, Serialize};

/// Validates constant hyperparameters: η finite and > 0, b ≥ 1, β ∈ [0, 1).
pub(crate) fn check_constants(
    learning_rate: f64,
    batch_size: usize,
    momentum: f64,
) -> crate::Result<()> {
    crate::error::check_positive("learning rate", learning_rate)?;
    if batch_size == 0 {
        return Err(NumericsError::InvalidParameter {
            name: "batch size",
            allowed: "at least 1",
            value: 0.0,
        });
    }
    if !(momentum.is_finite() && (0.0..1.0).contains(&momentum)) {
        return Err(NumericsError::InvalidParameter {
            name: "momentum factor β",
            allowed: "in [0, 1)",
            value: momentum,
        });
    }
    Ok(())
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

/// η_k = `schedule.at(k)`, checked to be finite and ≥ 0.
pub(crate) fn learning_rate_at<S: Schedule + ?Sized>(schedule: &S, k: usize) -> Result<f64, Error> {
    let eta = schedule.at(k);
    if eta.is_finite() && eta >= 0.0 {
        Ok(eta)
    } else {
        Err(NumericsError::InvalidParameter {
            name: "learning rate",
            allowed: "finite and ≥ 0 at every step",
            value: eta,
        }
        .into())
    }
}

/// β_k = `schedule.at(k)`, checked to lie in [0, 1).
pub(crate) fn momentum_at<S: Schedule + ?Sized>(schedule: &S, k: usize) -> Result<f64, Error> {
    let beta = schedule.at(k);
    if beta.is_finite() && (0.0..1.0).contains(&beta) {
        Ok(beta)
    } else {
        Err(NumericsError::InvalidParameter {
            name: "momentum factor β",
            allowed: "in [0, 1) at every step",
            value: beta,
        }
        .into())
    }
}

/// b_k = ⌊`schedule.at(k)`⌋ (Python's `int(b)`, as the authors' code casts its float
/// batch sizes), checked to be finite and ≥ 1.
pub(crate) fn batch_size_at<S: Schedule + ?Sized>(schedule: &S, k: usize) -> Result<usize, Error> {
    let b = schedule.at(k);
    if b.is_finite() && b >= 1.0 {
        // Truncation is intended: `int(b)` in the authors' code.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(b.floor() as usize)
    } else {
        Err(NumericsError::InvalidParameter {
            name: "batch size",
            allowed: "finite and ≥ 1 at every step",
            value: b,
        }
        .into())
    }
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

/// Schedule position and batch of one stochastic step.
pub(crate) struct Draw {
    /// The schedule index k (iteration or epoch).
    pub(crate) k: usize,
    /// The epoch of this batch.
    pub(crate) epoch: usize,
    /// Whether this batch opens a new epoch (and is not the very first batch).
    pub(crate) new_epoch: bool,
    /// The indices.
    pub(crate) batch: Vec<usize>,
}

/// Number of components N of the wrapped finite sum.
pub(crate) fn sample_count<O: FiniteSum>(
    problem: &mut Problem<crate::objective::AsArgmin<O>>,
) -> Result<usize, Error> {
    let n = problem
        .problem
        .as_ref()
        .map(|p| p.inner().n())
        .ok_or_else(|| Error::from(NumericsError::Other("problem was taken".into())))?;
    Ok(n)
}

/// Draws the next batch for iteration `iter` with batch-size schedule `batch_size`
/// indexed by `clock`.
pub(crate) fn draw<O: FiniteSum, B: Schedule + ?Sized>(
    stream: &mut MiniBatchStream,
    problem: &mut Problem<crate::objective::AsArgmin<O>>,
    batch_size: &B,
    clock: Clock,
    iter: u64,
) -> Result<Draw, Error> {
    let n = sample_count(problem)?;
    let epoch = stream.epoch(n);
    let new_epoch = stream.last_epoch.is_some_and(|e| e != epoch);
    stream.last_epoch = Some(epoch);
    let k = match clock {
        Clock::Iteration => usize::try_from(iter).unwrap_or(usize::MAX),
        Clock::Epoch => epoch,
    };
    let b = batch_size_at(batch_size, k)?;
    let batch = stream.next_batch(n, b)?;
    Ok(Draw {
        k,
        epoch,
        new_epoch,
        batch,
    })
}

/// ∇f_S(x) through the problem, counted as `minibatch_gradient_count` (and
/// `sample_gradient_count` += |S|).
pub(crate) fn minibatch_gradient<O: FiniteSum>(
    problem: &mut Problem<crate::objective::AsArgmin<O>>,
    batch: &[usize],
    x: &Vector,
) -> Result<Vector, Error> {
    *problem.counts.entry("sample_gradient_count").or_insert(0) += batch.len() as u64;
    problem.problem("minibatch_gradient_count", |p| {
        Ok(p.minibatch_gradient(batch, x))
    })
}

/// Which heavy-ball buffer update a momentum solver uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Buffer {
    /// m ← βm + g (SHB, PyTorch `SGD(momentum=β)`).
    Heavy,
    /// m ← βm + (1 − β)g (NSHB).
    Normalized,
}

/// The shared engine of [`crate::optim::Shb`] and [`crate::optim::Nshb`]:
/// m_k = β_k m_{k−1} + c(β_k) ∇f_{S_k}(x_k), x_{k+1} = x_k − η_k m_k with m_{−1} = 0 and
/// c = 1 (SHB) or 1 − β (NSHB).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct HeavyBall<L, B, M> {
    pub(crate) learning_rate: L,
    pub(crate) batch_size: B,
    pub(crate) momentum: M,
    pub(crate) stream: MiniBatchStream,
    pub(crate) clock: Clock,
    pub(crate) reset: MomentumReset,
    pub(crate) buffer: Option<Vector>,
    /// (C², K) for the δ diagnostic.
    pub(crate) noise: Option<(f64, f64)>,
    pub(crate) track_cost: bool,
}

impl<L: Schedule, B: Schedule, M: Schedule> HeavyBall<L, B, M> {
    pub(crate) fn new(learning_rate: L, batch_size: B, momentum: M, seed: Seed) -> Self {
        Self {
            learning_rate,
            batch_size,
            momentum,
            stream: MiniBatchStream::new(Sampling::WithReplacement, seed),
            clock: Clock::Iteration,
            reset: MomentumReset::Never,
            buffer: None,
            noise: None,
            track_cost: false,
        }
    }

    pub(crate) fn step<O: FiniteSum>(
        &mut self,
        problem: &mut Problem<crate::objective::AsArgmin<O>>,
        state: State,
        kind: Buffer,
        name: &'static str,
    ) -> Result<(State, Option<argmin::core::KV>), Error> {
        use crate::smoothing::{smoothing_degree, NoiseForm};
        let x = current_param(&state, name)?;
        let d = draw(
            &mut self.stream,
            problem,
            &self.batch_size,
            self.clock,
            state.iter,
        )?;
        let eta = learning_rate_at(&self.learning_rate, d.k)?;
        let beta = momentum_at(&self.momentum, d.k)?;
        let reset = self.reset == MomentumReset::EachEpoch && d.new_epoch;
        if reset {
            self.buffer = None;
        }
        let g = minibatch_gradient(problem, &d.batch, &x)?;
        let weight = match kind {
            Buffer::Heavy => 1.0,
            Buffer::Normalized => 1.0 - beta,
        };
        let m = match self.buffer.take() {
            Some(m) => m * beta + &g * weight,
            None => &g * weight,
        };
        let x_new = &x - &m * eta;
        self.buffer = Some(m);
        let b = d.batch.len();
        let mut kv = argmin::kv!(
            "learning_rate" => eta;
            "batch_size" => b as u64;
            "momentum" => beta;
            "epoch" => d.epoch as u64;
            "momentum_reset" => reset;
        );
        if let Some((c2, k)) = self.noise {
            let form = match kind {
                Buffer::Heavy => NoiseForm::HeavyBall { beta, k },
                Buffer::Normalized => NoiseForm::NormalizedHeavyBall { beta, k },
            };
            kv.insert("delta", smoothing_degree(eta, c2, b as f64, form).into());
        }
        let state = if self.track_cost {
            let cost = problem.cost(&x_new)?;
            state.cost(cost)
        } else {
            state
        };
        Ok((state.param(x_new).gradient(g), Some(kv)))
    }
}
