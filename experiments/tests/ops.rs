//! igo's fast CPU ops against candle's reference ops and against finite differences.
//!
//! References: candle's own `Tensor::conv2d` and its backward (an independent
//! implementation), central finite differences in f64 (exact up to rounding for the
//! bilinear convolution), and finite differences of the gradient for Hessian-vector
//! products through two convolutions with tanh between them.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use candle_core::{DType, Device, Tensor, Var};
use experiments::measure::worker;
use experiments::ops::conv2d_igo;
use numerics::Seed;
use rand::Rng;

/// A random convolution problem: x (n, c, h, w), weight (co, c, kh, kw), padding,
/// stride, with the kernel fitting the padded input.
#[derive(Debug, Clone)]
struct Case {
    x: Vec<usize>,
    w: Vec<usize>,
    padding: usize,
    stride: usize,
}

fn cases(count: usize, seed: u64) -> Vec<Case> {
    let mut rng = Seed(seed).stream("conv-cases");
    let mut out = Vec::new();
    while out.len() < count {
        let n = rng.random_range(1..=5);
        let c = rng.random_range(1..=5);
        let (h, wd) = (rng.random_range(1..=9), rng.random_range(1..=9));
        let co = rng.random_range(1..=6);
        let (kh, kw) = (rng.random_range(1..=3), rng.random_range(1..=3));
        let padding = rng.random_range(0..=2);
        let stride = rng.random_range(1..=3);
        if h + 2 * padding >= kh && wd + 2 * padding >= kw {
            out.push(Case {
                x: vec![n, c, h, wd],
                w: vec![co, c, kh, kw],
                padding,
                stride,
            });
        }
    }
    out
}

/// Whether candle 0.11.1's own conv2d backward can handle the case: it derives the
/// transposed convolution's output padding from the height alone and applies it to both
/// axes, so it fails with a shape error when (H + 2p − k_h) mod s ≠ (W + 2p − k_w) mod s;
/// and it computes (H_out − 1)·s + k_h − 2p in unsigned arithmetic, which overflows
/// (a panic) when the padding is wider than the stride uses (e.g. H = 1, k = 3, p = 2,
/// s = 3).
fn candle_backward_supports(case: &Case) -> bool {
    let (p, s) = (case.padding, case.stride);
    let residue = |size: usize, k: usize| (size + 2 * p - k) % s;
    let out_h = (case.x[2] + 2 * p - case.w[2]) / s + 1;
    residue(case.x[2], case.w[2]) == residue(case.x[3], case.w[3])
        && (out_h - 1) * s + case.w[2] >= 2 * p
}

fn random(shape: &[usize], dtype: DType, rng: &mut impl Rng) -> Tensor {
    let len: usize = shape.iter().product();
    let v: Vec<f64> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
    Tensor::from_vec(v, shape, &Device::Cpu)
        .unwrap()
        .to_dtype(dtype)
        .unwrap()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.dims(), b.dims());
    (a.to_dtype(DType::F64).unwrap() - b.to_dtype(DType::F64).unwrap())
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f64>()
        .unwrap()
}

fn to_vec(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

#[test]
fn forward_matches_candle_on_random_shapes_strides_and_paddings() {
    let mut rng = Seed(1).stream("conv-forward");
    for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 2e-5)] {
        for case in cases(150, 2) {
            let x = random(&case.x, dtype, &mut rng);
            let w = random(&case.w, dtype, &mut rng);
            let fast = conv2d_igo(&x, &w, case.padding, case.stride).unwrap();
            let reference = x.conv2d(&w, case.padding, case.stride, 1, 1).unwrap();
            let d = max_abs_diff(&fast, &reference);
            assert!(d <= tol, "{case:?} {dtype:?}: max |igo − candle| = {d:e}");
        }
    }
}

#[test]
fn forward_accepts_non_contiguous_input() {
    let mut rng = Seed(3).stream("conv-strided");
    let x = random(&[3, 4, 6, 5], DType::F64, &mut rng);
    let xt = x.transpose(2, 3).unwrap(); // (3, 4, 5, 6), not contiguous
    let w = random(&[2, 4, 3, 3], DType::F64, &mut rng);
    let fast = conv2d_igo(&xt, &w, 1, 2).unwrap();
    let reference = xt.contiguous().unwrap().conv2d(&w, 1, 2, 1, 1).unwrap();
    assert!(max_abs_diff(&fast, &reference) <= 1e-12);
}

