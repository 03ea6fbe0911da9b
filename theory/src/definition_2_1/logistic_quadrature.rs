//! C1.5 — smoothed logistic regression by one-dimensional quadrature (spec §1.2c).
//!
//! f̂_δ(x) = (1/N)Σᵢ E_T[log(1 + exp(−yᵢaᵢᵀx + δ‖aᵢ‖T))] + (λ/2)(‖x‖² + δ²E‖u‖²),
//! T one coordinate of the kernel (N(0, s) for the Gaussian kernels, density
//! ∝ (1 − t²)^{(d−1)/2} for BALL), by [`SmoothedLogistic`]: 60-node Gauss–Hermite /
//! Gauss–Jacobi rules where the kink of softplus is wide, the exact max(z, 0) part plus
//! a composite rule split at the kink where it is narrow (Gaussian kernels,
//! δ‖aᵢ‖√s > 1), and more Gauss–Jacobi nodes for BALL at large δ‖aᵢ‖.
//!
//! Measured: the quadrature value against Monte-Carlo means of f(x − δu) (N = 200,
//! d = 5 Gaussian data, λ = 1e−2) for the three kernels at δ ∈ {0.3, 3}, |z| ≤ 4;
//! the quadrature's own error, against an independent brute-force composite
//! Gauss–Legendre rule (in t for the Gaussian kernels, in θ = arccos t for BALL), as an
//! identity to 1e−10 — deterministic, so it cannot depend on the Monte-Carlo seed; and
//! its gradient against central differences of its value. Finding: the spec's plain
//! 60-node Gauss–Hermite rule is not "far below MC error" at large δ‖aᵢ‖ — softplus has
//! poles at ±iπ, so its kink has width 1/(δ‖aᵢ‖√s) in T, which 60 nodes do not
//! resolve (error ≈ 1e−4 at GISO δ = 3; reported with numbers). Refuting case: the L2
//! term's additive constant (λ/2)δ²E‖u‖² left out.

use super::uniform_vector;
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::logistic::softplus;
use numerics::objective::{finite_difference_gradient, LogisticRegression, Objective};
use numerics::quadrature::gauss_jacobi_symmetric;
use numerics::smoothing::{Kernel, MonteCarlo, SmoothedLogistic};
use numerics::{Seed, Vector};
use std::f64::consts::PI;

/// C1.5: logistic quadrature vs Monte Carlo.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogisticQuadrature;

const N: usize = 200;
const D: usize = 5;
const LAMBDA: f64 = 1e-2;
const DELTAS: [f64; 2] = [0.3, 3.0];
/// Spec: 10⁶; one sample costs N = 200 softplus evaluations, so 4·10⁴ keeps the check
/// within its budget (SE reported; the z-test is unchanged).
const SAMPLES: usize = 40_000;

