//! Proof tests of `theory::sigma_nice` (see theory/src/sigma_nice/), and property tests
//! of the solvers used by its checks.

use crate::proof;
use nalgebra::{DMatrix, DVector};
use numerics::objective::{LeastSquares, Objective, Quadratic};
use numerics::optim::{run, Gd, Nshb, Sam, Sgd, Shb};
use numerics::Seed;
use proptest::prelude::*;

// ANCHOR: proofs
proof!(theorem_4_1_surrogate_rate, "theorem_4_1_surrogate_rate");
proof!(theorem_4_2_chaining, "theorem_4_2_chaining");
proof!(theorem_4_2_rounds, "theorem_4_2_rounds");
proof!(
    centering_path_logistic_fails_under_giso_only,
    "centering_path_logistic"
);
proof!(least_squares_sigma_nice, "least_squares_sigma_nice");
// ANCHOR_END: proofs

#[allow(clippy::unwrap_used)] // test fixture: a diagonal with positive entries is valid
fn diagonal_quadratic(diag: &[f64]) -> Quadratic {
    Quadratic::homogeneous(DMatrix::from_diagonal(&DVector::from_row_slice(diag))).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// GD on ½xᵀΛx: x_T = (I − ηΛ)^T x₀ coordinate-wise.
    #[test]
    fn gd_on_a_diagonal_quadratic_is_a_power_of_the_iteration_matrix(
        diag in proptest::collection::vec(0.1f64..5.0, 3),
        x0 in proptest::collection::vec(-5.0f64..5.0, 3),
        eta in 0.01f64..0.3,
        steps in 1u64..30,
    ) {
        let f = diagonal_quadratic(&diag);
        let x0 = DVector::from_vec(x0);
        let res = run(f, Gd::new(eta).unwrap(), x0.clone(), steps).unwrap();
        let x = res.state.param.unwrap();
        for i in 0..3 {
            let want = (1.0 - eta * diag[i]).powi(steps as i32) * x0[i];
            prop_assert!((x[i] - want).abs() <= 1e-12 * want.abs().max(1.0));
        }
    }

    /// One SAM step on ½xᵀΛx: x₁ = x₀ − γΛ(x₀ + ρΛx₀/‖Λx₀‖).
    #[test]
    fn sam_one_step_matches_the_closed_form(
        diag in proptest::collection::vec(0.1f64..5.0, 3),
        x0 in proptest::collection::vec(-5.0f64..5.0, 3),
        gamma in 0.01f64..0.3,
        rho in 0.0f64..1.0,
    ) {
        let f = diagonal_quadratic(&diag);
        let x0 = DVector::from_vec(x0);
        let lam = DVector::from_row_slice(&diag);
        let g = lam.component_mul(&x0);
        prop_assume!(g.norm() > 1e-6);
        let eps = &g * (rho / g.norm());
        let want = &x0 - lam.component_mul(&(&x0 + eps)) * gamma;
        let res = run(f, Sam::new(gamma, rho).unwrap(), x0.clone(), 1).unwrap();
        prop_assert!((res.state.param.unwrap() - want).norm() < 1e-12);
    }

    /// With β = 0 both momentum methods are SGD, batch for batch (same seed).
    #[test]
    fn momentum_methods_with_zero_beta_are_sgd(seed in 0u64..1000, eta in 0.001f64..0.05, b in 1usize..8) {
        let f = LeastSquares::gaussian(30, 3, &mut Seed(1).stream("data")).unwrap();
        let x0 = DVector::zeros(3);
        let sgd = run(f.clone(), Sgd::new(eta, b, Seed(seed)).unwrap(), x0.clone(), 10).unwrap();
        let shb = run(f.clone(), Shb::new(eta, b, 0.0, Seed(seed)).unwrap(), x0.clone(), 10).unwrap();
        let nshb = run(f.clone(), Nshb::new(eta, b, 0.0, Seed(seed)).unwrap(), x0.clone(), 10).unwrap();
        let (sgd, shb, nshb) = (sgd.state.param.unwrap(), shb.state.param.unwrap(), nshb.state.param.unwrap());
        prop_assert!((&sgd - shb).norm() < 1e-13);
        prop_assert!((&sgd - nshb).norm() < 1e-13);
        prop_assert!(f.value(&sgd).is_finite());
    }
}