/// Gradients of L = Σ r ⊙ conv(x, w) with respect to x and w.
fn gradients(x: &Var, w: &Var, r: &Tensor, case: &Case, fast: bool) -> (Tensor, Tensor, f64) {
    let y = if fast {
        conv2d_igo(x.as_tensor(), w.as_tensor(), case.padding, case.stride).unwrap()
    } else {
        x.as_tensor()
            .conv2d(w.as_tensor(), case.padding, case.stride, 1, 1)
            .unwrap()
    };
    let loss = (y * r).unwrap().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    (
        grads.get(x).unwrap().clone(),
        grads.get(w).unwrap().clone(),
        loss.to_dtype(DType::F64)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap(),
    )
}

#[test]
fn gradients_match_candle_and_central_differences() {
    let mut rng = Seed(4).stream("conv-backward");
    for case in cases(60, 5) {
        let x = Var::from_tensor(&random(&case.x, DType::F64, &mut rng)).unwrap();
        let w = Var::from_tensor(&random(&case.w, DType::F64, &mut rng)).unwrap();
        let y = x
            .as_tensor()
            .conv2d(w.as_tensor(), case.padding, case.stride, 1, 1)
            .unwrap();
        let r = random(y.dims(), DType::F64, &mut rng);
        let (gx, gw, _) = gradients(&x, &w, &r, &case, true);
        if candle_backward_supports(&case) {
            let (rx, rw, _) = gradients(&x, &w, &r, &case, false);
            assert!(max_abs_diff(&gx, &rx) <= 1e-12, "{case:?}: input gradient");
            assert!(max_abs_diff(&gw, &rw) <= 1e-12, "{case:?}: weight gradient");
        }

        // Central differences on a few coordinates of each (L is bilinear: exact up to
        // rounding for any ε).
        let eps = 1e-3;
        for (var, grad) in [(&x, &gx), (&w, &gw)] {
            let base = to_vec(var.as_tensor());
            let g = to_vec(grad);
            for _ in 0..4 {
                let i = rng.random_range(0..base.len());
                let at = |delta: f64| {
                    let mut v = base.clone();
                    v[i] += delta;
                    var.set(&Tensor::from_vec(v, var.dims(), &Device::Cpu).unwrap())
                        .unwrap();
                    gradients(&x, &w, &r, &case, true).2
                };
                let fd = (at(eps) - at(-eps)) / (2.0 * eps);
                var.set(&Tensor::from_vec(base.clone(), var.dims(), &Device::Cpu).unwrap())
                    .unwrap();
                assert!(
                    (fd - g[i]).abs() <= 1e-9 * (1.0 + g[i].abs()),
                    "{case:?}: coordinate {i}: finite difference {fd} vs gradient {}",
                    g[i]
                );
            }
        }
    }
}

#[test]
fn candle_reference_backward_fails_where_igo_succeeds() {
    // The case candle 0.11.1 cannot differentiate (see `candle_backward_supports`): a 1×1
    // kernel of stride 2 on a 5×4 input. igo's gradient is checked against finite
    // differences above for such cases.
    let case = Case {
        x: vec![1, 1, 5, 4],
        w: vec![1, 1, 1, 1],
        padding: 0,
        stride: 2,
    };
    assert!(!candle_backward_supports(&case));
    let mut rng = Seed(10).stream("candle-bug");
    let x = Var::from_tensor(&random(&case.x, DType::F64, &mut rng)).unwrap();
    let w = Var::from_tensor(&random(&case.w, DType::F64, &mut rng)).unwrap();
    let loss = x
        .as_tensor()
        .conv2d(w.as_tensor(), 0, 2, 1, 1)
        .unwrap()
        .sum_all()
        .unwrap();
    assert!(
        loss.backward().is_err(),
        "candle's conv2d backward now handles this case"
    );
    let loss = conv2d_igo(x.as_tensor(), w.as_tensor(), 0, 2)
        .unwrap()
        .sum_all()
        .unwrap();
    assert!(loss.backward().is_ok());
}

