//! C5.1 — the Hessian of smoothed Rastrigin (spec §5.2).
//!
//! ∇f̂_δ(x)ᵢ = 2xᵢ + 20πκ(δ)sin(2πxᵢ),  ∇²f̂_δ(x) = diag(2 + 40π²κ(δ)cos(2πxᵢ)),
//! with κ(δ) = E[cos(2πδu₁)] of the kernel (spec §1.2b).
//!
//! Measured, on 10³ random points x ∈ [−5.12, 5.12]⁴ with δ log-uniform in
//! [0.01, 3] and each kernel: the analytic gradient against central differences of
//! f̂_δ (h = 1e−4) and the analytic Hessian against central differences of the
//! gradient (h = 1e−4), as max|error|/max(1, ‖·‖_max) (spec: ≤ 1e−6). Refuting case:
//! the Hessian of the unsmoothed f taken for f̂_δ ("smoothing keeps the curvature").

use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{finite_difference_gradient, Objective, Rastrigin};
use numerics::smoothing::{Kernel, SmoothedRastrigin};
use numerics::{Matrix, Seed, Vector};
use rand::Rng as _;

/// C5.1: Hessian formula vs finite differences.
#[derive(Debug, Clone, Copy, Default)]
pub struct RastriginHessian;

const D: usize = 4;
const POINTS: usize = 1000;
const H: f64 = 1e-4;

/// Central differences of the gradient, column by column.
fn fd_hessian(f: &dyn Objective, x: &Vector) -> Matrix {
    let d = x.len();
    let mut h = Matrix::zeros(d, d);
    for j in 0..d {
        let mut xp = x.clone();
        let mut xm = x.clone();
        xp[j] += H;
        xm[j] -= H;
        h.set_column(j, &((f.gradient(&xp) - f.gradient(&xm)) / (2.0 * H)));
    }
    h
}

impl Check for RastriginHessian {
    fn id(&self) -> &'static str {
        "rastrigin_hessian"
    }
    fn spec_id(&self) -> &'static str {
        "C5.1"
    }
    fn statement(&self) -> &'static str {
        "∇²f̂_δ(x) = diag(2 + 40π²κ(δ)cos(2πxᵢ)) for smoothed Rastrigin, every kernel"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("rastrigin-hessian-points");
        let mut draw = || {
            let x = Vector::from_fn(D, |_, _| Rastrigin::BOX * (2.0 * rng.random::<f64>() - 1.0));
            let delta = 0.01 * 300f64.powf(rng.random::<f64>());
            (x, delta)
        };
        for kernel in Kernel::ALL {
            let (mut grad_err, mut hess_err) = (0.0_f64, 0.0_f64);
            for _ in 0..POINTS {
                let (x, delta) = draw();
                let f = SmoothedRastrigin::new(D, kernel, delta)?;
                let g = f.gradient(&x);
                let fd = finite_difference_gradient(&f, &x, H);
                grad_err = grad_err.max((&g - fd).amax() / g.amax().max(1.0));
                let hess = f.hessian(&x).unwrap_or_else(|| Matrix::zeros(D, D));
                let fdh = fd_hessian(&f, &x);
                hess_err = hess_err.max((&hess - fdh).amax() / hess.amax().max(1.0));
            }
            report.push(Case::new(
                format!(
                    "{}: analytic ∇f̂_δ vs central differences of f̂_δ, {POINTS} points",
                    kernel.name()
                ),
                Expect::Holds,
                grad_err,
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-6,
                },
                0.0,
            ));
            report.push(
                Case::new(
                    format!("{}: diag(2 + 40π²κcos 2πxᵢ) vs central differences of ∇f̂_δ, {POINTS} points", kernel.name()),
                    Expect::Holds,
                    hess_err,
                    Relation::ApproxEq {
                        rtol: 0.0,
                        atol: 1e-6,
                    },
                    0.0,
                )
                .note("max over points of max|H − H_fd|/max(1, max|H|); off-diagonal entries included"),
            );
        }
        // Refuting case: the unsmoothed Hessian diag(2 + 40π²cos 2πxᵢ) used for f̂_δ.
        let (x, _) = draw();
        let f = SmoothedRastrigin::new(D, Kernel::Gaussian, 0.5)?;
        let wrong = Rastrigin::new(D)?
            .hessian(&x)
            .unwrap_or_else(|| Matrix::zeros(D, D));
        let fdh = fd_hessian(&f, &x);
        report.push(
            Case::new(
                "GISO δ=0.5: the Hessian of f (κ = 1) vs central differences of ∇f̂_δ",
                Expect::Violated,
                (&wrong - &fdh).amax() / wrong.amax().max(1.0),
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-6,
                },
                0.0,
            )
            .note("smoothing multiplies the curvature of the cosine term by κ(0.5) = 0.0072"),
        );
        Ok(report)
    }
}
