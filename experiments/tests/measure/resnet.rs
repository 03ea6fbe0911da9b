//! Exact HVPs through convolutions and batch norm: ResNet-8 (width 4) on 8×8 digits, f64.

use super::support;
use candle_core::{DType, Device, Tensor};
use experiments::data::digits;
use experiments::measure::checkpoint::{measure_checkpoint, CheckpointOptions, NoiseOptions};
use experiments::measure::hessian::HessianOptions;
use experiments::measure::hvp::{Hvp, ModelLoss, ParameterLayout};
use experiments::measure::sharpness::SharpnessOptions;
use experiments::measure::wu::WuOptions;
use experiments::measure::{fixed_batches, worker, BatchNormMode};
use experiments::models::{Architecture, Model};
use numerics::{Seed, Vector};
use rand_distr::{Distribution, StandardNormal};
use std::sync::Arc;

fn resnet() -> Model {
    let arch: Architecture = "resnet8-w4".parse().unwrap();
    let model = Model::new(&arch, (1, 8, 8), 10, DType::F64, &Device::Cpu, Seed(2)).unwrap();
    // Running statistics away from their initial (0, 1), as after training.
    for (name, var) in model.buffers() {
        let shift = if name.ends_with("running_mean") {
            0.1
        } else {
            0.5
        };
        var.set(&var.as_tensor().affine(1.5, shift).unwrap())
            .unwrap();
    }
    model
}

fn random(d: usize, stream: &str) -> Vector {
    let mut rng = Seed(9).stream(stream);
    Vector::from_fn(d, |_, _| StandardNormal.sample(&mut rng))
}

/// Symmetry uᵀ(Hv) = vᵀ(Hu), exact micro-batching in eval mode, and train-mode batch
/// norm per micro-batch with the running statistics restored bit for bit (a plain
/// training-mode forward pass does change them, so the check can fail).
#[test]
fn resnet_hvp_is_symmetric_micro_batches_are_exact_in_eval_mode_and_buffers_are_restored() {
    let split = digits::split().unwrap();
    let batches = fixed_batches(
        &split.train,
        &split.normalization,
        32,
        32,
        &Device::Cpu,
        DType::F64,
    )
    .unwrap();
    let small = fixed_batches(
        &split.train,
        &split.normalization,
        32,
        8,
        &Device::Cpu,
        DType::F64,
    )
    .unwrap();
    let model = Arc::new(resnet());
    let before = support::variable_bits(&model);
    let d = model.parameter_count();
    let (u, v) = (random(d, "u"), random(d, "v"));
    let (m, uu, vv, first) = (
        Arc::clone(&model),
        u.clone(),
        v.clone(),
        small[0].images.clone(),
    );
    let (hu, hv, hv_small, hv_train, hv_train_small) = worker::run(move || {
        let (u, v) = (uu, vv);
        let eval = Hvp::new(ModelLoss::new(Arc::clone(&m), &batches, BatchNormMode::Eval).unwrap())
            .unwrap();
        let eval_small =
            Hvp::new(ModelLoss::new(Arc::clone(&m), &small, BatchNormMode::Eval).unwrap()).unwrap();
        let train = Hvp::new(
            ModelLoss::new(Arc::clone(&m), &batches, BatchNormMode::TrainPerMicroBatch).unwrap(),
        )
        .unwrap();
        let train_small = Hvp::new(
            ModelLoss::new(Arc::clone(&m), &small, BatchNormMode::TrainPerMicroBatch).unwrap(),
        )
        .unwrap();
        (
            eval.product(&u).unwrap(),
            eval.product(&v).unwrap(),
            eval_small.product(&v).unwrap(),
            train.product(&v).unwrap(),
            train_small.product(&v).unwrap(),
        )
    })
    .unwrap();
    assert_eq!(
        support::variable_bits(&model),
        before,
        "buffers or weights changed"
    );
    let (a, b) = (u.dot(&hv), v.dot(&hu));
    println!("ResNet-8-w4 d = {d}: uᵀHv = {a:.15e}, vᵀHu = {b:.15e}");
    assert!((a - b).abs() < 1e-12 * a.abs().max(b.abs()), "{a} vs {b}");
    assert!(
        (&hv - &hv_small).amax() < 1e-12 * hv.amax(),
        "eval-mode micro-batching"
    );
    // Train-mode batch norm: another loss (batch statistics), and per micro-batch another one again.
    assert!((&hv - &hv_train).amax() > 1e-3 * hv.amax());
    assert!((&hv_train - &hv_train_small).amax() > 1e-3 * hv_train.amax());
    // A training-mode forward pass outside the measurement does move the statistics.
    model.forward_t(&first, true).unwrap();
    assert_ne!(support::variable_bits(&model), before);
}

