//! C9.x — qualitative SGD convergence: noise balls, step-size rules, PL rates, over/under-parameterised least squares (lecture 003; spec §9).

use crate::Check;

pub mod error_bound_pl_example;
pub mod error_bound_quadratic_rate;
pub mod gradient_agreement;
pub mod individual_gradients_at_limit;
pub mod noise_ball_three_point;
pub mod noise_ball_two_cycle;
pub mod noise_floor_linear_in_step;
pub mod over_parameterised_linear_rate;
pub mod semi_smooth_relu_net;
pub mod step_size_rules_large_gradient;
pub mod step_size_sums;
pub mod under_parameterised_noise_floor;

mod least_squares_support;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(noise_floor_linear_in_step::NoiseFloorLinearInStep),
        Box::new(noise_ball_three_point::NoiseBallThreePoint),
        Box::new(noise_ball_two_cycle::NoiseBallTwoCycle),
        Box::new(gradient_agreement::GradientAgreement),
        Box::new(step_size_sums::StepSizeSums),
        Box::new(step_size_rules_large_gradient::StepSizeRulesLargeGradient),
        Box::new(error_bound_quadratic_rate::ErrorBoundQuadraticRate),
        Box::new(error_bound_pl_example::ErrorBoundPlExample),
        Box::new(semi_smooth_relu_net::SemiSmoothReluNet),
        Box::new(under_parameterised_noise_floor::UnderParameterisedNoiseFloor),
        Box::new(over_parameterised_linear_rate::OverParameterisedLinearRate),
        Box::new(individual_gradients_at_limit::IndividualGradientsAtLimit),
    ]
}
