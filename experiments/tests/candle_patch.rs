//! The patched candle-core (`vendor/README.md`): gradient accumulation that stores the first
//! contribution, and float-only unary ops refused on integer tensors with an error.
//!
//! References are closed-form derivatives.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use candle_core::{DType, Device, Tensor, Var};

#[test]
fn accumulated_gradients_match_closed_forms() {
    // f(x, y) = Σ (x·x + x − y) − Σ y·y: ∂x = 2x + 1 (three contributions), ∂y = −1 − 2y
    // (its first contribution is the subtrahend's, stored negated).
    let x = Var::new(&[1.5_f64, -2.0, 0.25], &Device::Cpu).unwrap();
    let y = Var::new(&[0.5_f64, 3.0, -1.0], &Device::Cpu).unwrap();
    let (xt, yt) = (x.as_tensor(), y.as_tensor());
    let f = ((((xt * xt).unwrap() + xt).unwrap() - yt)
        .unwrap()
        .sum_all()
        .unwrap()
        - (yt * yt).unwrap().sum_all().unwrap())
    .unwrap();
    let grads = f.backward().unwrap();
    let gx: Vec<f64> = grads.get(&x).unwrap().to_vec1().unwrap();
    let gy: Vec<f64> = grads.get(&y).unwrap().to_vec1().unwrap();
    assert_eq!(gx, vec![4.0, -3.0, 1.5]);
    assert_eq!(gy, vec![-2.0, -7.0, 1.0]);
}

#[test]
fn broadcast_gradients_are_stored_contiguous() {
    // ∂/∂x Σ x = 1 arrives as a broadcast view; it is stored contiguous, as upstream's
    // zeros + grad was, because later backward steps need that: gather's backward
    // (scatter_add, e.g. in cross-entropy) refused a strided gradient.
    let x = Var::new(&[[1.0_f32, 2.0], [3.0, 4.0]], &Device::Cpu).unwrap();
    let grads = x.as_tensor().sum_all().unwrap().backward().unwrap();
    assert!(grads.get(&x).unwrap().is_contiguous());

    let ids = Tensor::new(&[[1_u32], [0]], &Device::Cpu).unwrap();
    let picked = x.as_tensor().gather(&ids, 1).unwrap();
    let grads = picked.sum_all().unwrap().backward().unwrap();
    assert_eq!(
        grads.get(&x).unwrap().to_vec2::<f32>().unwrap(),
        vec![vec![0.0, 1.0], vec![1.0, 0.0]]
    );
}

#[test]
fn float_only_unary_ops_on_integer_tensors_are_errors() {
    let t = Tensor::new(&[1_u8, 2, 3], &Device::Cpu).unwrap();
    for (name, result) in [
        ("exp", t.exp()),
        ("sqrt", t.sqrt()),
        ("neg", t.neg()),
        ("exp u32", t.to_dtype(DType::U32).unwrap().exp()),
    ] {
        let err = result.expect_err(name).to_string();
        assert!(err.contains("unsupported dtype"), "{name}: {err}");
    }
    // Ops with integer versions still work.
    assert_eq!(t.abs().unwrap().to_vec1::<u8>().unwrap(), vec![1, 2, 3]);
}
