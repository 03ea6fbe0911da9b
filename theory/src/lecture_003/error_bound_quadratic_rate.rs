//! C9.5 — error bound + β-smoothness give GD the linear rate
//! f(x_{k+1}) − f* ≤ (1 − γμ_EB(1 − βγ/2))(f(x_k) − f*), checked on a quadratic.
//!
//! Statement (lecture 003, "Convergence analysis – Smoothness and error bound"; spec
//! §9.4): if μ_EB(f(x) − f*) ≤ ‖∇f(x)‖² and f is β-smooth, GD with step γ satisfies the
//! per-step bound above, a contraction for γ ∈ (0, 2/β). For f(x) = ½xᵀAx with
//! spectrum [λ_min, λ_max]: μ_EB = 2λ_min (the infimum of ‖Ax‖²/(½xᵀAx), attained on
//! the λ_min eigenvector) and β = λ_max, so the bound is 1 − 2γλ_min + γ²λ_minλ_max.
//! Along the λ_min eigenvector the GD ratio is exactly (1 − γλ_min)², below the bound by
//! γ²λ_min(λ_max − λ_min): the bound is tight iff λ_min = λ_max.
//!
//! Measured: GD x ← x − γ∇f(x) on a d = 10 quadratic with eigenvalues geometric in
//! [0.5, 4] and a random orthogonal basis, from a Gaussian start, for γβ ∈ {0.25, 0.5, 1,
//! 1.5, 1.9}: the largest per-step ratio until f < 1e−200 (deterministic bound, slack
//! 1e−9); the ratio along the λ_min eigenvector (identity); the error-bound constant
//! inf‖∇f‖²/f over random points and the eigenvectors (identity with 2λ_min); on
//! A = 2I the bound is attained.
//!
//! Refuting case (must be FALSIFIED): the bound applied outside its premise, γβ = 2.2 >
//! 2: the last step of the derivation multiplies the error bound by 1 − βγ/2 < 0, and
//! the λ_max component grows by (1 − γλ_max)² = 1.44 per step.

use super::{rate_bound, worst_gd_ratio};
use crate::support::{random_orthogonal, with_spectrum};
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{Objective, Quadratic};
use numerics::{Matrix, Seed, Vector};
use rand_distr::{Distribution, StandardNormal};

/// C9.5: GD on a quadratic: per-step ratio ≤ 1 − γμ_EB(1 − βγ/2), μ_EB = 2λ_min, β = λ_max.
#[derive(Debug, Clone, Copy)]
pub struct ErrorBoundQuadraticRate;

impl Check for ErrorBoundQuadraticRate {
    fn id(&self) -> &'static str {
        "error_bound_quadratic_rate"
    }
    fn spec_id(&self) -> &'static str {
        "C9.5"
    }
    fn statement(&self) -> &'static str {
        "GD on a quadratic: f(x_{k+1}) − f* ≤ (1 − γμ_EB(1 − βγ/2))(f(x_k) − f*) with \
         μ_EB = 2λ_min, β = λ_max, for γ < 2/β; tight along the λ_min eigenvector iff λ_min = λ_max"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("error-bound-quadratic-rate");
        let d = 10;
        let (lmin, lmax) = (0.5_f64, 4.0_f64);
        let lambdas: Vec<f64> = (0..d)
            .map(|j| lmin * (lmax / lmin).powf(j as f64 / (d - 1) as f64))
            .collect();
        let q = random_orthogonal(d, &mut rng);
        let a = with_spectrum(&q, &lambdas);
        let f = Quadratic::homogeneous(a)?;
        let v_min = q.column(0).into_owned();
        let (mu, beta) = (2.0 * lmin, lmax);

        // The error-bound constant: inf ‖∇f‖²/f over random points and the eigenvectors.
        let mut inf_ratio = f64::INFINITY;
        for j in 0..d {
            let v = q.column(j).into_owned();
            inf_ratio = inf_ratio.min(f.gradient(&v).norm_squared() / f.value(&v));
        }
        for _ in 0..1000 {
            let x = Vector::from_fn(d, |_, _| StandardNormal.sample(&mut rng));
            inf_ratio = inf_ratio.min(f.gradient(&x).norm_squared() / f.value(&x));
        }
        report.push(
            Case::new(
                "error-bound constant inf ‖∇f‖²/(f − f*) = 2λ_min",
                Expect::Holds,
                inf_ratio,
                Relation::EXACT,
                mu,
            )
            .with("lambda_min", lmin)
            .with("lambda_max", lmax)
            .note("minimum over 1000 Gaussian points and the 10 eigenvectors"),
        );

        let x0 = Vector::from_fn(d, |_, _| StandardNormal.sample(&mut rng));
        for &gb in &[0.25, 0.5, 1.0, 1.5, 1.9] {
            let gamma = gb / beta;
            let bound = rate_bound(gamma, mu, beta);
            let (worst, steps) = worst_gd_ratio(&f, &x0, gamma, 20_000);
            report.push(
                Case::new(
                    format!("γβ = {gb}: max_k per-step ratio ≤ 1 − γμ_EB(1 − βγ/2)"),
                    Expect::Holds,
                    worst,
                    Relation::LE,
                    bound,
                )
                .with("gamma", gamma)
                .with("mu_eb", mu)
                .with("beta", beta)
                .with("steps", steps)
                .note(format!("slack bound/ratio = {:.4}", bound / worst)),
            );
            // Tightness along v_min: one GD step multiplies v_min by (1 − γλ_min).
            let (ratio_min, _) = worst_gd_ratio(&f, &v_min, gamma, 1);
            report.push(
                Case::new(
                    format!("γβ = {gb}: ratio along the λ_min eigenvector = (1 − γλ_min)²"),
                    Expect::Holds,
                    ratio_min,
                    Relation::EXACT,
                    (1.0 - gamma * lmin).powi(2),
                )
                .with("gamma", gamma)
                .note(format!(
                    "bound − ratio = γ²λ_min(λ_max − λ_min) = {:.3e}",
                    gamma * gamma * lmin * (lmax - lmin)
                )),
            );
        }

        // Tightness: on A = 2I the bound equals the ratio (1 − 2γ)².
        let iso = Quadratic::homogeneous(Matrix::identity(d, d) * 2.0)?;
        let gamma = 0.3;
        let (ratio_iso, _) = worst_gd_ratio(&iso, &x0, gamma, 1);
        report.push(
            Case::new(
                "A = 2I (λ_min = λ_max): ratio equals the bound",
                Expect::Holds,
                ratio_iso,
                Relation::EXACT,
                rate_bound(gamma, 4.0, 2.0),
            )
            .with("gamma", gamma),
        );

        // Refuting: γ > 2/β.
        let gb = 2.2;
        let gamma = gb / beta;
        let bound = rate_bound(gamma, mu, beta);
        let (worst, steps) = worst_gd_ratio(&f, &x0, gamma, 400);
        report.push(
            Case::new(
                format!("γβ = {gb} > 2 (premise violated): max_k ratio ≤ bound"),
                Expect::Violated,
                worst,
                Relation::LE,
                bound,
            )
            .with("gamma", gamma)
            .with("steps", steps)
            .note("the λ_max component grows by (1 − γλ_max)² = 1.44 per step"),
        );
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}
