//! Wu et al.'s sharpness, non-uniformity and stability verdict on multinomial logistic
//! regression, where the per-example Hessians are closed-form.

use super::support;
use candle_core::DType;
use experiments::measure::hvp::{Hvp, ModelLoss};
use experiments::measure::wu::{
    per_sample_hessians, wu_quantities, Stability, StabilityQuery, WuOptions,
};
use experiments::measure::{single_examples, worker, BatchNormMode};
use experiments::models::Architecture;
use numerics::spectrum::{lambda_max, MeanSquareStability};
use numerics::Matrix;
use std::sync::Arc;

#[test]
fn wu_quantities_of_logistic_regression_match_closed_form_per_sample_hessians() {
    let (d, k, n) = (3, 3, 16);
    let (x, y) = support::gaussian_data(n, d, k, 41);
    let batches = support::batches(&x, &y, 4, DType::F64);
    let model = support::model(&Architecture::Logistic, d, k, DType::F64, 6);
    for (_, v) in model.parameters() {
        v.set(&v.as_tensor().affine(3.0, 0.0).unwrap()).unwrap();
    }
    let (w, b) = support::logistic_weights(&model);
    let hessians = support::logistic_hessians(&x, &w, &b);
    let dim = k + k * d;
    assert_eq!(model.parameter_count(), dim);

    // Per-example HVP matrices equal the closed form.
    let computed = {
        let (m, bs) = (
            Arc::new(experiments::measure::ModelSnapshot::of(&model).unwrap()),
            batches.clone(),
        );
        worker::run(move || {
            let copy = Arc::new(m.build(None).unwrap());
            let samples = Hvp::new(
                ModelLoss::new(copy, &single_examples(&bs).unwrap(), BatchNormMode::Eval).unwrap(),
            )
            .unwrap();
            per_sample_hessians(&samples).unwrap()
        })
        .unwrap()
    };
    for (c, h) in computed.iter().zip(&hessians) {
        assert!(support::relative_max_error(c, h) < 1e-12);
    }

    let mean = hessians.iter().fold(Matrix::zeros(dim, dim), |a, h| a + h) / n as f64;
    let a = lambda_max(&mean).unwrap();
    // η = 0.05/a: small steps, stable; η = 3/a: beyond 2/a, (1 − ηa)² = 4 > 1; η = 1/a:
    // unstable through the noise term (exact ρ(T) ≈ 1.36), which neither bound proves here.
    let cases = [
        (0.05 / a, Some(Stability::Stable)),
        (1.0 / a, None),
        (3.0 / a, Some(Stability::Unstable)),
    ];
    for (eta, expected) in cases {
        let batch_size = 2;
        let options = WuOptions {
            lanczos_steps: dim,
            tolerance: 1e-10,
            stability: Some(StabilityQuery {
                learning_rate: eta,
                batch_size,
                population: n,
            }),
            ..WuOptions::default()
        };
        let report = wu_quantities(&model, &batches, &options).unwrap();
        let exact = MeanSquareStability::new(hessians.clone(), batch_size, eta).unwrap();
        let s = lambda_max(&exact.hessian_covariance())
            .unwrap()
            .max(0.0)
            .sqrt();
        let wu = exact.wu_criterion().unwrap();
        let rho = exact.spectral_radius().unwrap();
        let st = report.stability.clone().unwrap();
        println!(
            "η a = {:.2}: a {:.6} ({a:.6}), s {:.6} ({s:.6}), Wu {:.6} ({wu:.6}), lower bound {:.6}, ρ(T) {rho:.6}, verdict {:?}",
            eta * a,
            report.sharpness,
            report.non_uniformity,
            st.criterion,
            st.lower_bound,
            st.verdict
        );
        assert!((report.sharpness - a).abs() < 1e-9 * a);
        assert!((report.non_uniformity - s).abs() < 1e-7 * s.max(1e-3));
        assert!((st.criterion - wu).abs() < 1e-9 * wu);
        // The verdict is consistent with the exact spectral radius of T.
        assert!(st.lower_bound <= rho + 1e-9 && rho <= st.criterion + 1e-9);
        match st.verdict {
            Stability::Stable => assert!(rho <= 1.0 + 1e-9),
            Stability::Unstable => assert!(rho > 1.0),
            Stability::Undetermined => assert!(st.lower_bound <= 1.0 + 1e-9 && st.criterion > 1.0),
        }
        if let Some(expected) = expected {
            assert_eq!(st.verdict, expected);
        }
        assert_eq!(report.samples, n);
    }
}

#[test]
fn wu_rejects_a_batch_larger_than_the_population() {
    let (x, y) = support::gaussian_data(4, 2, 2, 1);
    let batches = support::batches(&x, &y, 4, DType::F64);
    let model = support::model(&Architecture::Logistic, 2, 2, DType::F64, 1);
    let options = WuOptions {
        stability: Some(StabilityQuery {
            learning_rate: 0.1,
            batch_size: 5,
            population: 4,
        }),
        ..WuOptions::default()
    };
    assert!(matches!(
        wu_quantities(&model, &batches, &options),
        Err(experiments::ExperimentError::Config { key, .. }) if key == "stability.batch_size"
    ));
}
