//! C3.x — "SGD is GD on a smoothed function" with δ = ηC/√b: what is exact and what is not (spec §3).

use crate::Check;

pub mod sgd_fixed_delta_escape;
pub mod sgd_one_step_identity;
pub mod sgd_quadratic_moments;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(sgd_one_step_identity::SgdOneStepIdentity),
        Box::new(sgd_quadratic_moments::SgdQuadraticMoments),
        Box::new(sgd_fixed_delta_escape::SgdFixedDeltaEscape),
    ]
}