#[test]
fn f32_gradients_match_candle() {
    let mut rng = Seed(6).stream("conv-backward-f32");
    for case in cases(60, 7).into_iter().filter(candle_backward_supports) {
        let x = Var::from_tensor(&random(&case.x, DType::F32, &mut rng)).unwrap();
        let w = Var::from_tensor(&random(&case.w, DType::F32, &mut rng)).unwrap();
        let y = x
            .as_tensor()
            .conv2d(w.as_tensor(), case.padding, case.stride, 1, 1)
            .unwrap();
        let r = random(y.dims(), DType::F32, &mut rng);
        let (gx, gw, _) = gradients(&x, &w, &r, &case, true);
        let (rx, rw, _) = gradients(&x, &w, &r, &case, false);
        assert!(max_abs_diff(&gx, &rx) <= 1e-4, "{case:?}: input gradient");
        assert!(max_abs_diff(&gw, &rw) <= 1e-4, "{case:?}: weight gradient");
    }
}

/// f(x, w1, w2) = Σ r ⊙ tanh(conv(tanh(conv(x, w1)), w2)), its gradient, and the
/// Hessian-vector product ∇⟨∇f, v⟩ by double backward (on a thread with attached
/// gradients), for all three arguments.
fn two_layer_hvp(
    theta: &[Tensor; 3],
    v: &[Tensor; 3],
    r: &Tensor,
    (p1, s1, p2, s2): (usize, usize, usize, usize),
) -> (Vec<f64>, Vec<f64>) {
    let vars: Vec<Var> = theta.iter().map(|t| Var::from_tensor(t).unwrap()).collect();
    let h = conv2d_igo(vars[0].as_tensor(), vars[1].as_tensor(), p1, s1)
        .unwrap()
        .tanh()
        .unwrap();
    let out = conv2d_igo(&h, vars[2].as_tensor(), p2, s2)
        .unwrap()
        .tanh()
        .unwrap();
    let f = (out * r).unwrap().sum_all().unwrap();
    let grads = f.backward().unwrap();
    let g: Vec<Tensor> = vars.iter().map(|v| grads.get(v).unwrap().clone()).collect();
    let mut dot = Tensor::zeros((), DType::F64, &Device::Cpu).unwrap();
    for (gi, vi) in g.iter().zip(v) {
        dot = (dot + (gi * vi).unwrap().sum_all().unwrap()).unwrap();
    }
    let second = dot.backward().unwrap();
    let hv: Vec<f64> = vars
        .iter()
        .flat_map(|var| to_vec(second.get(var).unwrap()))
        .collect();
    let gflat: Vec<f64> = g.iter().flat_map(to_vec).collect();
    (gflat, hv)
}

#[test]
fn hessian_vector_products_through_two_convolutions_match_finite_differences() {
    let outcome = worker::on_fresh_thread(true, || {
        let mut rng = Seed(8).stream("conv-hvp");
        let mut worst: f64 = 0.0;
        for &(p1, s1, p2, s2) in &[(1, 1, 1, 1), (0, 2, 1, 1), (2, 1, 0, 2), (1, 3, 1, 2)] {
            let theta = [
                random(&[2, 3, 7, 6], DType::F64, &mut rng),
                random(&[4, 3, 3, 3], DType::F64, &mut rng),
                random(&[3, 4, 2, 3], DType::F64, &mut rng),
            ];
            let v = [
                random(&[2, 3, 7, 6], DType::F64, &mut rng),
                random(&[4, 3, 3, 3], DType::F64, &mut rng),
                random(&[3, 4, 2, 3], DType::F64, &mut rng),
            ];
            let h1 = conv2d_igo(&theta[0], &theta[1], p1, s1).unwrap();
            let out = conv2d_igo(&h1, &theta[2], p2, s2).unwrap();
            let r = random(out.dims(), DType::F64, &mut rng);
            let (_, hv) = two_layer_hvp(&theta, &v, &r, (p1, s1, p2, s2));
            // (∇f(θ + εv) − ∇f(θ − εv)) / 2ε = Hv + O(ε²).
            let eps = 1e-5;
            let shifted = |sign: f64| -> [Tensor; 3] {
                std::array::from_fn(|i| (&theta[i] + (&v[i] * (sign * eps)).unwrap()).unwrap())
            };
            let (gp, _) = two_layer_hvp(&shifted(1.0), &v, &r, (p1, s1, p2, s2));
            let (gm, _) = two_layer_hvp(&shifted(-1.0), &v, &r, (p1, s1, p2, s2));
            let scale = hv.iter().fold(0.0_f64, |m, h| m.max(h.abs()));
            assert!(scale > 1e-3, "degenerate Hessian-vector product");
            for (i, h) in hv.iter().enumerate() {
                let fd = (gp[i] - gm[i]) / (2.0 * eps);
                worst = worst.max((fd - h).abs() / scale);
            }
        }
        worst
    })
    .unwrap();
    assert!(
        outcome <= 1e-7,
        "max relative |Hv − finite difference| = {outcome:e}"
    );
}

