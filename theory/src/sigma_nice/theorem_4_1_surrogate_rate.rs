//! C4.1 — the Theorem-4.1 surrogate: linear rate and invariance of GD on a σ-strongly
//! convex, L-smooth stage.
//!
//! **Statement** (spec §4.3 item 1, \[DER\]; the paper's Theorem 4.1 constants are
//! unconfirmed): if f̂_δ is σ-strongly convex and L-smooth on B := B(x*_δ, R), GD uses a
//! constant step η ≤ 1/L and ‖x₀ − x*_δ‖ ≤ R, then ‖x_{t+1} − x*‖ ≤ (1 − ησ)‖x_t − x*‖
//! (so the iterates stay in B) and
//!
//! f̂_δ(x_T) − f̂_δ(x*_δ) ≤ (L/2)(1 − ησ)^{2T} R².
//!
//! **Measured**: GD (argmin `Executor` + [`numerics::optim::Gd`]) with η = 1/L from 20
//! random starts on the sphere ‖x₀ − x*‖ = R, T = 200 steps; per setting, the (start, t)
//! with the largest ratio lhs/rhs (t restricted to rhs ≥ 1e−9·max(1, |f̂*|), below which
//! rounding dominates) and the largest distance ‖x_t − x*‖ (invariance).
//!
//! Settings where the premise holds (σ, L and x* computed independently of the run):
//! * smoothed Rastrigin, GISO, d = 10, δ = 0.6 ≥ 0.5175: globally σ = 2 − 40π²κ,
//!   L = 2 + 40π²κ, x*_δ = 0, R = 3δ;
//! * smoothed Rastrigin, GISO, d = 10, δ = 1/12: on B(0, 3δ = ¼) cos(2πxᵢ) ≥ 0, so σ = 2 and
//!   L = 2 + 40π²κ (spec §5.2);
//! * least squares (N = 200, d = 10, Gaussian), smoothed with GISO δ = 0.5: σ, L the
//!   extreme eigenvalues of AᵀA/N, x* from the normal equations, R = 1;
//! * smoothed L2-logistic regression (N = 200, d = 5, λ = 0.1, GISO δ = 1, quadrature
//!   smoothing of spec §1.2c): σ = λ and L = λ + λ_max(AᵀA)/(4N) (valid everywhere, since
//!   the smoothed loss is convex and σ' ≤ ¼), x*_δ by Newton's method, R = 1;
//! * a second quadratic, d = 10, eigenvalues 1 … 100 in a random basis, R = 1.
//!
//! Refuting cases (premise violated, bound must be FALSIFIED):
//! * smoothed Rastrigin, GISO, δ = 0.3 — inside the failure interval (0.085, 0.517) of
//!   spec §5.2 — with the σ = 2 of the "Rastrigin is 2-nice" summary of arXiv
//!   2412.11501, d = 1, starts x₀ = ±3δ: f̂_{0.3} has spurious minima near ±0.97 and GD
//!   stops there;
//! * least squares with step η = 2.2/L > 1/L: GD diverges along the top eigenvector.

use super::trajectory::gd_trajectory;
use crate::support::{gaussian_vector, random_orthogonal, unit_vector, with_spectrum};
use crate::{Case, Check, Expect, Relation, Report};
use nalgebra::SymmetricEigen;
use numerics::objective::{LeastSquares, LogisticRegression, Objective, Quadratic};
use numerics::optim::ExactSmoothing;
use numerics::smoothing::{Kernel, SmoothedLogistic, SmoothedRastrigin};
use numerics::{Seed, Vector};
use std::f64::consts::PI;

/// C4.1: the Theorem-4.1 surrogate bound.
#[derive(Debug, Clone, Copy, Default)]
pub struct Theorem41SurrogateRate;

const STARTS: usize = 20;
const STEPS: u64 = 200;

/// One setting of the bound.
struct Setting<'a> {
    name: &'static str,
    f: &'a (dyn Objective + Send + Sync),
    x_star: Vector,
    sigma: f64,
    smoothness: f64,
    eta: f64,
    radius: f64,
    expect: Expect,
    note: &'static str,
}

/// Worst case of the bound over starts and steps.
struct Worst {
    lhs: f64,
    rhs: f64,
    ratio: f64,
    step: usize,
    max_distance: f64,
}

