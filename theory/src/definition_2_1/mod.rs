//! C1.x — Definition 2.1, the smoothed function: closed forms, gradient identities, approximation bounds (spec §1).

use crate::Check;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![]
}
