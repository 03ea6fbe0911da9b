//! Exact HVPs against independent Hessians.

use super::support::{self, TanhMlp};
use candle_core::{DType, Module, Tensor};
use experiments::measure::hvp::{dense_hessian, Hvp, LossTerms, ModelLoss};
use experiments::measure::{worker, BatchNormMode};
use experiments::models::Architecture;
use numerics::objective::{Activation, Mlp, MlpLoss, Objective};
use numerics::{Matrix, Seed, Vector};
use rand_distr::{Distribution, StandardNormal};
use std::sync::Arc;

const WIDTHS: (usize, usize, usize) = (3, 4, 3); // d = 3·4 + 4 + 4·3 + 3 = 31

fn tanh_problem() -> (Mlp, Vector, Matrix, Vec<usize>) {
    let (x, labels) = support::gaussian_data(20, WIDTHS.0, WIDTHS.2, 11);
    let net = Mlp::classifier(
        x.clone(),
        &labels,
        WIDTHS.2,
        &[WIDTHS.1],
        Activation::Tanh,
        MlpLoss::CrossEntropy,
    )
    .unwrap();
    let theta = net.init_parameters(&mut Seed(5).stream("init")) * 2.0;
    (net, theta, x, labels)
}

/// (b) + (c): the HVP matrix [H e₁ … H e_d] of the candle tanh MLP (micro-batches of 7, 7,
/// 6) equals the Hessian of numerics' independent hand-written MLP, obtained by central
/// differences (ε = 1e−3 and 5e−4 with a Richardson step, f64) of its exact
/// back-propagated gradient, and is symmetric.
#[test]
fn hvp_matrix_of_a_tanh_mlp_equals_an_independent_dense_hessian() {
    let (net, theta, x, labels) = tanh_problem();
    let reference = support::finite_difference_hessian(|t| net.gradient(t), &theta, 1e-3);
    let th = theta.clone();
    let (value, gradient, (dense, asymmetry)) = worker::run(move || {
        let hvp = Hvp::new(TanhMlp::new(WIDTHS, &th, &x, &labels, 7)).unwrap();
        assert_eq!(hvp.loss().len(), 3);
        (
            hvp.value().unwrap(),
            hvp.gradient().unwrap(),
            dense_hessian(&hvp).unwrap(),
        )
    })
    .unwrap();
    assert_eq!(dense.nrows(), 31);
    // Same function and layout: loss and gradient agree to rounding.
    assert!(
        (value - net.value(&theta)).abs() < 1e-13,
        "{value} vs {}",
        net.value(&theta)
    );
    assert!((&gradient - net.gradient(&theta)).amax() < 1e-13);
    let err = support::relative_max_error(&dense, &reference);
    println!(
        "tanh MLP d = 31: max |H_hvp − H_fd| / max |H_fd| = {err:.2e}, asymmetry {asymmetry:.2e}"
    );
    assert!(
        err < 1e-10,
        "HVP matrix vs finite-difference Hessian: {err:e}"
    );
    assert!(
        asymmetry <= 1e-14 * dense.abs().max(),
        "asymmetry {asymmetry:e}"
    );
}

/// Micro-batching: H·v of the mean loss over n examples is the weighted mean of the
/// micro-batch products, whatever the split.
#[test]
fn micro_batch_products_add_up_to_the_full_batch_product() {
    let (_, theta, x, labels) = tanh_problem();
    let (whole, split) = worker::run(move || {
        let v = Vector::from_fn(31, |i, _| (i as f64 * 0.37).sin());
        let one = Hvp::new(TanhMlp::new(WIDTHS, &theta, &x, &labels, 20)).unwrap();
        let many = Hvp::new(TanhMlp::new(WIDTHS, &theta, &x, &labels, 3)).unwrap();
        assert_eq!(many.loss().len(), 7);
        (one.product(&v).unwrap(), many.product(&v).unwrap())
    })
    .unwrap();
    assert!((&whole - &split).amax() < 1e-14 * whole.amax().max(1.0));
}