/// Runs `f` (which returns f32 tensors) in rayon pools of 1, 2 and 5 threads and asserts
/// that every tensor has the same bits each time.
fn assert_bit_identical_for_any_thread_count(f: impl Fn() -> Vec<Tensor> + Sync) {
    let run = |threads: usize| -> Vec<Vec<u32>> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            f().iter()
                .map(|t| {
                    t.flatten_all()
                        .unwrap()
                        .to_vec1::<f32>()
                        .unwrap()
                        .iter()
                        .map(|v| v.to_bits())
                        .collect()
                })
                .collect()
        })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(5));
}

#[test]
fn results_are_bit_identical_for_any_thread_count() {
    assert_bit_identical_for_any_thread_count(|| {
        let mut rng = Seed(9).stream("conv-threads");
        let x = Var::from_tensor(&random(&[37, 8, 9, 9], DType::F32, &mut rng)).unwrap();
        let w = Var::from_tensor(&random(&[16, 8, 3, 3], DType::F32, &mut rng)).unwrap();
        let y = conv2d_igo(x.as_tensor(), w.as_tensor(), 1, 1).unwrap();
        let r = random(y.dims(), DType::F32, &mut rng);
        let grads = (&y * &r).unwrap().sum_all().unwrap().backward().unwrap();
        vec![
            y,
            grads.get(&x).unwrap().clone(),
            grads.get(&w).unwrap().clone(),
        ]
    });
}

// ---------------------------------------------------------------------------------------
// Fused batch norm against candle-nn's composite batch norm.

use candle_core::ModuleT;
use candle_nn::{BatchNorm, BatchNormConfig, VarBuilder, VarMap};
use experiments::models::basic_block::{bn, BatchNorm2d};
use experiments::ops::batch_norm_train;

/// Two batch norms of `c` channels over equal, random γ and β: igo's (fused on CPU) and
/// candle-nn's composite one.
fn batch_norm_pair(c: usize, dtype: DType, seed: u64) -> (BatchNorm2d, BatchNorm, VarMap, VarMap) {
    let (a, b) = (VarMap::new(), VarMap::new());
    let ours = bn(c, VarBuilder::from_varmap(&a, dtype, &Device::Cpu)).unwrap();
    let reference = candle_nn::batch_norm(
        c,
        BatchNormConfig::default(),
        VarBuilder::from_varmap(&b, dtype, &Device::Cpu),
    )
    .unwrap();
    let mut rng = Seed(seed).stream("bn-params");
    for name in ["weight", "bias", "running_mean", "running_var"] {
        let mut v = random(&[c], dtype, &mut rng);
        if name == "running_var" {
            v = (v.abs().unwrap() + 0.5).unwrap();
        }
        a.data().lock().unwrap()[name].set(&v).unwrap();
        b.data().lock().unwrap()[name].set(&v).unwrap();
    }
    (ours, reference, a, b)
}

