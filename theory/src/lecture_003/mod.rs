//! C9.x — qualitative SGD convergence: noise balls, step-size rules, PL rates, over/under-parameterised least squares (lecture 003; spec §9).

use crate::Check;
use numerics::objective::Objective;
use numerics::Vector;

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

/// The least-squares problems of C9.1, C9.2, C9.8–C9.10 (used by the figures too).
pub use least_squares_support::{OverParameterised, Stationary, UnderParameterised};

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

/// The error-bound rate 1 − γμ_EB(1 − βγ/2) of GD with step γ on a β-smooth function
/// satisfying the error bound with constant μ_EB (C9.5, C9.6).
pub(crate) fn rate_bound(gamma: f64, mu: f64, beta: f64) -> f64 {
    1.0 - gamma * mu * (1.0 - beta * gamma / 2.0)
}

/// Largest per-step ratio f(x_{k+1})/f(x_k) of GD x ← x − γ∇f(x) from `x0` on an
/// objective with f* = 0, until f < 1e−200, f is not finite, or `max_steps` steps;
/// returns the ratio and the number of steps (C9.5, C9.6).
pub(crate) fn worst_gd_ratio<F: Objective + ?Sized>(
    f: &F,
    x0: &Vector,
    gamma: f64,
    max_steps: usize,
) -> (f64, usize) {
    let mut x = x0.clone();
    let mut fx = f.value(&x);
    let mut worst = f64::NEG_INFINITY;
    let mut steps = 0;
    while steps < max_steps && fx > 1e-200 && fx.is_finite() {
        let g = f.gradient(&x);
        x.axpy(-gamma, &g, 1.0);
        let next = f.value(&x);
        worst = worst.max(next / fx);
        fx = next;
        steps += 1;
    }
    (worst, steps)
}
