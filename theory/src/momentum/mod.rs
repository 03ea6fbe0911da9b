//! C6.x — the polynomial δ schedule, momentum noise (SHB/NSHB) and Algorithm 6 (spec §6).

use crate::Check;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![]
}
