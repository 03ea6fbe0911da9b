//! Proof tests of `theory::definition_2_1` (see theory/src/definition_2_1/), focused
//! tests of the smoothing estimators, and the `igo smooth` command line.

use crate::proof;
use crate::util::{assert_usage_error, igo_json, igo_stdout};
use nalgebra::DVector;
use numerics::objective::{L1Norm, Objective, Rastrigin, SmoothedL1Norm};
use numerics::smoothing::{Difference, Kernel, MonteCarlo, SmoothedRastrigin};
use numerics::Seed;
use proptest::prelude::*;

// ANCHOR: proofs
proof!(quadratic_shift_matches_monte_carlo, "quadratic_shift");
proof!(
    rastrigin_closed_form_matches_anchors_and_monte_carlo,
    "rastrigin_closed_form"
);
proof!(
    gradient_identities_hold_for_sphere_and_gaussian_score,
    "gradient_identities"
);
proof!(approximation_bounds_hold_per_kernel, "approximation_bounds");
proof!(
    logistic_quadrature_matches_monte_carlo,
    "logistic_quadrature"
);
// ANCHOR_END: proofs

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Jensen: ‖·‖₁ is convex, so f̂_δ ≥ f; and |f̂_δ − f| ≤ √d·δ·E‖u‖.
    #[test]
    fn smoothed_l1_lies_between_f_and_the_lipschitz_bound(
        xs in prop::collection::vec(-3.0f64..3.0, 1..8),
        delta in 0.01f64..3.0,
        k in 0usize..3,
    ) {
        let kernel = Kernel::ALL[k];
        let d = xs.len();
        let x = DVector::from_vec(xs);
        let f = L1Norm::new(d).unwrap();
        let s = SmoothedL1Norm::new(d, kernel, delta).unwrap();
        let gap = s.value(&x) - f.value(&x);
        prop_assert!(gap >= -1e-12);
        prop_assert!(gap <= f.lipschitz() * delta * kernel.mean_norm(d) * (1.0 + 1e-9));
    }

    /// The smoothed Rastrigin gradient is the MC mean of ∇f(x − δu) (|z| ≤ 5 per coordinate).
    #[test]
    fn rastrigin_monte_carlo_gradient_is_unbiased(
        xs in prop::collection::vec(-2.0f64..2.0, 1..4),
        delta in 0.05f64..1.5,
        k in 0usize..3,
        seed in 0u64..1000,
    ) {
        let kernel = Kernel::ALL[k];
        let d = xs.len();
        let x = DVector::from_vec(xs);
        let f = Rastrigin::new(d).unwrap();
        let exact = SmoothedRastrigin::new(d, kernel, delta).unwrap().gradient(&x);
        let est = MonteCarlo::new(kernel, delta, 20_000)
            .unwrap()
            .gradient(&f, &x, &mut Seed(seed).stream("prop"))
            .unwrap();
        prop_assert!(est.max_abs_z(&exact).unwrap() < 5.0);
    }
}

#[test]
fn zeroth_order_central_estimator_has_smaller_error_than_one_sided() {
    // Same samples budget: the antithetic estimator's SE is far smaller for smooth f.
    let f = Rastrigin::new(3).unwrap();
    let x = DVector::from_vec(vec![0.2, -0.4, 1.1]);
    let mc = MonteCarlo::new(Kernel::Gaussian, 0.1, 20_000).unwrap();
    let one = mc
        .zeroth_order_gradient(&f, &x, Difference::OneSided, &mut Seed(1).stream("a"))
        .unwrap();
    let two = mc
        .zeroth_order_gradient(&f, &x, Difference::Central, &mut Seed(1).stream("a"))
        .unwrap();
    assert!(
        two.std_error.amax() < 0.5 * one.std_error.amax(),
        "{} vs {}",
        two.std_error.amax(),
        one.std_error.amax()
    );
}

#[test]
fn cli_smooth_prints_exact_and_monte_carlo_values() {
    let v = igo_json(&[
        "smooth",
        "--function",
        "rastrigin",
        "--kernel",
        "gaussian",
        "--delta",
        "1",
        "--at",
        "0.3,-1.1",
        "--monte-carlo",
        "2000",
        "--json",
    ]);
    // Spec §1.2b anchor: d = 2, x = (0.3, −1.1), GISO, δ = 1 → 23.299999986624.
    let exact = v["smoothed_value"].as_f64().unwrap();
    assert!((exact - 23.299999986624).abs() < 1e-10);
    assert!((v["value"].as_f64().unwrap() - 16.3).abs() < 1e-12);
    assert_eq!(v["dimension"], 2);
    let mc = &v["monte_carlo"];
    assert_eq!(mc["samples"], 2000);
    assert!(mc["value"]["z"].as_f64().unwrap().abs() < 5.0);
    assert_eq!(mc["gradient"].as_array().unwrap().len(), 2);

    let text = igo_stdout(&[
        "smooth",
        "--function",
        "l1",
        "--kernel",
        "ball",
        "--delta",
        "0.5",
        "--at",
        "0",
    ]);
    // f̂_δ(0) = δ·E|u₁| = 0.5·½ for the 1-ball (uniform on [−1, 1]).
    assert!(text.contains("0.250000000000"), "{text}");
}

#[test]
fn cli_smooth_rejects_bad_values_with_status_2() {
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "smooth",
                "--function",
                "rastrigin",
                "--delta",
                "-1",
                "--at",
                "1",
            ],
            "--delta",
        ),
        (
            &[
                "smooth",
                "--function",
                "rastrigin",
                "--delta",
                "1",
                "--at",
                "",
            ],
            "--at",
        ),
        (
            &["smooth", "--function", "nope", "--delta", "1", "--at", "1"],
            "--function",
        ),
        (
            &[
                "smooth",
                "--function",
                "quadratic",
                "--diag",
                "1,2",
                "--delta",
                "1",
                "--at",
                "1",
            ],
            "--diag",
        ),
        (
            &[
                "smooth",
                "--function",
                "sphere",
                "--delta",
                "1",
                "--at",
                "1",
                "--monte-carlo",
                "0",
            ],
            "--monte-carlo",
        ),
        (
            &[
                "smooth",
                "--function",
                "sphere",
                "--delta",
                "1",
                "--at",
                "1,x",
            ],
            "--at",
        ),
    ];
    for (args, flag) in cases {
        assert_usage_error(args, flag);
    }
}