#[test]
fn fused_batch_norm_matches_candle_nn_forward_backward_and_running_statistics() {
    let mut rng = Seed(11).stream("bn");
    for (dtype, tol) in [(DType::F64, 1e-10), (DType::F32, 2e-4)] {
        for (k, shape) in [[4, 3, 5, 5], [2, 6, 1, 7], [7, 1, 3, 2], [3, 5, 4, 4]]
            .iter()
            .enumerate()
        {
            for relu in [false, true] {
                let (ours, reference, vm_ours, vm_ref) = batch_norm_pair(shape[1], dtype, k as u64);
                let x = Var::from_tensor(&(random(shape, dtype, &mut rng) * 3.0).unwrap()).unwrap();
                let r = random(shape, dtype, &mut rng);
                let y_ours = if relu {
                    ours.forward_relu_t(x.as_tensor(), true).unwrap()
                } else {
                    ours.forward_t(x.as_tensor(), true).unwrap()
                };
                let mut y_ref = reference.forward_t(x.as_tensor(), true).unwrap();
                if relu {
                    y_ref = y_ref.relu().unwrap();
                }
                let what = format!("{shape:?} {dtype:?} relu={relu}");
                assert!(max_abs_diff(&y_ours, &y_ref) <= tol, "{what}: forward");
                for name in ["running_mean", "running_var"] {
                    let a = vm_ours.data().lock().unwrap()[name].as_tensor().clone();
                    let b = vm_ref.data().lock().unwrap()[name].as_tensor().clone();
                    assert!(max_abs_diff(&a, &b) <= tol, "{what}: {name}");
                }
                let g_ours = (y_ours * &r)
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .backward()
                    .unwrap();
                let g_ref = (y_ref * &r).unwrap().sum_all().unwrap().backward().unwrap();
                let gx = |g: &candle_core::backprop::GradStore| g.get(&x).unwrap().clone();
                assert!(
                    max_abs_diff(&gx(&g_ours), &gx(&g_ref)) <= tol * 10.0,
                    "{what}: ∂x"
                );
                for name in ["weight", "bias"] {
                    let a = &vm_ours.data().lock().unwrap()[name].clone();
                    let b = &vm_ref.data().lock().unwrap()[name].clone();
                    let d = max_abs_diff(g_ours.get(a).unwrap(), g_ref.get(b).unwrap());
                    assert!(d <= tol * 10.0, "{what}: ∂{name}");
                }
            }
        }
    }
}

#[test]
fn fused_batch_norm_gradient_matches_central_differences() {
    // f(x, γ, β) = Σ r ⊙ BN(x; γ, β), f64, ε = 1e-5: error O(ε²) on a smooth function.
    let mut rng = Seed(12).stream("bn-fd");
    let shape = [3, 2, 3, 4];
    let x = Var::from_tensor(&random(&shape, DType::F64, &mut rng)).unwrap();
    let gamma = Var::from_tensor(&random(&[2], DType::F64, &mut rng)).unwrap();
    let beta = Var::from_tensor(&random(&[2], DType::F64, &mut rng)).unwrap();
    let r = random(&shape, DType::F64, &mut rng);
    let f = || {
        let (y, _) = batch_norm_train(
            x.as_tensor(),
            gamma.as_tensor(),
            beta.as_tensor(),
            1e-5,
            false,
        )
        .unwrap();
        (y * &r).unwrap().sum_all().unwrap()
    };
    let grads = f().backward().unwrap();
    let eps = 1e-5;
    for var in [&x, &gamma, &beta] {
        let g = to_vec(grads.get(var).unwrap());
        let base = to_vec(var.as_tensor());
        for i in 0..base.len() {
            let at = |delta: f64| {
                let mut v = base.clone();
                v[i] += delta;
                var.set(&Tensor::from_vec(v, var.dims(), &Device::Cpu).unwrap())
                    .unwrap();
                f().to_scalar::<f64>().unwrap()
            };
            let fd = (at(eps) - at(-eps)) / (2.0 * eps);
            var.set(&Tensor::from_vec(base.clone(), var.dims(), &Device::Cpu).unwrap())
                .unwrap();
            assert!(
                (fd - g[i]).abs() <= 1e-7 * (1.0 + g[i].abs()),
                "coordinate {i}: {fd} vs {}",
                g[i]
            );
        }
    }
}

#[test]
fn fused_batch_norm_refuses_a_second_order_relu_backward() {
    // On a thread that differentiates twice the models apply the ReLU separately; the
    // fused ReLU must fail loudly there rather than give a wrong second derivative.
    let refused = worker::on_fresh_thread(true, || {
        let mut rng = Seed(13).stream("bn-second");
        let x = Var::from_tensor(&random(&[4, 2, 3, 3], DType::F64, &mut rng)).unwrap();
        let g = Tensor::ones(2, DType::F64, &Device::Cpu).unwrap();
        let b = Tensor::zeros(2, DType::F64, &Device::Cpu).unwrap();
        let (y, _) = batch_norm_train(x.as_tensor(), &g, &b, 1e-5, true).unwrap();
        y.sqr().unwrap().sum_all().unwrap().backward().is_err()
    })
    .unwrap();
    assert!(refused);
}

