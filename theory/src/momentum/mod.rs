//! C6.x — the polynomial δ schedule, momentum noise (SHB/NSHB) and Algorithm 6 (spec §6).

pub mod algorithm_6_realisation;
pub mod momentum_cubic_solver;
pub mod momentum_degree_monotonicity;
pub mod momentum_noise_bound;
pub mod polynomial_schedule_telescoping;

use crate::Check;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(polynomial_schedule_telescoping::PolynomialScheduleTelescoping),
        Box::new(algorithm_6_realisation::Algorithm6Realisation),
        Box::new(momentum_cubic_solver::MomentumCubicSolver),
        Box::new(momentum_noise_bound::MomentumNoiseBound),
        Box::new(momentum_degree_monotonicity::MomentumDegreeMonotonicity),
    ]
}