fn evaluate(s: &Setting<'_>, starts: &[Vector]) -> crate::Result<Worst> {
    let f_star = s.f.value(&s.x_star);
    let floor = 1e-9 * f_star.abs().max(1.0);
    let q = 1.0 - s.eta * s.sigma;
    let mut worst = Worst {
        lhs: f64::NAN,
        rhs: f64::NAN,
        ratio: f64::NEG_INFINITY,
        step: 0,
        max_distance: 0.0,
    };
    for direction in starts {
        let x0 = &s.x_star + direction * s.radius;
        let path = gd_trajectory(s.f, s.eta, x0, STEPS)?;
        for (t, x) in path.iter().enumerate() {
            let dist = (x - &s.x_star).norm();
            worst.max_distance = worst.max_distance.max(dist);
            let rhs = 0.5 * s.smoothness * q.powi(2 * t as i32) * s.radius * s.radius;
            if rhs < floor {
                continue;
            }
            let lhs = s.f.value(x) - f_star;
            let ratio = lhs / rhs;
            if ratio > worst.ratio || ratio.is_nan() {
                worst = Worst {
                    lhs,
                    rhs,
                    ratio,
                    step: t,
                    max_distance: worst.max_distance,
                };
            }
        }
    }
    Ok(worst)
}

fn other(msg: &str) -> crate::TheoryError {
    crate::TheoryError::Other(msg.to_string())
}

