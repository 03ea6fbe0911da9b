//! Proof tests of `theory::sgd_as_smoothing` (see theory/src/sgd_as_smoothing/), and
//! focused tests of the tilted-Rastrigin finite sum.

use crate::proof;
use nalgebra::DVector;
use numerics::objective::{finite_difference_gradient, FiniteSum, Objective, TiltedRastrigin};
use numerics::Seed;
use proptest::prelude::*;

// ANCHOR: proofs
proof!(
    sgd_one_step_identity_holds_and_fixed_kernels_do_not,
    "sgd_one_step_identity"
);
proof!(
    sgd_quadratic_mean_holds_and_delta_only_spread_is_falsified,
    "sgd_quadratic_moments"
);
proof!(
    sgd_fixed_delta_escape_is_not_invariant,
    "sgd_fixed_delta_escape"
);
// ANCHOR_END: proofs

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The mini-batch noise of the tilted-Rastrigin sum is the same at every x, and its
    /// per-sample variance is (1/N) Σ‖aᵢ‖² everywhere.
    #[test]
    fn tilted_rastrigin_noise_is_state_independent(
        seed in 0u64..1000, n in 2usize..50, d in 1usize..4,
        x0 in -4.0f64..4.0, x1 in -4.0f64..4.0, i in 0usize..1000, j in 0usize..1000
    ) {
        let f = TiltedRastrigin::gaussian(n, d, 2.0, &mut Seed(seed).stream("tilts")).unwrap();
        let x = DVector::from_element(d, x0);
        let y = DVector::from_element(d, x1);
        let batch = [i % n, j % n];
        let wx = f.minibatch_gradient(&batch, &x) - f.gradient(&x);
        let wy = f.minibatch_gradient(&batch, &y) - f.gradient(&y);
        prop_assert!((&wx - &wy).norm() < 1e-10 * (1.0 + wx.norm()));
        prop_assert!((wx - f.batch_noise(&batch)).norm() < 1e-10);
        let by_samples: f64 = (0..n)
            .map(|k| (f.sample_gradient(k, &x) - f.gradient(&x)).norm_squared())
            .sum::<f64>() / n as f64;
        prop_assert!((by_samples - f.noise_variance()).abs() < 1e-9 * f.noise_variance().max(1e-300));
    }

    /// ∇f of the tilted sum matches central differences.
    #[test]
    fn tilted_rastrigin_gradient_matches_central_difference(
        seed in 0u64..1000, x0 in -4.0f64..4.0, x1 in -4.0f64..4.0
    ) {
        let f = TiltedRastrigin::gaussian(7, 2, 5.0, &mut Seed(seed).stream("tilts")).unwrap();
        let x = DVector::from_vec(vec![x0, x1]);
        let fd = finite_difference_gradient(&f, &x, 1e-6);
        prop_assert!((f.gradient(&x) - fd).norm() < 1e-5);
    }
}

#[test]
fn quadratic_variance_closed_form_matches_the_recursion() {
    // Var x_{t+1} = (1 − ηh)² Var x_t + η²C²/b (x₀ deterministic), against the closed form
    // η²(C²/b)(1 − q^{2t})/(1 − q²) used by sgd_quadratic_moments, and its limit
    // ηC²/(bh(2 − ηh)).
    let (eta, h, c2, b) = (0.04, 1.0, 25.0, 16.0);
    let q: f64 = 1.0 - eta * h;
    let mut v = 0.0;
    for t in 1..=2000 {
        v = q * q * v + eta * eta * c2 / b;
        let closed = eta * eta * c2 / b * (1.0 - q.powi(2 * t)) / (1.0 - q * q);
        assert!((v - closed).abs() < 1e-12 * closed);
    }
    assert!((v - eta * c2 / (b * h * (2.0 - eta * h))).abs() < 1e-12 * v);
}
