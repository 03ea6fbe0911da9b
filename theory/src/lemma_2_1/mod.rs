//! C2.x — Lemma 2.1, the mini-batch variance bound C²/b and its finite-population versions (spec §2).

use crate::Check;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![]
}