/// The same model in f32 gives the f64 products to f32 accuracy.
#[test]
fn f32_products_agree_with_f64() {
    let (x, y) = support::gaussian_data(32, 5, 3, 2);
    let (a, b) = worker::run(move || {
        let m64 = support::model(&Architecture::Mlp { hidden: vec![6] }, 5, 3, DType::F64, 4);
        let snapshot = experiments::measure::ModelSnapshot::of(&m64).unwrap();
        let m32 = snapshot.build(Some(DType::F32)).unwrap();
        let v = Vector::from_fn(m64.parameter_count(), |i, _| ((i * 7 % 11) as f64) - 5.0);
        let h64 = Hvp::new(
            ModelLoss::new(
                Arc::new(m64),
                &support::batches(&x, &y, 16, DType::F64),
                BatchNormMode::Eval,
            )
            .unwrap(),
        )
        .unwrap();
        let h32 = Hvp::new(
            ModelLoss::new(
                Arc::new(m32),
                &support::batches(&x, &y, 16, DType::F32),
                BatchNormMode::Eval,
            )
            .unwrap(),
        )
        .unwrap();
        (h64.product(&v).unwrap(), h32.product(&v).unwrap())
    })
    .unwrap();
    let rel = (&a - &b).amax() / a.amax();
    assert!(rel < 1e-5, "f32 vs f64 relative error {rel:e}");
}

/// (d) ReLU networks: the exact HVP is the Hessian of the network with its activation
/// pattern frozen; central differences of gradients agree with it only while the
/// perturbation w ± εv crosses no ReLU kink. Here a 5 → 16 → 3 ReLU MLP on 64 examples:
/// at ε = 1e−6 no pre-activation changes sign and the difference agrees to 1e−6; at
/// ε = 0.1 signs change and it does not (the relative error is printed, not bounded: a
/// finite difference across kinks is simply not a Hessian-vector product).
#[test]
fn relu_network_hvp_differs_from_finite_differences_across_kinks() {
    let (x, y) = support::gaussian_data(64, 5, 3, 8);
    let mut rng = Seed(3).stream("v");
    let model = Arc::new(support::model(
        &Architecture::Mlp { hidden: vec![16] },
        5,
        3,
        DType::F64,
        9,
    ));
    let d = model.parameter_count();
    let v = Vector::from_fn(d, |_, _| StandardNormal.sample(&mut rng)).normalize();
    let batches = support::batches(&x, &y, 64, DType::F64);
    let (exact, w) = {
        let (m, b, v) = (Arc::clone(&model), batches.clone(), v.clone());
        worker::run(move || {
            let hvp = Hvp::new(ModelLoss::new(m, &b, BatchNormMode::Eval).unwrap()).unwrap();
            (hvp.product(&v).unwrap(), hvp.point().unwrap())
        })
        .unwrap()
    };
    // First-order gradients on this (ordinary) thread.
    let params: Vec<_> = model.parameters().into_iter().map(|(_, p)| p).collect();
    let layout = experiments::measure::hvp::ParameterLayout::of(&params).unwrap();
    let set = |theta: &Vector| {
        for (p, t) in params.iter().zip(layout.split(theta).unwrap()) {
            p.set(&t).unwrap();
        }
    };
    let gradient = |theta: &Vector| -> Vector {
        set(theta);
        let logits = model.forward_t(&batches[0].images, false).unwrap();
        let loss = candle_nn::loss::cross_entropy(&logits, &batches[0].labels).unwrap();
        let grads = loss.backward().unwrap();
        let g: Vec<Option<Tensor>> = params
            .iter()
            .map(|p| grads.get(p.as_tensor()).cloned())
            .collect();
        layout.join(&g).unwrap()
    };
    let pattern = |theta: &Vector| -> Vec<bool> {
        set(theta);
        let vars = model.variables();
        let layer = candle_nn::Linear::new(
            vars["layers.0.weight"].as_tensor().clone(),
            Some(vars["layers.0.bias"].as_tensor().clone()),
        );
        let z = layer
            .forward(&batches[0].images.flatten_from(1).unwrap())
            .unwrap();
        z.flatten_all()
            .unwrap()
            .to_vec1::<f64>()
            .unwrap()
            .iter()
            .map(|&s| s > 0.0)
            .collect()
    };
    let base = pattern(&w);
    let mut report = Vec::new();
    for eps in [1e-6, 1e-1] {
        let plus = &w + &v * eps;
        let minus = &w - &v * eps;
        let fd = (gradient(&plus) - gradient(&minus)) / (2.0 * eps);
        let crossed = pattern(&plus) != base || pattern(&minus) != base;
        let rel = (&fd - &exact).norm() / exact.norm();
        report.push((eps, crossed, rel));
    }
    set(&w);
    println!(
        "ReLU MLP, exact HVP vs central difference (ε, kink crossed, relative error): {report:?}"
    );
    let (_, crossed_small, rel_small) = report[0];
    let (_, crossed_large, _) = report[1];
    assert!(!crossed_small && rel_small < 1e-6, "{report:?}");
    assert!(
        crossed_large,
        "ε = 0.1 was expected to cross a kink: {report:?}"
    );
}
