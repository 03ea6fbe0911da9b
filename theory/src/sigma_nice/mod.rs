//! C4.x — σ-nice / σ_m-nice functions and the convergence of implicit graduated optimization (spec §4).

pub mod theorem_4_2_chaining;

use crate::Check;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![Box::new(theorem_4_2_chaining::Theorem42Chaining)]
}
