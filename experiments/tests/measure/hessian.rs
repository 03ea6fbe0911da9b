//! λ_max by Lanczos and the Hutchinson trace on the HVP operator, against dense
//! Hessians: an independent finite-difference Hessian (tiny tanh MLP) and the closed-form
//! Hessian of multinomial logistic regression on the embedded digits.

use super::support::{self, TanhMlp};
use candle_core::{DType, Device};
use experiments::data::digits;
use experiments::measure::hessian::{hessian_spectrum, spectrum_of, HessianOptions};
use experiments::measure::hvp::Hvp;
use experiments::measure::{fixed_batches, worker};
use experiments::models::{Architecture, Model};
use numerics::objective::{Activation, Mlp, MlpLoss, Objective};
use numerics::spectrum::SymmetricSpectrum;
use numerics::{Matrix, Seed};

#[test]
fn lanczos_and_hutchinson_on_a_tiny_mlp_match_its_dense_hessian() {
    let widths = (3, 4, 3);
    let (x, labels) = support::gaussian_data(20, 3, 3, 11);
    let net = Mlp::classifier(
        x.clone(),
        &labels,
        3,
        &[4],
        Activation::Tanh,
        MlpLoss::CrossEntropy,
    )
    .unwrap();
    let theta = net.init_parameters(&mut Seed(5).stream("init")) * 2.0;
    let reference = support::finite_difference_hessian(|t| net.gradient(t), &theta, 1e-3);
    let dense = SymmetricSpectrum::new(&reference).unwrap();
    let mut values: Vec<f64> = dense.values().iter().copied().collect();
    values.sort_by(|a, b| b.total_cmp(a));
    let trace = reference.trace();
    let report = worker::run(move || {
        let hvp = Hvp::new(TanhMlp::new(widths, &theta, &x, &labels, 10)).unwrap();
        let options = HessianOptions {
            top_k: 3,
            lanczos_steps: 31,
            tolerance: 1e-10,
            hutchinson_probes: 400,
            seed: Seed(2),
            ..HessianOptions::default()
        };
        spectrum_of(&hvp, &options, 20).unwrap()
    })
    .unwrap();
    println!(
        "dense top-3 {:?}, Lanczos {:?}; trace {trace:.6} vs Hutchinson {:?}",
        &values[..3],
        report.eigenvalues,
        report.trace
    );
    for (l, d) in report.eigenvalues.iter().zip(&values) {
        assert!((l - d).abs() < 1e-10 * values[0].abs(), "{l} vs {d}");
    }
    let t = report.trace.unwrap();
    assert_eq!(t.probes, 400);
    assert!(t.std_error > 0.0);
    assert!(
        (t.mean - trace).abs() < 4.0 * t.std_error,
        "trace {trace} vs {t:?}"
    );
}

/// Multinomial logistic regression on 256 digits (d = 650): λ_max and top-3 from
/// `hessian_spectrum` on the model equal the eigenvalues of the closed-form Hessian
/// H = (1/n)Σ Jᵢᵀ(diag p − ppᵀ)Jᵢ, and the model's variables are untouched.
#[test]
fn hessian_spectrum_of_logistic_regression_on_digits_matches_the_closed_form() {
    let split = digits::split().unwrap();
    let batches = fixed_batches(
        &split.train,
        &split.normalization,
        256,
        128,
        &Device::Cpu,
        DType::F64,
    )
    .unwrap();
    let model = Model::new(
        &Architecture::Logistic,
        (1, 8, 8),
        10,
        DType::F64,
        &Device::Cpu,
        Seed(1),
    )
    .unwrap();
    // Move away from the near-uniform initial predictions.
    for (_, v) in model.parameters() {
        v.set(&v.as_tensor().affine(8.0, 0.0).unwrap()).unwrap();
    }
    let before = support::variable_bits(&model);
    let options = HessianOptions {
        top_k: 3,
        lanczos_steps: 60,
        tolerance: 1e-9,
        ..HessianOptions::default()
    };
    let report = hessian_spectrum(&model, &batches, &options).unwrap();
    assert_eq!(support::variable_bits(&model), before);
    // Closed form.
    let (w, b) = support::logistic_weights(&model);
    let mut rows = Vec::new();
    for batch in &batches {
        let flat = batch
            .images
            .flatten_from(1)
            .unwrap()
            .to_vec2::<f64>()
            .unwrap();
        rows.extend(flat);
    }
    let x = Matrix::from_fn(rows.len(), 64, |i, j| rows[i][j]);
    let hessians = support::logistic_hessians(&x, &w, &b);
    let h = hessians
        .iter()
        .fold(Matrix::zeros(650, 650), |acc, m| acc + m)
        / hessians.len() as f64;
    let dense = SymmetricSpectrum::new(&h).unwrap();
    let mut values: Vec<f64> = dense.values().iter().copied().collect();
    values.sort_by(|a, b| b.total_cmp(a));
    println!(
        "logistic on digits: closed-form top-3 {:?}, Lanczos {:?} in {} steps, {:.2} s",
        &values[..3],
        report.eigenvalues,
        report.lanczos_steps,
        report.seconds
    );
    assert_eq!((report.parameters, report.examples), (650, 256));
    for (l, d) in report.eigenvalues.iter().zip(&values) {
        assert!((l - d).abs() < 1e-6 * values[0], "{l} vs {d}");
    }
}

#[test]
fn hessian_options_are_validated_with_the_key() {
    let bad = HessianOptions {
        hutchinson_probes: 1,
        ..HessianOptions::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(experiments::ExperimentError::Config { key, .. }) if key == "hutchinson_probes"
    ));
    let bad = HessianOptions {
        top_k: 4,
        lanczos_steps: 3,
        ..HessianOptions::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(experiments::ExperimentError::Config { key, .. }) if key == "lanczos_steps"
    ));
}
