//! C9.x — qualitative SGD convergence: noise balls, step-size rules, PL rates, over/under-parameterised least squares (lecture 003; spec §9).

pub mod step_size_sums;

use crate::Check;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![Box::new(step_size_sums::StepSizeSums)]
}
