//! C5.x — Rastrigin's function as a (new) σ-nice function: exact smoothed quantities (spec §5).

use crate::Check;

pub mod explicit_go_global_basin;
pub mod rastrigin_centering;
pub mod rastrigin_hessian;
pub mod rastrigin_minimiser;
pub mod rastrigin_strong_convexity;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(rastrigin_hessian::RastriginHessian),
        Box::new(rastrigin_minimiser::RastriginMinimiser),
        Box::new(rastrigin_strong_convexity::RastriginStrongConvexity),
        Box::new(rastrigin_centering::RastriginCentering),
        Box::new(explicit_go_global_basin::ExplicitGoGlobalBasin),
    ]
}
