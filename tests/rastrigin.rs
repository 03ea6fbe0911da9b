//! Proof tests of `theory::rastrigin` (see theory/src/rastrigin/) and property tests of
//! the smoothed-Rastrigin landscape quantities.

use crate::proof;
use numerics::smoothing::rastrigin_landscape::{
    coordinate_minimiser, failure_intervals, local_modulus, RadiusRule, CONVEXITY_KAPPA,
};
use numerics::smoothing::Kernel;
use proptest::prelude::*;
use std::f64::consts::PI;

// ANCHOR: proofs
proof!(
    rastrigin_hessian_matches_finite_differences,
    "rastrigin_hessian"
);
proof!(
    rastrigin_minimiser_matches_global_search,
    "rastrigin_minimiser"
);
proof!(
    rastrigin_is_not_sigma_nice_under_hazans_radius,
    "rastrigin_strong_convexity"
);
proof!(
    rastrigin_centering_fails_for_ball_only,
    "rastrigin_centering"
);
proof!(explicit_go_global_basin, "explicit_go_global_basin");
// ANCHOR_END: proofs

fn g(kappa: f64, t: f64) -> f64 {
    t * t - 10.0 * kappa * (2.0 * PI * t).cos()
}

proptest! {
    /// t*(κ) is a critical point and no point of a grid on [−6, 6] is lower.
    #[test]
    fn coordinate_minimiser_is_global(kappa in -1.0f64..1.0) {
        let t = coordinate_minimiser(kappa);
        let dg = 2.0 * t + 20.0 * PI * kappa * (2.0 * PI * t).sin();
        prop_assert!(dg.abs() < 1e-9);
        let best = (0..=12_000).map(|k| g(kappa, -6.0 + k as f64 * 1e-3)).fold(f64::INFINITY, f64::min);
        prop_assert!(g(kappa, t) <= best + 1e-12);
        prop_assert_eq!(t > 0.0, kappa < -CONVEXITY_KAPPA);
    }

    /// σ(κ; R) is the minimum of g'' over the interval (brute force on a grid).
    #[test]
    fn local_modulus_is_min_curvature_on_the_ball(kappa in -1.0f64..1.0, radius in 0.0f64..2.0) {
        let t0 = coordinate_minimiser(kappa);
        let brute = (0..=4000)
            .map(|k| t0 - radius + 2.0 * radius * k as f64 / 4000.0)
            .map(|t| 2.0 + 40.0 * PI * PI * kappa * (2.0 * PI * t).cos())
            .fold(f64::INFINITY, f64::min);
        let sigma = local_modulus(kappa, radius);
        prop_assert!(sigma <= brute + 1e-9);
        // The grid misses the exact minimum by at most max|g'''|·h.
        prop_assert!(sigma >= brute - 40.0 * PI.powi(3) * kappa.abs() * 2.0 * radius / 4000.0 - 1e-9);
    }
}

#[test]
fn failure_intervals_reject_bad_grids() {
    assert!(failure_intervals(Kernel::Gaussian, 1, &[], RadiusRule::Fixed(0.3)).is_err());
    assert!(failure_intervals(Kernel::Gaussian, 1, &[0.2, 0.1], RadiusRule::Fixed(0.3)).is_err());
}

#[test]
fn fixed_small_radius_keeps_giso_strongly_convex() {
    // R = 0.2 < ¼: cos ≥ 0 on the ball around 0, so σ ≥ 2 for every δ (GISO, κ > 0).
    let grid: Vec<f64> = (1..=800).map(|k| k as f64 * 0.01).collect();
    let iv = failure_intervals(Kernel::Gaussian, 1, &grid, RadiusRule::Fixed(0.2)).unwrap();
    assert!(iv.is_empty(), "{iv:?}");
}
