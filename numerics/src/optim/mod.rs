//! Optimizers as argmin `Solver`s on objectives wrapped in
//! [`crate::objective::AsArgmin`], with state
//! [`State`] = `IterState<Vector, Vector, (), (), (), f64>`, so argmin's `Executor`,
//! observers and checkpointing work unchanged.
//!
//! * [`Gd`]: x ← x − η_k∇f(x);
//! * [`Sgd`]: x ← x − η_k∇f_S(x) with learning-rate and batch-size schedules;
//! * [`Shb`]: m ← βm + g, x ← x − ηm (PyTorch `SGD(momentum=β)`);
//! * [`Nshb`]: m ← βm + (1 − β)g, x ← x − ηm (both [`HeavyBall`], one implementation);
//! * [`Sam`], [`StochasticSam`]: x ← x − γ∇f(x + ρ g/‖g‖);
//! * [`ExplicitGraduated`]: explicit graduated optimization (arXiv 2412.11501, Alg. 1);
//! * [`ImplicitGraduated`]: implicit graduated optimization (arXiv 2311.08745, Alg. 1/2).
//!
//! Every solver emits its hyperparameters through argmin's `kv!` diagnostics.

mod common;
#[cfg(test)]
mod testing;

pub mod exact_smoothing;
pub mod gd;
pub mod graduated_explicit;
pub mod graduated_implicit;
pub mod heavy_ball;
pub mod nshb;
pub mod sam;
pub mod sgd;
pub mod shb;

pub use common::{BufferRule, Clock, MomentumReset, StageRecord, State};
pub use exact_smoothing::ExactSmoothing;
pub use gd::Gd;
pub use graduated_explicit::ExplicitGraduated;
pub use graduated_implicit::ImplicitGraduated;
pub use heavy_ball::HeavyBall;
pub use nshb::Nshb;
pub use sam::{Sam, StochasticSam};
pub use sgd::Sgd;
pub use shb::Shb;

use crate::objective::AsArgmin;
use crate::Vector;
use argmin::core::{Executor, OptimizationResult, Solver};

/// Runs `solver` on `objective` from `x0` for at most `max_iters` iterations with argmin's
/// [`Executor`] (no observers, no checkpointing): a shorthand for
/// `Executor::new(AsArgmin(objective), solver).configure(|s| s.param(x0).max_iters(max_iters)).run()`.
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use numerics::objective::Quadratic;
/// use numerics::optim::{run, Gd};
/// let f = Quadratic::homogeneous(DMatrix::identity(2, 2)).unwrap();
/// let res = run(f, Gd::new(0.5).unwrap(), DVector::from_element(2, 4.0), 2).unwrap();
/// assert!((res.state.param.unwrap()[0] - 1.0).abs() < 1e-15); // 4·(1 − 0.5)²
/// ```
///
/// # Errors
/// [`crate::NumericsError::Other`] carrying argmin's error message (a solver that
/// rejected a hyperparameter, a missing capability of the objective, …).
pub fn run<O, S>(
    objective: O,
    solver: S,
    x0: Vector,
    max_iters: u64,
) -> crate::Result<OptimizationResult<AsArgmin<O>, S, State>>
where
    S: Solver<AsArgmin<O>, State>,
{
    Executor::new(AsArgmin(objective), solver)
        .configure(|s| s.param(x0).max_iters(max_iters))
        .run()
        .map_err(|e| crate::NumericsError::Other(e.to_string()))
}
