//! Schedules for the learning rate η, the batch size b and the momentum β.
//!
//! A schedule is a pure function of the step (or stage/epoch) counter, validated when
//! it is built.

use std::fmt;

/// A value that depends on the step counter k: η_k, b_k or β_k.
pub trait Schedule: fmt::Debug + Send + Sync {
    /// The value at step `k` (k = 0 is the first step).
    fn at(&self, k: usize) -> f64;
}

/// A constant schedule: the value never changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn at(&self, _k: usize) -> f64 {
        self.0
    }
}

impl<S: Schedule + ?Sized> Schedule for Box<S> {
    fn at(&self, k: usize) -> f64 {
        (**self).at(k)
    }
}
