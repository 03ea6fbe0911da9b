//! C9.x — qualitative SGD convergence: noise balls, step-size rules, PL rates, over/under-parameterised least squares (lecture 003; spec §9).

use crate::Check;

pub mod error_bound_pl_example;
pub mod error_bound_quadratic_rate;
pub mod noise_ball_three_point;
pub mod noise_ball_two_cycle;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(noise_ball_three_point::NoiseBallThreePoint),
        Box::new(noise_ball_two_cycle::NoiseBallTwoCycle),
        Box::new(error_bound_quadratic_rate::ErrorBoundQuadraticRate),
        Box::new(error_bound_pl_example::ErrorBoundPlExample),
    ]
}
