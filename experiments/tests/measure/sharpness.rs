//! Worst-case ℓ∞ sharpness against exhaustive maximisation, the first-order estimate,
//! random feasible perturbations, and the rescaling invariance of adaptive sharpness.

use super::support;
use candle_core::DType;
use experiments::data::Batch;
use experiments::measure::hvp::ParameterLayout;
use experiments::measure::sharpness::{checkpoints, worst_case_sharpness, SharpnessOptions};
use experiments::models::{Architecture, Model};
use numerics::{Seed, Vector};
use rand::Rng as _;

/// The checkpoint lists printed by the authors' Python code (`eval_APGD_sharpness`,
/// `version='default'`) for n_iters = 10, 20, 100.
#[test]
fn checkpoints_match_the_reference_python_lists() {
    assert_eq!(checkpoints(20), vec![5, 9, 12, 15, 16, 18, 19, 20]);
    assert_eq!(checkpoints(10), vec![3, 5, 6, 8, 8]);
    assert_eq!(checkpoints(100), vec![22, 41, 58, 70, 80, 87, 93, 99, 105]);
}

struct Probe<'a> {
    model: &'a Model,
    layout: ParameterLayout,
    params: Vec<candle_core::Var>,
}

impl<'a> Probe<'a> {
    fn new(model: &'a Model) -> Self {
        let params: Vec<_> = model.parameters().into_iter().map(|(_, p)| p).collect();
        Self {
            model,
            layout: ParameterLayout::of(&params).unwrap(),
            params,
        }
    }
    fn point(&self) -> Vector {
        self.layout.flatten(&self.params).unwrap()
    }
    fn loss_at(&self, theta: &Vector, batch: &Batch) -> f64 {
        for (p, t) in self.params.iter().zip(self.layout.split(theta).unwrap()) {
            p.set(&t).unwrap();
        }
        let logits = self.model.forward_t(&batch.images, false).unwrap();
        candle_nn::loss::cross_entropy(&logits, &batch.labels)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
    }
    fn gradient_at(&self, theta: &Vector, batch: &Batch) -> Vector {
        self.loss_at(theta, batch);
        let logits = self.model.forward_t(&batch.images, false).unwrap();
        let loss = candle_nn::loss::cross_entropy(&logits, &batch.labels).unwrap();
        let grads = loss.backward().unwrap();
        let g: Vec<_> = self
            .params
            .iter()
            .map(|p| grads.get(p.as_tensor()).cloned())
            .collect();
        self.layout.join(&g).unwrap()
    }
}

/// Multinomial logistic regression is convex in w, so the maximum over the ℓ∞ box is at
/// one of its 2^d vertices: with d = 8, the exhaustive maximum over all 256 vertices is
/// the exact worst case. APGD must reach it from below (to 1e−5: its iterates approach
/// the vertex as δₖ₊₁ − ρs = (δₖ₋₁ − ρs)/4, about 1e−6 after 20 steps), exceed the loss at random
/// feasible perturbations, and agree with the first-order value ρ‖c ⊙ ∇L_S‖₁.
#[test]
fn sharpness_of_a_convex_model_equals_the_exhaustive_vertex_maximum() {
    let (x, y) = support::gaussian_data(32, 3, 2, 21);
    let batches = support::batches(&x, &y, 16, DType::F64);
    let model = support::model(&Architecture::Logistic, 3, 2, DType::F64, 3);
    let before = support::variable_bits(&model);
    let probe = Probe::new(&model);
    let w0 = probe.point();
    assert_eq!(w0.len(), 8);
    let mut rng = Seed(4).stream("random-delta");
    for adaptive in [false, true] {
        for rho in [2e-4, 0.05] {
            let options = SharpnessOptions {
                rho,
                adaptive,
                ..SharpnessOptions::default()
            };
            let report = worst_case_sharpness(&model, &batches, &options).unwrap();
            assert_eq!(
                support::variable_bits(&model),
                before,
                "parameters restored"
            );
            let c = if adaptive {
                w0.abs()
            } else {
                Vector::from_element(8, 1.0)
            };
            let mut expected = 0.0;
            let mut first_order = 0.0;
            for (batch, measured) in batches.iter().zip(&report.batches) {
                let clean = probe.loss_at(&w0, batch);
                let mut best = f64::NEG_INFINITY;
                for mask in 0..256_u32 {
                    let s = Vector::from_fn(8, |i, _| if mask >> i & 1 == 1 { 1.0 } else { -1.0 });
                    best = best.max(probe.loss_at(&(&w0 + c.component_mul(&s) * rho), batch));
                }
                for _ in 0..200 {
                    let u = Vector::from_fn(8, |_, _| rng.random_range(-1.0..=1.0));
                    let random = probe.loss_at(&(&w0 + c.component_mul(&u) * rho), batch);
                    assert!(
                        measured.worst_loss >= random,
                        "random feasible δ beats APGD"
                    );
                }
                assert!((measured.clean_loss - clean).abs() < 1e-14);
                let gap = best - measured.worst_loss;
                assert!(
                    gap >= -1e-14 && gap <= 1e-5 * (best - clean),
                    "adaptive {adaptive} ρ {rho}: vertex maximum {best}, APGD {} (clean {clean})",
                    measured.worst_loss
                );
                expected += best - clean;
                first_order += rho * probe.gradient_at(&w0, batch).component_mul(&c).abs().sum();
            }
            expected /= batches.len() as f64;
            first_order /= batches.len() as f64;
            probe.loss_at(&w0, &batches[0]);
            println!(
                "adaptive {adaptive}, ρ {rho}: sharpness {:.6e}, vertex maximum {expected:.6e}, ρ‖c∇L‖₁ {first_order:.6e}",
                report.sharpness
            );
            assert!((report.sharpness - expected).abs() <= 1e-5 * expected);
            if rho < 1e-3 {
                assert!((report.sharpness - first_order).abs() < 1e-2 * first_order);
            }
        }
    }
}