/// The gradient of `loss` at θ and its H·v by double backward, both flattened (this thread
/// must be a second-order one).
fn gradient_and_hvp(
    theta: &[Tensor; 4],
    v: &[Tensor; 4],
    loss: &dyn Fn(&[Var]) -> Tensor,
) -> (Vec<f64>, Vec<f64>) {
    let vars: Vec<Var> = theta.iter().map(|t| Var::from_tensor(t).unwrap()).collect();
    let grads = loss(&vars).backward().unwrap();
    let g: Vec<Tensor> = vars.iter().map(|v| grads.get(v).unwrap().clone()).collect();
    let mut dot = Tensor::zeros((), DType::F64, &Device::Cpu).unwrap();
    for (gi, vi) in g.iter().zip(v) {
        dot = (dot + (gi * vi).unwrap().sum_all().unwrap()).unwrap();
    }
    let second = dot.backward().unwrap();
    let hv = vars
        .iter()
        .flat_map(|var| to_vec(second.get(var).unwrap()))
        .collect();
    (g.iter().flat_map(to_vec).collect(), hv)
}

/// max_i |(H·v)_i − (∇f(θ + εv) − ∇f(θ − εv))_i / 2ε| / max |H·v|, ε = 1e-5, on a fresh
/// second-order thread.
fn hvp_error_against_finite_differences(
    theta: [Tensor; 4],
    v: [Tensor; 4],
    loss: impl Fn(&[Var]) -> Tensor + Send + 'static,
) -> f64 {
    worker::on_fresh_thread(true, move || {
        let (_, hv) = gradient_and_hvp(&theta, &v, &loss);
        let eps = 1e-5;
        let shifted = |sign: f64| -> [Tensor; 4] {
            std::array::from_fn(|i| (&theta[i] + (&v[i] * (sign * eps)).unwrap()).unwrap())
        };
        let (gp, _) = gradient_and_hvp(&shifted(1.0), &v, &loss);
        let (gm, _) = gradient_and_hvp(&shifted(-1.0), &v, &loss);
        let scale = hv.iter().fold(0.0_f64, |m, h| m.max(h.abs()));
        assert!(scale > 1e-3, "degenerate Hessian-vector product");
        hv.iter()
            .enumerate()
            .map(|(i, h)| ((gp[i] - gm[i]) / (2.0 * eps) - h).abs() / scale)
            .fold(0.0_f64, f64::max)
    })
    .unwrap()
}

#[test]
fn fused_batch_norm_hessian_vector_products_match_finite_differences() {
    // f(x, γ, β, w) = Σ r ⊙ tanh(conv(BN(x; γ, β), w)) on the fused batch norm.
    let mut rng = Seed(14).stream("bn-hvp");
    let shapes: [&[usize]; 4] = [&[3, 2, 4, 3], &[2], &[2], &[3, 2, 3, 3]];
    let theta: [Tensor; 4] = std::array::from_fn(|i| random(shapes[i], DType::F64, &mut rng));
    let v: [Tensor; 4] = std::array::from_fn(|i| random(shapes[i], DType::F64, &mut rng));
    let r = random(&[3, 3, 4, 3], DType::F64, &mut rng);
    let worst = hvp_error_against_finite_differences(theta, v, move |vars: &[Var]| {
        let t: Vec<&Tensor> = vars.iter().map(Var::as_tensor).collect();
        let (h, _) = batch_norm_train(t[0], t[1], t[2], 1e-5, false).unwrap();
        let out = conv2d_igo(&h, t[3], 1, 1).unwrap().tanh().unwrap();
        (out * &r).unwrap().sum_all().unwrap()
    });
    assert!(
        worst <= 1e-6,
        "max relative |Hv − finite difference| = {worst:e}"
    );
}

// ---------------------------------------------------------------------------------------
// ReLU, residual add + ReLU and eval-mode batch norm against candle's and candle-nn's ops.

use experiments::ops::{add_relu, channel_affine, relu};

/// Σ r ⊙ y and its gradients with respect to `vars`.
fn weighted_sum_grads(y: &Tensor, r: &Tensor, vars: &[&Var]) -> Vec<Tensor> {
    let grads = (y * r).unwrap().sum_all().unwrap().backward().unwrap();
    vars.iter()
        .map(|v| grads.get(v.as_tensor()).unwrap().clone())
        .collect()
}

