//! C5.x — Rastrigin's function as a (new) σ-nice function: exact smoothed quantities (spec §5).

use crate::Check;

pub mod explicit_go_global_basin;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![Box::new(explicit_go_global_basin::ExplicitGoGlobalBasin)]
}
