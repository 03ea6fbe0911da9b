//! Whole models on igo's ops against the same models on candle's reference ops
//! (`ops::set_implementation`, process-wide: this file holds a single test so that
//! nothing runs concurrently with the switch).

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use candle_core::{DType, Device, Tensor};
use experiments::models::{Architecture, Model};
use experiments::ops::{set_implementation, Implementation};
use numerics::Seed;
use rand::Rng;

/// Loss, logits and every parameter gradient of one train-mode step, and the running
/// statistics after it.
fn step(arch: &str, implementation: Implementation) -> Vec<(String, Vec<f64>)> {
    set_implementation(implementation);
    let arch: Architecture = arch.parse().unwrap();
    let model = Model::new(&arch, (3, 12, 12), 5, DType::F64, &Device::Cpu, Seed(3)).unwrap();
    let mut rng = Seed(4).stream("ops-models");
    let x: Vec<f64> = (0..6 * 3 * 12 * 12)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let x = Tensor::from_vec(x, (6, 3, 12, 12), &Device::Cpu).unwrap();
    let y = Tensor::from_vec(vec![0u32, 1, 2, 3, 4, 0], 6, &Device::Cpu).unwrap();
    let logits = model.forward_t(&x, true).unwrap();
    let loss = candle_nn::loss::cross_entropy(&logits, &y).unwrap();
    let grads = loss.backward().unwrap();
    let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f64>().unwrap();
    let mut out = vec![("logits".to_string(), flat(&logits))];
    for (name, var) in model.parameters() {
        out.push((format!("∂{name}"), flat(grads.get(&var).unwrap())));
    }
    for (name, var) in model.buffers() {
        out.push((name, flat(var.as_tensor())));
    }
    set_implementation(Implementation::Igo);
    out
}

#[test]
fn resnets_on_igo_ops_match_resnets_on_candle_ops() {
    for arch in ["resnet8-w16", "resnet18", "wrn-10-2"] {
        let fast = step(arch, Implementation::Igo);
        let reference = step(arch, Implementation::Candle);
        assert_eq!(fast.len(), reference.len());
        for ((name, a), (_, b)) in fast.iter().zip(&reference) {
            let scale = b.iter().fold(1e-12_f64, |m, v| m.max(v.abs()));
            let d = a
                .iter()
                .zip(b)
                .fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()));
            assert!(
                d <= 1e-9 * scale.max(1.0),
                "{arch} {name}: max diff {d:e} (scale {scale:e})"
            );
        }
    }
}
