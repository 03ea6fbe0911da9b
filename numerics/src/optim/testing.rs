//! Fixtures shared by the solver unit tests.

use super::common::State;
use crate::objective::{AsArgmin, LeastSquares};
use crate::{Seed, Vector};
use argmin::core::checkpointing::{Checkpoint, CheckpointingFrequency};
use argmin::core::{Error, Executor, Solver};
use std::sync::{Arc, Mutex};

/// A least-squares finite sum with N = 40, d = 3 (Gaussian data from seed 11).
pub(crate) fn least_squares() -> LeastSquares {
    LeastSquares::gaussian(40, 3, &mut Seed(11).stream("data")).unwrap()
}

/// Keeps the (solver, state) pair saved at iteration `at` in memory.
struct MemoryCheckpoint<S> {
    at: u64,
    slot: Arc<Mutex<Option<(S, State)>>>,
}

impl<S: Clone> Checkpoint<S, State> for MemoryCheckpoint<S> {
    fn save(&self, solver: &S, state: &State) -> Result<(), Error> {
        *self.slot.lock().unwrap() = Some((solver.clone(), state.clone()));
        Ok(())
    }
    fn save_cond(&self, solver: &S, state: &State, iter: u64) -> Result<(), Error> {
        if iter == self.at {
            self.save(solver, state)?;
        }
        Ok(())
    }
    fn load(&self) -> Result<Option<(S, State)>, Error> {
        Ok(self.slot.lock().unwrap().clone())
    }
    fn frequency(&self) -> CheckpointingFrequency {
        CheckpointingFrequency::Always
    }
}

/// Runs `solver` for 10 iterations in one go, and again as 5 iterations saved to a
/// checkpoint then resumed to 10 from a fresh solver: both must end at the same point
/// (the solver carries all of its state, RNG included, in the checkpoint).
pub(crate) fn checkpoint_resume_matches<O, S>(f: O, solver: S, x0: Vector)
where
    O: Clone,
    S: Solver<AsArgmin<O>, State> + Clone + 'static,
{
    let full = Executor::new(AsArgmin(f.clone()), solver.clone())
        .configure(|s| s.param(x0.clone()).max_iters(10))
        .run()
        .unwrap()
        .state()
        .param
        .clone()
        .unwrap();
    let slot = Arc::new(Mutex::new(None));
    let first = Executor::new(AsArgmin(f.clone()), solver.clone())
        .configure(|s| s.param(x0.clone()).max_iters(10))
        .checkpointing(MemoryCheckpoint {
            at: 5,
            slot: slot.clone(),
        })
        .run()
        .unwrap();
    assert_eq!(first.state().param.clone().unwrap(), full);
    let saved_iter = slot.lock().unwrap().as_ref().map(|(_, s)| s.iter);
    assert_eq!(saved_iter, Some(5));
    let resumed = Executor::new(AsArgmin(f), solver)
        .configure(|s| s.param(x0).max_iters(10))
        .checkpointing(MemoryCheckpoint { at: u64::MAX, slot })
        .run()
        .unwrap();
    assert_eq!(resumed.state().iter, 10);
    assert_eq!(resumed.state().param.clone().unwrap(), full);
}
