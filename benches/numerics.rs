//! `cargo bench`: Monte-Carlo smoothing throughput (Rastrigin d = 1000, samples/s) and
//! the top eigenvalues of a symmetric matrix by Lanczos (matrix-free, full
//! reorthogonalisation) against the dense symmetric eigen-decomposition, side by side.
//!
//! The NumPy comparison of the Monte-Carlo workload is `bench/mc_vs_numpy.sh`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nalgebra::{DMatrix, DVector};
use numerics::objective::Rastrigin;
use numerics::smoothing::{Kernel, MonteCarlo};
use numerics::spectrum::{Lanczos, SymmetricSpectrum};
use numerics::Seed;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;

fn monte_carlo(c: &mut Criterion) {
    let d = 1000;
    let samples = 4096;
    let f = Rastrigin::new(d).expect("valid");
    let x = DVector::from_fn(d, |i, _| 0.5 * (i as f64).sin());
    let mut group = c.benchmark_group("monte_carlo_rastrigin_d1000");
    group.throughput(Throughput::Elements(samples as u64));
    group.sample_size(10);
    for kernel in Kernel::ALL {
        let mc = MonteCarlo::new(kernel, 0.5, samples).expect("valid");
        group.bench_function(BenchmarkId::new("value_1thread", kernel.name()), |b| {
            let mut rng = Seed(0).stream("bench");
            b.iter(|| black_box(mc.value(&f, &x, &mut rng).expect("valid")));
        });
    }
    group.finish();
}

/// A random symmetric positive semi-definite matrix GGᵀ/n with a few outlying top
/// eigenvalues, like a Hessian.
fn hessian_like(n: usize) -> DMatrix<f64> {
    let mut rng = Seed(1).stream("bench-matrix");
    let g = DMatrix::from_fn(n, n, |_, _| StandardNormal.sample(&mut rng));
    let mut a = &g * g.transpose() / n as f64;
    for i in 0..5 {
        a[(i, i)] += 10.0 * (5 - i) as f64;
    }
    a
}

fn eigen(c: &mut Criterion) {
    let mut group = c.benchmark_group("top5_eigenvalues");
    group.sample_size(10);
    for n in [100usize, 400, 1000] {
        let a = hessian_like(n);
        group.bench_with_input(BenchmarkId::new("lanczos", n), &a, |b, a| {
            let mut rng = Seed(2).stream("bench-lanczos");
            b.iter(|| black_box(Lanczos::new().largest(a, 5, &mut rng).expect("valid")));
        });
        group.bench_with_input(BenchmarkId::new("dense", n), &a, |b, a| {
            b.iter(|| black_box(SymmetricSpectrum::new(a).expect("valid")));
        });
    }
    group.finish();
}

criterion_group!(benches, monte_carlo, eigen);
criterion_main!(benches);
