//! C3.x — "SGD is GD on a smoothed function" with δ = ηC/√b: what is exact and what is not (spec §3).

use crate::Check;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![]
}
