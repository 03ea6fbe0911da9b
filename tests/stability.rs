//! Proof tests of `theory::stability` (see theory/src/stability/).

use crate::proof;

// ANCHOR: proofs
proof!(
    gd_stability_holds_and_slide_criterion_is_refuted,
    "gd_stability"
);
proof!(
    sgd_linear_stability_wu_is_sufficient_not_necessary,
    "sgd_linear_stability"
);
proof!(
    linearised_sgd_simulation_slope_matches_log_rho,
    "linearised_sgd_simulation"
);
proof!(
    nonlinear_stability_matches_rho_at_the_minimum,
    "nonlinear_stability"
);
proof!(
    slide_scalar_formula_is_reported_wrong,
    "slide_scalar_formula"
);
proof!(r_identity_exact_algebra, "r_identity");
proof!(
    r_identity_monte_carlo_gaussian_and_rademacher,
    "r_identity_monte_carlo"
);
proof!(
    r_identity_state_dependent_least_squares,
    "r_identity_state_dependent"
);
proof!(sam_two_cycle_not_the_minimiser, "sam_two_cycle");
proof!(
    sam_objective_trust_region_and_first_order_direction,
    "sam_objective"
);
// ANCHOR_END: proofs

// Focused tests of the numerics behind the stability checks.

use nalgebra::DMatrix;
use numerics::rng::Rng;
use numerics::spectrum::{batch_factor, MeanSquareStability, PowerIteration, SymmetricSpectrum};
use numerics::Seed;
use proptest::prelude::*;
use rand::Rng as _;

/// n random PSD d × d matrices GGᵀ (G uniform on [−1, 1]^{d×2}).
fn psd_hessians(n: usize, d: usize, rng: &mut Rng) -> Vec<DMatrix<f64>> {
    (0..n)
        .map(|_| {
            let g = DMatrix::from_fn(d, 2, |_, _| 2.0 * rng.random::<f64>() - 1.0);
            &g * g.transpose()
        })
        .collect()
}

