//! Schedules for the learning rate η, the batch size b, the momentum β and the degree
//! of smoothing δ (spec §6, §9.3, §10.1).
//!
//! A [`Schedule`] is a pure function of the step (or stage/epoch) counter k, validated
//! when it is built: the PyTorch-style learning-rate schedules ([`Step`],
//! [`Polynomial`], [`Cosine`], [`Exponential`]), piecewise-constant stage lists
//! ([`Piecewise`]), the lecture-003 rules R1/R2 ([`BlockDecay`]), batch-size growth
//! ([`MultiplicativeGrowth`], [`PolynomialBatchGrowth`]) and the polynomial δ schedule
//! ([`PolynomialDelta`], with the δ lists of graduated optimization built on it:
//! [`polynomial_deltas`], [`ego_deltas`], and [`geometric_deltas`]). Step sizes that also depend on the gradient norm (R3, R4)
//! implement [`AdaptiveStep`] instead.
//!
//! On top of these: the four methods of arXiv 2311.08745 ([`StagePlan`], spec §10.1)
//! and Algorithm 6 of arXiv 2412.11501 ([`Algorithm6`], spec §6.3), which chooses
//! (η, b, β) per epoch so that δ_{m+1} = γ_m·δ_m.
//!
//! ```
//! use numerics::schedule::{Schedule, Step};
//! // StepLR(step 40, γ = 1/√2): η = 0.1 for epochs 0..40, then 0.1/√2.
//! let lr = Step::new(0.1, std::f64::consts::FRAC_1_SQRT_2, 40).unwrap();
//! assert!((lr.at(39) - 0.1).abs() < 1e-15);
//! assert!((lr.at(40) - 0.1 / 2f64.sqrt()).abs() < 1e-15);
//! ```

mod adaptive;
mod algorithm_6;
mod batch_growth;
mod block_decay;
mod constant;
mod cosine;
mod cubic;
mod delta_lists;
mod exponential;
mod paper_methods;
mod piecewise;
mod polynomial;
mod polynomial_delta;
mod step;

pub use adaptive::{AdaptiveStep, CombinedAdaptive, GradientNormAdaptive};
pub use algorithm_6::{
    balance, Algorithm6, EpochState, Halt, NoiseConstants, Optimizer, Trajectory, UpdateRule,
    Variant,
};
pub use batch_growth::{MultiplicativeGrowth, PolynomialBatchGrowth};
pub use block_decay::{BlockDecay, Psi};
pub use constant::Constant;
pub use cosine::Cosine;
pub use cubic::{cubic_real_roots, momentum_for_amplification, momentum_root_below};
pub use delta_lists::{check_deltas, ego_deltas, geometric_deltas, polynomial_deltas};
pub use exponential::Exponential;
pub use paper_methods::{PaperMethod, PaperSetting, StagePlan, StageRow};
pub use piecewise::Piecewise;
pub use polynomial::Polynomial;
pub use polynomial_delta::PolynomialDelta;
pub use step::Step;

use std::fmt;

/// A value that depends on the step counter k: η_k, b_k, β_k or δ_k.
///
/// Object safe and `Send + Sync`, so optimizers can hold a `Box<dyn Schedule>`.
///
/// Checkpointing: the optimizers are generic over their schedule types
/// (`Sgd<L, B>`, `Shb<L, B, M>`, …) and are `Serialize + Deserialize` exactly when the
/// schedules are. Every schedule type of this module derives both, so e.g.
/// `Sgd<Step, Constant>` can be written to an argmin checkpoint and restored; a
/// `Box<dyn Schedule>` (or a user type without the derives) cannot. Deserialising skips
/// the constructors' validation; the solvers check every value when they use it.
pub trait Schedule: fmt::Debug + Send + Sync {
    /// The value at step `k` (k = 0 is the first step).
    fn at(&self, k: usize) -> f64;
}

impl<S: Schedule + ?Sized> Schedule for Box<S> {
    fn at(&self, k: usize) -> f64 {
        (**self).at(k)
    }
}

impl<S: Schedule + ?Sized> Schedule for &S {
    fn at(&self, k: usize) -> f64 {
        (**self).at(k)
    }
}

/// `⌈k/K⌉` for K ≥ 1 (the block index of the lecture-003 rules).
pub(crate) fn ceil_div(k: usize, block: usize) -> usize {
    k.div_ceil(block.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn schedules_are_object_safe_send_and_sync() {
        assert_send_sync::<Box<dyn Schedule>>();
        assert_send_sync::<Box<dyn AdaptiveStep>>();
        let boxed: Vec<Box<dyn Schedule>> = vec![
            Box::new(Constant(0.1)),
            Box::new(Step::new(0.1, 0.5, 2).unwrap()),
        ];
        assert!((boxed[1].at(2) - 0.05).abs() < 1e-15);
    }
}
