//! C4.x — σ-nice / σ_m-nice functions and the convergence of implicit graduated optimization (spec §4).

use crate::Check;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![]
}
