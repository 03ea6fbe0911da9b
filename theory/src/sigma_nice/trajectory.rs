//! GD trajectories through argmin's `Executor`, recorded by an observer.

use argmin::core::observers::{Observe, ObserverMode};
use argmin::core::{Error, Executor, KV};
use numerics::objective::{AsArgmin, Objective};
use numerics::optim::{Gd, State};
use numerics::Vector;
use std::sync::{Arc, Mutex};

/// Records every iterate x₁, x₂, … of a run.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Vector>>>);

impl Observe<State> for Recorder {
    fn observe_iter(&mut self, state: &State, _kv: &KV) -> Result<(), Error> {
        if let (Some(x), Ok(mut v)) = (state.param.as_ref(), self.0.lock()) {
            v.push(x.clone());
        }
        Ok(())
    }
}

/// x₀, x₁, …, x_T of GD with constant step `eta` on `f`.
///
/// # Errors
/// A step size that is not finite and > 0, or a failed run.
pub fn gd_trajectory<O: Objective>(
    f: O,
    eta: f64,
    x0: Vector,
    steps: u64,
) -> crate::Result<Vec<Vector>> {
    let recorder = Recorder::default();
    Executor::new(AsArgmin(f), Gd::new(eta)?.with_cost(false))
        .configure(|s| s.param(x0.clone()).max_iters(steps))
        .add_observer(recorder.clone(), ObserverMode::Always)
        .run()
        .map_err(|e| crate::TheoryError::Other(e.to_string()))?;
    let mut path = vec![x0];
    let recorded = recorder
        .0
        .lock()
        .map_err(|_| crate::TheoryError::Other("trajectory recorder poisoned".into()))?;
    path.extend(recorded.iter().cloned());
    Ok(path)
}