#[test]
fn relu_and_residual_relu_match_candle_forward_and_backward() {
    let mut rng = Seed(21).stream("relu");
    for dtype in [DType::F64, DType::F32] {
        for shape in [&[4, 3, 5, 5][..], &[7, 2], &[2, 6, 1, 9], &[1, 1, 1, 1]] {
            // Transposed views: the ops must accept non-contiguous operands.
            let a = Var::from_tensor(&random(shape, dtype, &mut rng)).unwrap();
            let b = Var::from_tensor(&random(shape, dtype, &mut rng)).unwrap();
            let r = random(shape, dtype, &mut rng);
            let last = shape.len() - 1;
            let (at, bt, rt) = (
                a.as_tensor().transpose(0, last).unwrap(),
                b.as_tensor().transpose(0, last).unwrap(),
                r.transpose(0, last).unwrap(),
            );
            let what = format!("{shape:?} {dtype:?}");

            let ours = relu(&at).unwrap();
            let reference = at.relu().unwrap();
            assert!(max_abs_diff(&ours, &reference) == 0.0, "{what}: relu");
            let g_ours = weighted_sum_grads(&ours, &rt, &[&a]);
            let g_ref = weighted_sum_grads(&reference, &rt, &[&a]);
            assert!(max_abs_diff(&g_ours[0], &g_ref[0]) == 0.0, "{what}: ∂relu");

            let ours = add_relu(&at, &bt).unwrap();
            let reference = (&at + &bt).unwrap().relu().unwrap();
            assert!(max_abs_diff(&ours, &reference) == 0.0, "{what}: add_relu");
            let g_ours = weighted_sum_grads(&ours, &rt, &[&a, &b]);
            let g_ref = weighted_sum_grads(&reference, &rt, &[&a, &b]);
            for (k, name) in ["∂a", "∂b"].iter().enumerate() {
                let d = max_abs_diff(&g_ours[k], &g_ref[k]);
                assert!(d == 0.0, "{what}: add_relu {name}: {d:e}");
            }
        }
    }
    let x = Tensor::zeros((2, 3), DType::F32, &Device::Cpu).unwrap();
    let y = Tensor::zeros((3, 2), DType::F32, &Device::Cpu).unwrap();
    assert!(
        add_relu(&x, &y).is_err(),
        "shapes that differ must be refused"
    );
}

#[test]
fn eval_batch_norm_matches_candle_nn_forward_and_gradients() {
    let mut rng = Seed(22).stream("bn-eval");
    for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 2e-5)] {
        for (k, shape) in [[4, 3, 5, 5], [2, 6, 1, 7], [7, 1, 3, 2], [3, 5, 4, 4]]
            .iter()
            .enumerate()
        {
            let (ours, reference, vm_ours, vm_ref) =
                batch_norm_pair(shape[1], dtype, 40 + k as u64);
            let x = Var::from_tensor(&(random(shape, dtype, &mut rng) * 3.0).unwrap()).unwrap();
            let r = random(shape, dtype, &mut rng);
            let y_ours = ours.forward_t(x.as_tensor(), false).unwrap();
            let y_ref = reference.forward_t(x.as_tensor(), false).unwrap();
            let what = format!("{shape:?} {dtype:?}");
            let d = max_abs_diff(&y_ours, &y_ref);
            assert!(d <= tol, "{what}: forward {d:e}");
            let param = |vm: &VarMap, name: &str| vm.data().lock().unwrap()[name].clone();
            let (w_o, b_o) = (param(&vm_ours, "weight"), param(&vm_ours, "bias"));
            let (w_r, b_r) = (param(&vm_ref, "weight"), param(&vm_ref, "bias"));
            let g_ours = weighted_sum_grads(&y_ours, &r, &[&x, &w_o, &b_o]);
            let g_ref = weighted_sum_grads(&y_ref, &r, &[&x, &w_r, &b_r]);
            for (k, name) in ["∂x", "∂γ", "∂β"].iter().enumerate() {
                let d = max_abs_diff(&g_ours[k], &g_ref[k]);
                assert!(d <= tol * 10.0, "{what}: {name} {d:e}");
            }
        }
    }
    // Per-channel operands of the wrong length are an error, not a panic.
    let x = Tensor::zeros((2, 3, 2, 2), DType::F32, &Device::Cpu).unwrap();
    let a = Tensor::ones(4, DType::F32, &Device::Cpu).unwrap();
    let err = channel_affine(&x, &a, &a).unwrap_err().to_string();
    assert!(err.contains("channel"), "{err}");
}

