//! Proof tests of `theory::lecture_003` (see theory/src/lecture_003/), and focused tests
//! of the lecture-003 objectives (`PlExample`, `ThreePoint`, `TwoCycle`): analytic
//! derivatives against central differences, the finite-sum identities, the closed
//! forms the checks rest on, and constructor validation.

use crate::proof;
use nalgebra::DVector;
use numerics::objective::{
    finite_difference_gradient, FiniteSum, Objective, PlExample, ThreePoint, TwoCycle,
};
use numerics::NumericsError;
use proptest::prelude::*;

// ANCHOR: proofs
proof!(
    noise_floor_is_linear_in_the_step,
    "noise_floor_linear_in_step"
);
proof!(
    noise_ball_three_point_matches_closed_form,
    "noise_ball_three_point"
);
proof!(
    noise_ball_two_cycle_matches_closed_form,
    "noise_ball_two_cycle"
);
proof!(
    gradient_agreement_over_vs_under_parameterised,
    "gradient_agreement"
);
proof!(step_size_sums, "step_size_sums");
proof!(
    step_size_rules_adaptive_rules_stay_finite,
    "step_size_rules_large_gradient"
);
proof!(
    error_bound_quadratic_rate_holds_below_two_over_beta,
    "error_bound_quadratic_rate"
);
proof!(
    error_bound_pl_example_constant_is_0_351,
    "error_bound_pl_example"
);
proof!(
    semi_smooth_relu_net_needs_c_positive,
    "semi_smooth_relu_net"
);
proof!(
    under_parameterised_noise_floor_matches_stationary_covariance,
    "under_parameterised_noise_floor"
);
proof!(
    over_parameterised_rate_is_mean_square_spectral_radius,
    "over_parameterised_linear_rate"
);
proof!(
    individual_gradients_vanish_only_when_over_parameterised,
    "individual_gradients_at_limit"
);
// ANCHOR_END: proofs

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// f'(x) = 2x + a sin 2x and f''(x) = 2 + 2a cos 2x against central differences.
    #[test]
    fn pl_example_derivatives_match_central_differences(x in -20.0f64..20.0, a in 0.0f64..5.0) {
        let f = PlExample::new(a).unwrap();
        let h = 1e-5;
        let fd1 = (f.value_at(x + h) - f.value_at(x - h)) / (2.0 * h);
        let fd2 = (f.derivative(x + h) - f.derivative(x - h)) / (2.0 * h);
        prop_assert!((f.derivative(x) - fd1).abs() <= 1e-6 * (1.0 + fd1.abs()));
        prop_assert!((f.second_derivative(x) - fd2).abs() <= 1e-6 * (1.0 + fd2.abs()));
        let v = DVector::from_element(1, x);
        prop_assert!((f.gradient(&v)[0] - f.derivative(x)).abs() < 1e-15);
        prop_assert!(f.second_derivative(x) <= f.smoothness() + 1e-12);
    }

    /// ∇f = mean of the ∇fᵢ = x − c̄ and the analytic gradient matches central differences.
    #[test]
    fn three_point_gradient_is_the_mean_of_sample_gradients(
        x0 in -5.0f64..5.0, x1 in -5.0f64..5.0, r in 0.1f64..4.0
    ) {
        let f = ThreePoint::equilateral(r).unwrap();
        let x = DVector::from_vec(vec![x0, x1]);
        let mean = (0..3).map(|i| f.sample_gradient(i, &x)).fold(DVector::zeros(2), |a, g| a + g) / 3.0;
        prop_assert!((f.gradient(&x) - &mean).norm() < 1e-12);
        let fd = finite_difference_gradient(&f, &x, 1e-6);
        prop_assert!((f.gradient(&x) - fd).norm() < 1e-6);
        // The SGD map x ↦ (1 − γ)x + γcᵢ.
        let gamma = 0.3;
        for i in 0..3 {
            let stepped = &x - f.sample_gradient(i, &x) * gamma;
            let affine = &x * (1.0 - gamma) + &f.centres()[i] * gamma;
            prop_assert!((stepped - affine).norm() < 1e-12);
        }
    }

    /// The two-function mean has gradient x, and each ∇fᵢ matches central differences.
    #[test]
    fn two_cycle_sample_gradients_match_central_differences(x in -3.0f64..3.0, a in -2.0f64..2.0) {
        let f = TwoCycle::new(a).unwrap();
        let v = DVector::from_element(1, x);
        for i in 0..2 {
            let fd = (f.sample_value(i, &DVector::from_element(1, x + 1e-6))
                - f.sample_value(i, &DVector::from_element(1, x - 1e-6))) / 2e-6;
            prop_assert!((f.sample_gradient(i, &v)[0] - fd).abs() < 1e-6);
        }
        prop_assert!((f.gradient(&v)[0] - x).abs() < 1e-12);
    }
}

