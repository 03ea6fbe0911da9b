//! C7.x — explicit graduated optimization (arXiv 2412.11501, Algorithm 1; spec §7).

use crate::Check;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![]
}
