//! Runs shared by the explicit-GO checks (and C5.5): the `ego.py` algorithm and plain
//! GD on a benchmark, through argmin's `Executor`.

use argmin::core::Executor;
use numerics::objective::go_suite::GoFunction;
use numerics::objective::{AsArgmin, Objective};
use numerics::optim::graduated_explicit::SmoothedGradientEstimator;
use numerics::optim::{ExplicitGraduated, Gd};
use numerics::Vector;

/// Final point of a run.
pub(crate) struct Outcome {
    /// f at the final point.
    pub value: f64,
    /// Whether every coordinate lies in the global basin of Rastrigin, |xᵢ| < ½.
    pub in_global_basin: bool,
}

impl Outcome {
    pub(crate) fn of(f: &GoFunction, x: &Vector) -> Self {
        Self {
            value: f.value(x),
            in_global_basin: x.amax() < 0.5,
        }
    }
}

fn other(e: impl std::fmt::Display) -> crate::TheoryError {
    crate::TheoryError::Other(e.to_string())
}

/// Runs explicit GO to the end of its schedule from `x0`.
pub(crate) fn explicit_go<E>(
    f: &GoFunction,
    solver: ExplicitGraduated<E>,
    x0: Vector,
) -> crate::Result<Outcome>
where
    E: SmoothedGradientEstimator<GoFunction> + 'static,
{
    let steps = solver.total_steps();
    let res = Executor::new(AsArgmin(*f), solver.with_cost(false))
        .configure(|s| s.param(x0).max_iters(steps))
        .run()
        .map_err(other)?;
    let x = res.state.param.ok_or_else(|| other("no final point"))?;
    Ok(Outcome::of(f, &x))
}

/// Runs `steps` GD steps with constant step `eta` from `x0`.
pub(crate) fn gradient_descent(
    f: &GoFunction,
    eta: f64,
    steps: u64,
    x0: Vector,
) -> crate::Result<Outcome> {
    let res = Executor::new(AsArgmin(*f), Gd::new(eta)?.with_cost(false))
        .configure(|s| s.param(x0).max_iters(steps))
        .run()
        .map_err(other)?;
    let x = res.state.param.ok_or_else(|| other("no final point"))?;
    Ok(Outcome::of(f, &x))
}