/// Central differences of gradients agree with the exact product while w ± εv crosses
/// no ReLU kink; for this seed and ε = 1e−6 it crosses none (a crossing would show as an
/// error of order one, see the MLP test).
#[test]
fn resnet_hvp_matches_a_small_step_finite_difference() {
    let split = digits::split().unwrap();
    let batches = fixed_batches(
        &split.train,
        &split.normalization,
        16,
        16,
        &Device::Cpu,
        DType::F64,
    )
    .unwrap();
    let model = Arc::new(resnet());
    let d = model.parameter_count();
    let v = random(d, "fd").normalize();
    let (m, b, vv) = (Arc::clone(&model), batches.clone(), v.clone());
    let (exact, w) = worker::run(move || {
        let hvp = Hvp::new(ModelLoss::new(m, &b, BatchNormMode::Eval).unwrap()).unwrap();
        (hvp.product(&vv).unwrap(), hvp.point().unwrap())
    })
    .unwrap();
    let params: Vec<_> = model.parameters().into_iter().map(|(_, p)| p).collect();
    let layout = ParameterLayout::of(&params).unwrap();
    let gradient = |theta: &Vector| -> Vector {
        for (p, t) in params.iter().zip(layout.split(theta).unwrap()) {
            p.set(&t).unwrap();
        }
        let logits = model.forward_t(&batches[0].images, false).unwrap();
        let loss = candle_nn::loss::cross_entropy(&logits, &batches[0].labels).unwrap();
        let grads = loss.backward().unwrap();
        let g: Vec<Option<Tensor>> = params
            .iter()
            .map(|p| grads.get(p.as_tensor()).cloned())
            .collect();
        layout.join(&g).unwrap()
    };
    let eps = 1e-6;
    let fd = (gradient(&(&w + &v * eps)) - gradient(&(&w - &v * eps))) / (2.0 * eps);
    gradient(&w);
    let rel = (&fd - &exact).norm() / exact.norm();
    println!("ResNet-8-w4: ‖FD(ε = 1e−6) − Hv‖/‖Hv‖ = {rel:.2e}");
    assert!(rel < 1e-6, "{rel:e}");
}

/// Every measure (C² with the micro-batch estimator, sharpness, Hessian in both
/// batch-norm modes, Wu) leaves a batch-norm model exactly as it was.
#[test]
fn measures_leave_a_batch_norm_model_unchanged() {
    let split = digits::split().unwrap();
    let model = resnet();
    let before = support::variable_bits(&model);
    for mode in [BatchNormMode::Eval, BatchNormMode::TrainPerMicroBatch] {
        let options = CheckpointOptions {
            examples: 64,
            batch: 32,
            hessian_batch: Some(16),
            noise: Some(NoiseOptions {
                examples: 64,
                ..NoiseOptions::default()
            }),
            sharpness: Some(SharpnessOptions::default()),
            hessian: Some(HessianOptions {
                top_k: 1,
                lanczos_steps: 5,
                hutchinson_probes: 2,
                batch_norm: mode,
                ..HessianOptions::default()
            }),
            wu: Some(WuOptions {
                lanczos_steps: 3,
                ..WuOptions::default()
            }),
            wu_examples: 4,
        };
        let m = measure_checkpoint(&model, &split.train, &split.normalization, &options).unwrap();
        assert_eq!(m.examples, 64);
        assert!(m.noise.unwrap().c2 > 0.0);
        assert!(m.sharpness.unwrap().sharpness >= 0.0);
        assert!(m.hessian.unwrap().lambda_max().is_finite());
        assert_eq!(m.wu.unwrap().samples, 4);
        assert_eq!(support::variable_bits(&model), before);
    }
}
