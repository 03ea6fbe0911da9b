//! Proof tests of `theory::lemma_2_1` (see theory/src/lemma_2_1/), and focused tests of
//! the numerics they rest on: the finite-population variance formulas checked exactly by
//! enumerating every batch, and the MLP's backpropagation against central differences.

use crate::proof;
use nalgebra::DVector;
use numerics::objective::{
    finite_difference_gradient, Activation, Classification2d, FiniteSum, LeastSquares, Mlp,
    MlpLoss, Objective,
};
use numerics::{Matrix, Seed};
use proptest::prelude::*;

// ANCHOR: proofs
proof!(
    lemma_2_1_with_replacement_holds_and_is_refuted_by_wrong_c,
    "lemma_2_1_with_replacement"
);
proof!(
    lemma_2_1_without_replacement_matches_fpc,
    "lemma_2_1_without_replacement"
);
proof!(
    lemma_2_1_epoch_shuffle_matches_fpc_per_position,
    "lemma_2_1_epoch_shuffle"
);
proof!(
    lemma_2_1_network_scaling_slope_is_minus_one,
    "lemma_2_1_network_scaling"
);
// ANCHOR_END: proofs

/// ‖(1/|S|) Σ_{i∈S} ∇fᵢ(x) − ∇f(x)‖².
fn noise_sq<F: FiniteSum>(f: &F, batch: &[usize], x: &DVector<f64>) -> f64 {
    (f.minibatch_gradient(batch, x) - f.gradient(x)).norm_squared()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    // ANCHOR: exact_enumeration
    /// Exact enumeration: the average of ‖ω‖² over all N² ordered pairs (i.i.d. indices,
    /// b = 2) is σ²/2, and over all N(N−1)/2 distinct pairs it is σ²(N−2)/(2(N−1)).
    #[test]
    fn lemma_2_1_pair_batches_match_both_formulas_exactly(
        seed in 0u64..1000, n in 3usize..12, d in 1usize..5, scale in 0.1f64..3.0
    ) {
        let f = LeastSquares::gaussian(n, d, &mut Seed(seed).stream("data")).unwrap();
        let x = DVector::from_element(d, scale);
        let sigma2 = f.gradient_variance(&x);
        let mut with = 0.0;
        let mut without = 0.0;
        for i in 0..n {
            for j in 0..n {
                let v = noise_sq(&f, &[i, j], &x);
                with += v;
                if i < j {
                    without += v;
                }
            }
        }
        with /= (n * n) as f64;
        without /= (n * (n - 1) / 2) as f64;
        let tol = 1e-10 * sigma2.max(1e-300);
        prop_assert!((with - sigma2 / 2.0).abs() <= tol, "{with} vs {}", sigma2 / 2.0);
        let fpc = sigma2 * (n - 2) as f64 / (2.0 * (n - 1) as f64);
        prop_assert!((without - fpc).abs() <= tol, "{without} vs {fpc}");
    }
    // ANCHOR_END: exact_enumeration

    /// The full batch (b = N) has no noise.
    #[test]
    fn lemma_2_1_full_batch_has_zero_noise(seed in 0u64..1000, n in 2usize..40) {
        let f = LeastSquares::gaussian(n, 3, &mut Seed(seed).stream("data")).unwrap();
        let x = DVector::from_vec(vec![0.5, -1.0, 2.0]);
        let all: Vec<usize> = (0..n).collect();
        prop_assert!(noise_sq(&f, &all, &x) < 1e-24 * f.gradient(&x).norm_squared().max(1.0));
    }

    /// Backpropagation of a tanh MLP (optionally residual) matches central differences
    /// at random parameters, for every loss.
    #[test]
    fn mlp_tanh_gradient_matches_central_difference(
        seed in 0u64..1000, width in 1usize..8, depth in 1usize..3, residual: bool, loss in 0usize..3
    ) {
        let data = Classification2d::two_spirals(9, 1.0, 0.1, &mut Seed(seed).stream("data")).unwrap();
        let loss = [MlpLoss::MeanSquared, MlpLoss::Logistic, MlpLoss::CrossEntropy][loss];
        let hidden = vec![width; depth];
        let net = Mlp::classifier(data.features().clone(), data.labels(), 2, &hidden, Activation::Tanh, loss)
            .unwrap()
            .with_residual(residual);
        let theta = net.init_parameters(&mut Seed(seed).stream("init")) * 2.0;
        let g = net.gradient(&theta);
        let fd = finite_difference_gradient(&net, &theta, 1e-6);
        prop_assert!((&g - &fd).norm() <= 1e-7 * g.norm().max(1.0), "‖∇ − FD‖ = {:e}", (&g - &fd).norm());
        // The mini-batch gradient is the mean of the per-sample gradients.
        let batch = [0usize, 3, 3, 8];
        let mean = batch.iter().map(|&i| net.sample_gradient(i, &theta)).fold(DVector::zeros(g.len()), |a, b| a + b) / 4.0;
        prop_assert!((net.minibatch_gradient(&batch, &theta) - mean).norm() <= 1e-13 * g.norm().max(1.0));
    }
}

#[test]
fn mlp_value_is_the_mean_of_per_sample_losses_by_hand() {
    // 1 → 1 → 1 tanh network with θ = (w₀, b₀, w₁, b₁) = (2, −1, 3, 0.5), squared loss:
    // o = 3·tanh(2x − 1) + 0.5; at x = 1, y = 0: ℓ = ½(3 tanh 1 + 0.5)².
    let x = Matrix::from_row_slice(1, 1, &[1.0]);
    let y = Matrix::from_row_slice(1, 1, &[0.0]);
    let net = Mlp::new(vec![1, 1, 1], Activation::Tanh, MlpLoss::MeanSquared, x, y).unwrap();
    let theta = DVector::from_vec(vec![2.0, -1.0, 3.0, 0.5]);
    let o = 3.0 * 1f64.tanh() + 0.5;
    assert!((net.value(&theta) - 0.5 * o * o).abs() < 1e-14);
    // ∂ℓ/∂w₁ = o·tanh(1), ∂ℓ/∂w₀ = o·3·(1 − tanh²1)·x.
    let g = net.gradient(&theta);
    let t = 1f64.tanh();
    assert!((g[2] - o * t).abs() < 1e-14);
    assert!((g[0] - o * 3.0 * (1.0 - t * t)).abs() < 1e-14);
}

#[test]
fn mlp_relu_derivative_at_the_kink_is_zero() {
    // PyTorch convention, documented on `Activation::Relu`.
    assert!(Activation::Relu.derivative(0.0).abs() < f64::EPSILON);
    assert!((Activation::Relu.derivative(1e-300) - 1.0).abs() < f64::EPSILON);
}
