//! C8.x — GD and SGD linear stability (Wu et al.), the r(x) identity, SAM (lecture 002; spec §8).

use crate::Check;

pub mod gd_stability;
pub mod linearised_sgd_simulation;
pub mod nonlinear_stability;
pub mod r_identity;
pub mod r_identity_monte_carlo;
pub mod r_identity_state_dependent;
pub mod sam_objective;
pub mod sam_two_cycle;
pub mod sgd_linear_stability;
pub mod slide_scalar_formula;

pub mod support;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(gd_stability::GdStability),
        Box::new(sgd_linear_stability::SgdLinearStability),
        Box::new(linearised_sgd_simulation::LinearisedSgdSimulation),
        Box::new(nonlinear_stability::NonlinearStability),
        Box::new(slide_scalar_formula::SlideScalarFormula),
        Box::new(r_identity::RIdentity),
        Box::new(r_identity_monte_carlo::RIdentityMonteCarlo),
        Box::new(r_identity_state_dependent::RIdentityStateDependent),
        Box::new(sam_two_cycle::SamTwoCycle),
        Box::new(sam_objective::SamObjective),
    ]
}
