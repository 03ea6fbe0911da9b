//! Fixtures shared by the solver unit tests.

use super::common::State;
use crate::objective::{AsArgmin, LeastSquares};
use crate::{Seed, Vector};
use argmin::core::checkpointing::{Checkpoint, CheckpointingFrequency};
use argmin::core::{Error, Executor, Solver};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// A least-squares finite sum with N = 40, d = 3 (Gaussian data from seed 11).
pub(crate) fn least_squares() -> LeastSquares {
    LeastSquares::gaussian(40, 3, &mut Seed(11).stream("data")).unwrap()
}

/// Serialises `value` with serde to CBOR (binary: exact f64, NaN and ∞ survive).
pub(crate) fn to_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes)?;
    Ok(bytes)
}

/// The inverse of [`to_bytes`].
pub(crate) fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    Ok(ciborium::from_reader(bytes)?)
}

/// Keeps the (solver, state) pair saved at iteration `at` in memory, serialised as a
/// file checkpoint would hold it.
struct MemoryCheckpoint {
    at: u64,
    slot: Arc<Mutex<Option<Vec<u8>>>>,
}

impl<S: Serialize + DeserializeOwned> Checkpoint<S, State> for MemoryCheckpoint {
    fn save(&self, solver: &S, state: &State) -> Result<(), Error> {
        *self.slot.lock().unwrap() = Some(to_bytes(&(solver, state))?);
        Ok(())
    }
    fn save_cond(&self, solver: &S, state: &State, iter: u64) -> Result<(), Error> {
        if iter == self.at {
            self.save(solver, state)?;
        }
        Ok(())
    }
    fn load(&self) -> Result<Option<(S, State)>, Error> {
        let saved = self.slot.lock().unwrap().clone();
        saved.map(|bytes| from_bytes(&bytes)).transpose()
    }
    fn frequency(&self) -> CheckpointingFrequency {
        CheckpointingFrequency::Always
    }
}

/// Runs `solver` for 10 iterations in one go, and again as 5 iterations saved to a
/// serialised checkpoint then resumed to 10 from the deserialised solver and state:
/// both must end at the same point, bit for bit (the solver carries all of its state,
/// schedules and RNG included, in the checkpoint).
pub(crate) fn checkpoint_resume_matches<O, S>(f: O, solver: S, x0: Vector)
where
    O: Clone,
    S: Solver<AsArgmin<O>, State> + Clone + Serialize + DeserializeOwned + 'static,
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
    let saved = slot.lock().unwrap().clone().unwrap();
    let (_, saved_state): (S, State) = from_bytes(&saved).unwrap();
    assert_eq!(saved_state.iter, 5);
    let resumed = Executor::new(AsArgmin(f), solver)
        .configure(|s| s.param(x0).max_iters(10))
        .checkpointing(MemoryCheckpoint { at: u64::MAX, slot })
        .run()
        .unwrap();
    assert_eq!(resumed.state().iter, 10);
    assert_eq!(resumed.state().param.clone().unwrap(), full);
}