/// On a BN-free ReLU network, scaling the first layer by α and the output weights by
/// 1/α leaves the function unchanged. Adaptive sharpness (box ρ|w|) is invariant under
/// this rescaling; the plain ℓ∞ box is not.
#[test]
fn adaptive_sharpness_is_invariant_to_a_function_preserving_rescaling() {
    let (x, y) = support::gaussian_data(32, 4, 3, 31);
    let batches = support::batches(&x, &y, 16, DType::F64);
    let architecture = Architecture::Mlp { hidden: vec![8] };
    let a = support::model(&architecture, 4, 3, DType::F64, 5);
    let b = support::model(&architecture, 4, 3, DType::F64, 5);
    let alpha = 4.0;
    for (name, var) in b.variables() {
        let factor = match name.as_str() {
            "layers.0.weight" | "layers.0.bias" => alpha,
            "linear.weight" => 1.0 / alpha,
            _ => 1.0,
        };
        var.set(&var.as_tensor().affine(factor, 0.0).unwrap())
            .unwrap();
    }
    let la = a.forward_t(&batches[0].images, false).unwrap();
    let lb = b.forward_t(&batches[0].images, false).unwrap();
    let diff = (la - lb)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f64>()
        .unwrap();
    assert!(
        diff < 1e-13,
        "rescaled network computes another function: {diff}"
    );
    let run = |model: &Model, adaptive: bool| {
        let options = SharpnessOptions {
            rho: 0.01,
            adaptive,
            ..SharpnessOptions::default()
        };
        worst_case_sharpness(model, &batches, &options)
            .unwrap()
            .sharpness
    };
    let (adaptive_a, adaptive_b) = (run(&a, true), run(&b, true));
    let (plain_a, plain_b) = (run(&a, false), run(&b, false));
    println!(
        "adaptive: {adaptive_a:.6e} vs {adaptive_b:.6e}; plain: {plain_a:.6e} vs {plain_b:.6e}"
    );
    assert!((adaptive_a - adaptive_b).abs() <= 1e-9 * adaptive_a);
    assert!((plain_a - plain_b).abs() > 0.05 * plain_a.max(plain_b));
}

#[test]
fn sharpness_options_are_validated_with_the_key() {
    let bad = SharpnessOptions {
        rho: 0.0,
        ..SharpnessOptions::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(experiments::ExperimentError::Config { key, .. }) if key == "rho"
    ));
    let model = support::model(&Architecture::Logistic, 3, 2, DType::F64, 3);
    assert!(worst_case_sharpness(&model, &[], &SharpnessOptions::default()).is_err());
}