#[test]
fn three_point_equilateral_centres_sum_to_zero_with_radius_norm() {
    let f = ThreePoint::equilateral(2.0).unwrap();
    let sum = f.centres().iter().fold(DVector::zeros(2), |a, c| a + c);
    assert!(sum.norm() < 1e-14);
    assert!(f.minimiser().norm() < 1e-14);
    for c in f.centres() {
        assert!((c.norm() - 2.0).abs() < 1e-14);
    }
    // The lecture's sum ½Σ‖x − cᵢ‖² = (3/2)‖x‖² + 6: N times the mean objective.
    let x = DVector::from_vec(vec![0.7, -1.3]);
    assert!((3.0 * f.value(&x) - (1.5 * x.norm_squared() + 6.0)).abs() < 1e-12);
}

#[test]
fn three_point_rejects_bad_centres() {
    assert!(ThreePoint::new(vec![]).is_err());
    assert!(matches!(
        ThreePoint::new(vec![DVector::zeros(2), DVector::zeros(3)]),
        Err(NumericsError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        ThreePoint::new(vec![DVector::from_element(2, f64::NAN)]),
        Err(NumericsError::NonFinite(_))
    ));
    assert!(ThreePoint::equilateral(-1.0).is_err());
}

#[test]
fn pl_example_and_two_cycle_reject_bad_parameters() {
    assert!(matches!(
        PlExample::new(-1.0),
        Err(NumericsError::InvalidParameter { .. })
    ));
    assert!(PlExample::new(f64::INFINITY).is_err());
    assert!(matches!(
        TwoCycle::new(f64::NAN),
        Err(NumericsError::InvalidParameter { .. })
    ));
}

#[test]
fn pl_example_is_non_convex_with_smoothness_eight() {
    let f = PlExample::lecture();
    assert!((f.smoothness() - 8.0).abs() < 1e-15);
    assert!((f.second_derivative(0.0) - 8.0).abs() < 1e-15);
    // f''(π/2) = 2 − 6 < 0: not convex.
    assert!(f.second_derivative(std::f64::consts::FRAC_PI_2) < 0.0);
    // The only stationary point is 0: f'(x)·x > 0 for x ≠ 0 on a grid.
    for k in 1..=4000 {
        let x = k as f64 * 0.005;
        assert!(f.derivative(x) > 0.0 && f.derivative(-x) < 0.0, "x = {x}");
    }
}

/// Cyclic SGD from any start reaches the 2-cycle ±γa/(2 − γ): the composed map of one
/// cycle is x ↦ (1 − γ)²x − γ²a, with fixed point −γa/(2 − γ).
#[test]
fn two_cycle_composed_map_has_the_closed_form_fixed_point() {
    let (a, gamma) = (0.83, 0.07);
    let f = TwoCycle::new(a).unwrap();
    let mut x = DVector::from_element(1, -5.0);
    let x0 = x[0];
    for i in 0..2 {
        let g = f.sample_gradient(i, &x);
        x -= g * gamma;
    }
    let composed = (1.0 - gamma) * (1.0 - gamma) * x0 - gamma * gamma * a;
    assert!((x[0] - composed).abs() < 1e-14);
    let fixed = -gamma * a / (2.0 - gamma);
    assert!(((1.0 - gamma).powi(2) * fixed - gamma * gamma * a - fixed).abs() < 1e-16);
}