#[test]
fn channel_ops_fall_back_to_candle_ops_for_other_dtypes() {
    // f16 is not on igo's path: the same maps run as candle broadcast ops.
    let mut rng = Seed(23).stream("bn-eval-f16");
    let x = random(&[3, 4, 2, 2], DType::F64, &mut rng);
    let a = random(&[4], DType::F64, &mut rng);
    let b = random(&[4], DType::F64, &mut rng);
    let half = |t: &Tensor| t.to_dtype(DType::F16).unwrap();
    let fast = channel_affine(&x, &a, &b).unwrap();
    let fallback = channel_affine(&half(&x), &half(&a), &half(&b)).unwrap();
    assert_eq!(fallback.dtype(), DType::F16);
    assert!(max_abs_diff(&fast, &fallback) <= 5e-3);
    assert!(max_abs_diff(&relu(&x).unwrap(), &relu(&half(&x)).unwrap()) <= 1e-3);
}

#[test]
fn eval_batch_norm_relu_and_residual_hessian_vector_products_match_finite_differences() {
    // f(x, γ, β, w) = Σ r ⊙ tanh(add_relu(conv(relu(h), w), h)), h = BN_eval(x; γ, β) with
    // fixed running statistics (μ, σ²).
    let mut rng = Seed(24).stream("eval-block-hvp");
    let shapes: [&[usize]; 4] = [&[3, 2, 4, 3], &[2], &[2], &[2, 2, 3, 3]];
    // x spread over ±3 and small μ and β: both signs reach every ReLU.
    let spread = [3.0, 1.0, 0.1, 1.0];
    let theta: [Tensor; 4] =
        std::array::from_fn(|i| (random(shapes[i], DType::F64, &mut rng) * spread[i]).unwrap());
    let v: [Tensor; 4] = std::array::from_fn(|i| random(shapes[i], DType::F64, &mut rng));
    let mean = (random(&[2], DType::F64, &mut rng) * 0.1).unwrap();
    let var = (random(&[2], DType::F64, &mut rng).abs().unwrap() + 0.5).unwrap();
    let r = random(&[3, 2, 4, 3], DType::F64, &mut rng);
    let worst = hvp_error_against_finite_differences(theta, v, move |vars: &[Var]| {
        let t: Vec<&Tensor> = vars.iter().map(Var::as_tensor).collect();
        let inv_std = (&var + 1e-5).unwrap().sqrt().unwrap().recip().unwrap();
        let a = (t[1] * &inv_std).unwrap();
        let b = (t[2] - (&mean * &a).unwrap()).unwrap();
        let h = channel_affine(t[0], &a, &b).unwrap();
        let u = conv2d_igo(&relu(&h).unwrap(), t[3], 1, 1).unwrap();
        let out = add_relu(&u, &h).unwrap().tanh().unwrap();
        (out * &r).unwrap().sum_all().unwrap()
    });
    assert!(
        worst <= 1e-6,
        "max relative |Hv − finite difference| = {worst:e}"
    );
}

#[test]
fn channel_sums_are_bit_identical_for_any_thread_count() {
    assert_bit_identical_for_any_thread_count(|| {
        let mut rng = Seed(25).stream("channel-threads");
        let x = Var::from_tensor(&random(&[37, 8, 9, 9], DType::F32, &mut rng)).unwrap();
        let a = Var::from_tensor(&random(&[8], DType::F32, &mut rng)).unwrap();
        let b = Var::from_tensor(&random(&[8], DType::F32, &mut rng)).unwrap();
        let y = channel_affine(x.as_tensor(), a.as_tensor(), b.as_tensor()).unwrap();
        let y = add_relu(&y, x.as_tensor()).unwrap();
        let r = random(y.dims(), DType::F32, &mut rng);
        let mut out = weighted_sum_grads(&y, &r, &[&x, &a, &b]);
        out.push(y);
        out
    });
}