impl Check for Theorem41SurrogateRate {
    fn id(&self) -> &'static str {
        "theorem_4_1_surrogate_rate"
    }

    fn spec_id(&self) -> &'static str {
        "C4.1"
    }

    fn statement(&self) -> &'static str {
        "σ-strongly convex, L-smooth stage on B(x*, R), η ≤ 1/L: f̂(x_T) − f̂* ≤ (L/2)(1 − ησ)^{2T}R² and the iterates stay in B"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("starts");
        let kappa = |delta: f64| (-2.0 * PI * PI * delta * delta).exp();

        // Smoothed Rastrigin, globally strongly convex regime.
        let d = 10;
        let delta_hi = 0.6;
        let r_hi = SmoothedRastrigin::new(d, Kernel::Gaussian, delta_hi)?;
        let c_hi = 40.0 * PI * PI * kappa(delta_hi);
        // Smoothed Rastrigin on B(0, 1/4) at δ = 1/12.
        let delta_lo = 1.0 / 12.0;
        let r_lo = SmoothedRastrigin::new(d, Kernel::Gaussian, delta_lo)?;
        let c_lo = 40.0 * PI * PI * kappa(delta_lo);
        // Least squares: σ, L from the eigenvalues of AᵀA/N, x* from the normal equations.
        let ls = LeastSquares::gaussian(200, d, &mut seed.stream("least-squares"))?;
        let n = ls.a().nrows() as f64;
        let gram = ls.a().transpose() * ls.a() / n;
        let eig = SymmetricEigen::new(gram.clone());
        let (ls_sigma, ls_l) = (eig.eigenvalues.min(), eig.eigenvalues.max());
        let ls_star = gram
            .clone()
            .cholesky()
            .ok_or_else(|| other("AᵀA/N not positive definite"))?
            .solve(&(ls.a().transpose() * ls.y() / n));
        let ls_smoothed = ls.smoothed(Kernel::Gaussian, 0.5)?;
        // Smoothed L2-logistic regression: σ = λ, L = λ + λ_max(AᵀA)/(4N); x*_δ by Newton.
        let lambda = 0.1;
        let logistic =
            LogisticRegression::gaussian(200, 5, 0.5, lambda, &mut seed.stream("logistic"))?;
        let lg_l = lambda
            + SymmetricEigen::new(logistic.a().transpose() * logistic.a())
                .eigenvalues
                .max()
                / (4.0 * 200.0);
        let lg = SmoothedLogistic::new(logistic, Kernel::Gaussian, 1.0)?;
        let lg_star = lg.minimiser(&Vector::zeros(5), 1e-12)?;
        // Second quadratic: eigenvalues 1 … 100 (geometric) in a random orthonormal basis.
        let basis = random_orthogonal(d, &mut rng);
        let spectrum: Vec<f64> = (0..d)
            .map(|i| 100f64.powf(i as f64 / (d - 1) as f64))
            .collect();
        let a = with_spectrum(&basis, &spectrum);
        let c = gaussian_vector(d, &mut rng);
        let quad = Quadratic::new(a.clone(), c.clone(), 0.0)?;
        let quad_star = -a
            .cholesky()
            .ok_or_else(|| other("quadratic not positive definite"))?
            .solve(&c);
        // Refuting: δ = 0.3 with the claimed σ = 2, in one dimension.
        let delta_bad = 0.3;
        let r_bad = SmoothedRastrigin::new(1, Kernel::Gaussian, delta_bad)?;
        let l_bad = 2.0 + 40.0 * PI * PI * kappa(delta_bad);

        let settings = [
            Setting {
                name: "smoothed Rastrigin GISO d=10 δ=0.6 (globally convex)",
                f: &r_hi,
                x_star: Vector::zeros(d),
                sigma: 2.0 - c_hi,
                smoothness: 2.0 + c_hi,
                eta: 1.0 / (2.0 + c_hi),
                radius: 3.0 * delta_hi,
                expect: Expect::Holds,
                note: "σ = 2 − 40π²κ, L = 2 + 40π²κ on Rᵈ",
            },
            Setting {
                name: "smoothed Rastrigin GISO d=10 δ=1/12 on B(0, 1/4)",
                f: &r_lo,
                x_star: Vector::zeros(d),
                sigma: 2.0,
                smoothness: 2.0 + c_lo,
                eta: 1.0 / (2.0 + c_lo),
                radius: 3.0 * delta_lo,
                expect: Expect::Holds,
                note: "cos 2πxᵢ ≥ 0 on the ball: σ = 2, L = 2 + 40π²κ",
            },
            Setting {
                name: "least squares N=200 d=10 (GISO δ=0.5)",
                f: ls_smoothed.as_ref(),
                x_star: ls_star.clone(),
                sigma: ls_sigma,
                smoothness: ls_l,
                eta: 1.0 / ls_l,
                radius: 1.0,
                expect: Expect::Holds,
                note: "σ, L = extreme eigenvalues of AᵀA/N",
            },
            Setting {
                name: "smoothed L2-logistic N=200 d=5 λ=0.1 (GISO δ=1)",
                f: &lg,
                x_star: lg_star,
                sigma: lambda,
                smoothness: lg_l,
                eta: 1.0 / lg_l,
                radius: 1.0,
                expect: Expect::Holds,
                note: "σ = λ, L = λ + λ_max(AᵀA)/(4N) (global bounds)",
            },
            Setting {
                name: "quadratic d=10, spectrum 1…100",
                f: &quad,
                x_star: quad_star,
                sigma: 1.0,
                smoothness: 100.0,
                eta: 0.01,
                radius: 1.0,
                expect: Expect::Holds,
                note: "an ill-conditioned case (L/σ = 100)",
            },
            Setting {
                name: "smoothed Rastrigin GISO d=1 δ=0.3 with claimed σ=2 (premise fails)",
                f: &r_bad,
                x_star: Vector::zeros(1),
                sigma: 2.0,
                smoothness: l_bad,
                eta: 1.0 / l_bad,
                radius: 3.0 * delta_bad,
                expect: Expect::Violated,
                note: "σ(δ; 3δ) = 2 − 40π²κ < 0 inside (0.085, 0.517); spurious minima near ±0.97",
            },
            Setting {
                name: "least squares with η = 2.2/L (premise η ≤ 1/L fails)",
                f: ls_smoothed.as_ref(),
                x_star: ls_star,
                sigma: ls_sigma,
                smoothness: ls_l,
                eta: 2.2 / ls_l,
                radius: 1.0,
                expect: Expect::Violated,
                note: "|1 − ηλ_max| = 1.2: divergence along the top eigenvector",
            },
        ];
        for s in &settings {
            let dim = s.x_star.len();
            let starts = if dim == 1 {
                (0..STARTS)
                    .map(|i| Vector::from_element(1, if i % 2 == 0 { 1.0 } else { -1.0 }))
                    .collect()
            } else {
                (0..STARTS)
                    .map(|_| unit_vector(dim, &mut rng))
                    .collect::<Vec<_>>()
            };
            let w = evaluate(s, &starts)?;
            let f_star = s.f.value(&s.x_star);
            report.push(
                Case::new(
                    format!("{}: worst f̂(x_t) − f̂* vs (L/2)(1 − ησ)^{{2t}}R²", s.name),
                    s.expect,
                    w.lhs,
                    Relation::Le {
                        rtol: 1e-9,
                        atol: 1e-12 * f_star.abs().max(1.0),
                    },
                    w.rhs,
                )
                .with("sigma", s.sigma)
                .with("L", s.smoothness)
                .with("eta", s.eta)
                .with("R", s.radius)
                .with("worst_t", w.step)
                .with("worst_ratio", w.ratio)
                .with("starts", starts.len())
                .with("T", STEPS)
                .note(s.note),
            );
            if s.expect == Expect::Holds {
                report.push(
                    Case::new(
                        format!("{}: invariance max_t ‖x_t − x*‖ ≤ R", s.name),
                        Expect::Holds,
                        w.max_distance,
                        Relation::LE,
                        s.radius,
                    )
                    .with("T", STEPS),
                );
            }
        }
        report.finding(format!(
            "GISO Rastrigin at δ = 0.3: σ(δ; 3δ) = 2 − 40π²κ = {:.2} < 0, so the 'σ = 2' of the \
             Rastrigin-is-2-nice claim cannot hold on Hazan's radius 3δ there; GD from ±0.9 stops at a \
             spurious minimiser of f̂_0.3 and the bound with σ = 2 fails.",
            2.0 - 40.0 * PI * PI * kappa(delta_bad)
        ));
        Ok(report)
    }
}