impl Check for LogisticQuadrature {
    fn id(&self) -> &'static str {
        "logistic_quadrature"
    }
    fn spec_id(&self) -> &'static str {
        "C1.5"
    }
    fn statement(&self) -> &'static str {
        "smoothed L2-logistic = (1/N)Σ E_T softplus(−mᵢ + δ‖aᵢ‖T) + (λ/2)(‖x‖² + δ²E‖u‖²), by 1-D quadrature"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let mut data = seed.stream("logistic-quadrature-data");
        let f = LogisticRegression::gaussian(N, D, 0.5, LAMBDA, &mut data)?;
        let x = uniform_vector(D, -1.0, 1.0, &mut data);
        let mut rng = seed.stream("logistic-quadrature-mc");
        let mut giso_large = None;
        for kernel in Kernel::ALL {
            for delta in DELTAS {
                let q = SmoothedLogistic::new(f.clone(), kernel, delta)?;
                let est = MonteCarlo::new(kernel, delta, SAMPLES)?.value(&f, &x, &mut rng)?;
                let value = q.value(&x);
                report.push(
                    Case::new(
                        format!(
                            "{} δ={delta}: MC mean of f(x−δu) vs quadrature",
                            kernel.name()
                        ),
                        Expect::Holds,
                        est.mean,
                        Relation::z4(est.std_error),
                        value,
                    )
                    .with("kernel", kernel.name())
                    .with("delta", delta)
                    .with("samples", SAMPLES)
                    .note(format!("SE = {:.2e}", est.std_error)),
                );
                // The quadrature's own error must be "far below MC error" (spec
                // §1.2c). Comparing a deterministic error with a random SE made the
                // verdict seed-dependent; it is now an identity against an independent
                // brute-force rule (≈ 1e−13 accurate), at the spec's 1e−10.
                let fine = brute_force_value(&f, kernel, delta, &x)?;
                let plain = SmoothedLogistic::with_nodes(f.clone(), kernel, delta, 60)?.value(&x);
                report.push(
                    Case::new(
                        format!(
                            "{} δ={delta}: quadrature vs brute-force composite rule",
                            kernel.name()
                        ),
                        Expect::Holds,
                        value,
                        Relation::ApproxEq {
                            rtol: 1e-10,
                            atol: 1e-12,
                        },
                        fine,
                    )
                    .with("rule nodes", q.nodes())
                    .note(format!(
                        "error {:.1e}; the spec's plain 60-node rule: {:.1e}; MC SE {:.1e}",
                        (value - fine).abs(),
                        (plain - fine).abs(),
                        est.std_error
                    )),
                );
                if (plain - fine).abs() > 1e-10 * fine.abs() {
                    report.finding(format!(
                        "{} δ={delta}: the spec's plain 60-node rule is off by {:.1e} \
                         ({:.0}% of the MC SE {:.1e}; max δ‖aᵢ‖√s = {:.1}) — not \"far below MC \
                         error\"; the kink-split evaluation is off by {:.1e}",
                        kernel.name(),
                        (plain - fine).abs(),
                        100.0 * (plain - fine).abs() / est.std_error,
                        est.std_error,
                        delta * max_row_norm(&f) * kernel.coordinate_variance(D).sqrt(),
                        (value - fine).abs()
                    ));
                }
                let fd = finite_difference_gradient(&q, &x, 1e-5);
                report.push(Case::new(
                    format!(
                        "{} δ={delta}: quadrature ∇f̂_δ vs central differences of f̂_δ",
                        kernel.name()
                    ),
                    Expect::Holds,
                    (q.gradient(&x) - fd).amax(),
                    Relation::ApproxEq {
                        rtol: 0.0,
                        atol: 1e-8,
                    },
                    0.0,
                ));
                if kernel == Kernel::Gaussian && delta > 1.0 {
                    giso_large = Some((est, value - q.ridge_offset()));
                }
            }
        }
        // Refuting case: the ridge term's constant (λ/2)δ²E‖u‖² = 0.225 (GISO, δ = 3,
        // d = 5) dropped from the smoothed objective.
        if let Some((est, without)) = giso_large {
            report.push(
                Case::new(
                    "GISO δ=3: MC vs quadrature without (λ/2)δ²E‖u‖²",
                    Expect::Violated,
                    est.mean,
                    Relation::z4(est.std_error),
                    without,
                )
                .note("E‖x − δu‖² = ‖x‖² + δ²E‖u‖²: the L2 term is smoothed too"),
            );
        }
        Ok(report)
    }
}

/// maxᵢ ‖aᵢ‖.
fn max_row_norm(f: &LogisticRegression) -> f64 {
    f.a().row_iter().map(|r| r.norm()).fold(0.0, f64::max)
}

/// f̂_δ(x) by brute force, independently of [`SmoothedLogistic`]: each row's
/// E[softplus(μ + wT)] by a composite 20-node Gauss–Legendre rule with 400 pieces on
/// each side of the kink t* = −μ/w — in t on ±14 standard deviations for the Gaussian
/// kernels (density φ(t/√s)/√s), in θ = arccos t on [0, π] for BALL (density ∝ sinᵈθ,
/// smooth at the ends where (1 − t²)^{(d−1)/2} is not) — plus the ridge term.
fn brute_force_value(
    f: &LogisticRegression,
    kernel: Kernel,
    delta: f64,
    x: &Vector,
) -> crate::Result<f64> {
    const PIECES: usize = 400;
    let gl = gauss_jacobi_symmetric(20, 0.0)?;
    let composite = |a: f64, b: f64, h: &dyn Fn(f64) -> f64| {
        let step = (b - a) / PIECES as f64;
        (0..PIECES)
            .map(|k| {
                let lo = a + k as f64 * step;
                step * gl.expect(|u| h(lo + 0.5 * step * (u + 1.0)))
            })
            .sum::<f64>()
    };
    let d = f.dim() as i32;
    let sd = kernel.coordinate_variance(f.dim()).sqrt();
    let ball_norm = composite(0.0, PI, &|th: f64| th.sin().powi(d));
    let margins = f.a() * x;
    let mut loss = 0.0;
    for i in 0..f.a().nrows() {
        let mu = -f.y()[i] * margins[i];
        let w = delta * f.a().row(i).norm();
        let kink = if w > 0.0 { -mu / w } else { f64::INFINITY };
        loss += match kernel {
            Kernel::Ball => {
                let h = |th: f64| softplus(mu + w * th.cos()) * th.sin().powi(d);
                let split = kink.clamp(-1.0, 1.0).acos();
                (composite(0.0, split, &h) + composite(split, PI, &h)) / ball_norm
            }
            Kernel::Gaussian | Kernel::GaussianUnit => {
                let h = |t: f64| softplus(mu + w * t) * (-0.5 * (t / sd).powi(2)).exp();
                let split = kink.clamp(-14.0 * sd, 14.0 * sd);
                (composite(-14.0 * sd, split, &h) + composite(split, 14.0 * sd, &h))
                    / (sd * (2.0 * PI).sqrt())
            }
        };
    }
    let n = f.a().nrows() as f64;
    Ok(loss / n
        + 0.5 * f.lambda() * (x.norm_squared() + delta * delta * kernel.second_moment(f.dim())))
}
