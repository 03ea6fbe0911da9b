//! Optimizers as argmin [`Solver`](argmin::core::Solver)s on
//! [`AsArgmin`](crate::objective::AsArgmin)-wrapped objectives, with state
//! [`State`] = `IterState<Vector, Vector, (), (), (), f64>`, so argmin's `Executor`,
//! observers and checkpointing work unchanged.
//!
//! * [`Gd`]: x ← x − η_k∇f(x);
//! * [`Sgd`]: x ← x − η_k∇f_S(x) with learning-rate and batch-size schedules;
//! * [`Shb`]: m ← βm + g, x ← x − ηm (PyTorch `SGD(momentum=β)`);
//! * [`Nshb`]: m ← βm + (1 − β)g, x ← x − ηm;
//! * [`Sam`], [`StochasticSam`]: x ← x − γ∇f(x + ρ g/‖g‖);
//! * [`ExplicitGraduated`]: explicit graduated optimization (arXiv 2412.11501, Alg. 1);
//! * [`ImplicitGraduated`]: implicit graduated optimization (arXiv 2311.08745, Alg. 1/2).
//!
//! Every solver emits its hyperparameters through argmin's `kv!` diagnostics.

mod common;
#[cfg(test)]
mod testing;

pub mod delta_schedule;
pub mod exact_smoothing;
pub mod gd;
pub mod graduated_explicit;
pub mod graduated_implicit;
pub mod nshb;
pub mod sam;
pub mod sgd;
pub mod shb;

pub use common::{Clock, MomentumReset, State};
pub use exact_smoothing::ExactSmoothing;
pub use gd::Gd;
pub use graduated_explicit::{ExplicitGraduated, StageRecord};
pub use graduated_implicit::ImplicitGraduated;
pub use nshb::Nshb;
pub use sam::{Sam, StochasticSam};
pub use sgd::Sgd;
pub use shb::Shb;