/// Every b-subset of 0..n.
fn subsets(n: usize, b: usize) -> Vec<Vec<usize>> {
    fn extend(
        start: usize,
        n: usize,
        b: usize,
        current: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if current.len() == b {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            current.push(i);
            extend(i + 1, n, b, current, out);
            current.pop();
        }
    }
    let mut out = Vec::new();
    extend(0, n, b, &mut Vec::new(), &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// T(P) = E_S[(I − ηH_S)P(I − ηH_S)] over uniform B-subsets, by enumeration.
    #[test]
    fn mean_square_map_matches_subset_enumeration(n in 2usize..7, b_frac in 0.0f64..1.0, d in 1usize..5, eta in 0.01f64..1.0, seed in any::<u64>()) {
        let mut rng = Seed(seed).stream("hessians");
        let b = 1 + ((n - 1) as f64 * b_frac) as usize;
        let hessians = psd_hessians(n, d, &mut rng);
        let map = MeanSquareStability::new(hessians.clone(), b, eta).unwrap();
        let p = {
            let g = DMatrix::from_fn(d, d, |_, _| 2.0 * rng.random::<f64>() - 1.0);
            &g * g.transpose()
        };
        let all = subsets(n, b);
        let mut expected = DMatrix::zeros(d, d);
        for s in &all {
            let hs = s.iter().fold(DMatrix::zeros(d, d), |acc, &i| acc + &hessians[i]) / b as f64;
            let g = DMatrix::identity(d, d) - hs * eta;
            expected += &g * &p * &g;
        }
        expected /= all.len() as f64;
        let got = map.apply(&p).unwrap();
        prop_assert!((&got - &expected).abs().max() <= 1e-12 * expected.abs().max().max(1.0));
    }

    /// ρ(T) ≤ λ_max(T(I)) (Wu's condition is sufficient), and T is self-adjoint for the
    /// Frobenius inner product.
    #[test]
    fn wu_criterion_bounds_the_spectral_radius(n in 2usize..10, b_frac in 0.0f64..1.0, d in 1usize..5, eta_scale in 0.05f64..2.5, seed in any::<u64>()) {
        let mut rng = Seed(seed).stream("hessians");
        let b = 1 + ((n - 1) as f64 * b_frac) as usize;
        let map = MeanSquareStability::new(psd_hessians(n, d, &mut rng), b, 1.0).unwrap();
        let lmax = SymmetricSpectrum::new(map.mean_hessian()).unwrap().lambda_max();
        let map = map.with_learning_rate(eta_scale / lmax.max(1e-9)).unwrap();
        let rho = map.spectral_radius_kronecker().unwrap();
        prop_assert!(rho <= map.wu_criterion().unwrap() * (1.0 + 1e-9));
        let sym = |rng: &mut Rng| {
            let g = DMatrix::from_fn(d, d, |_, _| 2.0 * rng.random::<f64>() - 1.0);
            &g + g.transpose()
        };
        let (p, q) = (sym(&mut rng), sym(&mut rng));
        let lhs = q.dot(&map.apply(&p).unwrap());
        let rhs = map.apply(&q).unwrap().dot(&p);
        prop_assert!((lhs - rhs).abs() <= 1e-12 * lhs.abs().max(1.0));
    }

    /// In 1-D, ρ(T) = Wu = (1 − ηh̄)² + η²pσ².
    #[test]
    fn one_dimensional_criterion_is_exact(h in proptest::collection::vec(0.0f64..3.0, 2..12), b_frac in 0.0f64..1.0, eta in 0.01f64..1.0) {
        let n = h.len();
        let b = 1 + ((n - 1) as f64 * b_frac) as usize;
        let map = MeanSquareStability::new(h.iter().map(|&x| DMatrix::from_element(1, 1, x)).collect(), b, eta).unwrap();
        let mean = h.iter().sum::<f64>() / n as f64;
        let var = h.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let closed = (1.0 - eta * mean).powi(2) + eta * eta * batch_factor(n, b).unwrap() * var;
        prop_assert!((map.spectral_radius().unwrap() - closed).abs() <= 1e-12 * closed.max(1.0));
        prop_assert!((map.wu_criterion().unwrap() - closed).abs() <= 1e-12 * closed.max(1.0));
    }
}

#[test]
fn restriction_to_range_recovers_the_embedded_problem() {
    // 2-D Hessians embedded in R⁴ by an orthonormal 4 × 2 frame U: Hᵢ ↦ UHᵢUᵀ. The map
    // on R⁴ has the neutral eigenvalue 1; restricted to range(H) it is the 2-D map.
    let mut rng = Seed(3).stream("embed");
    let small = psd_hessians(5, 2, &mut rng);
    let g = DMatrix::from_fn(4, 4, |_, _| 2.0 * rng.random::<f64>() - 1.0);
    let u = g.qr().q().columns(0, 2).into_owned();
    let big: Vec<DMatrix<f64>> = small
        .iter()
        .map(|h| {
            let e = &u * h * u.transpose();
            (&e + e.transpose()) * 0.5
        })
        .collect();
    let eta = 0.3;
    let reference = MeanSquareStability::new(small, 2, eta)
        .unwrap()
        .spectral_radius()
        .unwrap();
    let full = MeanSquareStability::new(big, 2, eta).unwrap();
    assert!(full.spectral_radius().unwrap() >= 1.0 - 1e-12);
    let restricted = full.restricted_to_range(1e-10).unwrap();
    assert_eq!(restricted.dim(), 2);
    assert!((restricted.spectral_radius().unwrap() - reference).abs() < 1e-12);
}

#[test]
fn mean_square_power_iteration_reports_its_iterations() {
    let mut rng = Seed(4).stream("power");
    let map = MeanSquareStability::new(psd_hessians(6, 3, &mut rng), 2, 0.2).unwrap();
    let r = map.spectral_radius_power(&PowerIteration::new()).unwrap();
    assert!(r.converged && r.iterations > 1);
    assert!((r.value - map.spectral_radius_kronecker().unwrap()).abs() < 1e-8);
}
