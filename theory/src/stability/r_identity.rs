//! C8.6 — the r(x) identity, exact algebra (lecture 002 after Wu, Wang & Su 2022;
//! spec §8.3, check C8.6).
//!
//! For f(x) = ½xᵀHx and xₖ₊₁ = (I − γH)xₖ − γsₖ with E[sₖ | xₖ] = 0 and
//! E[sₖsₖᵀ | xₖ] = Σ:
//! E[f(xₖ₊₁) | xₖ] = r(xₖ)f(xₖ) + (γ²/2)tr(HΣ),
//! r(x) = 1 − 2γ·xᵀH²x/xᵀHx + γ²·xᵀH³x/xᵀHx.
//! Corollaries: r(x) < 1 ⇔ γ < γ*(x) = 2·xᵀH²x/xᵀH³x, and γ < 2/λ_max(H) ⇒ r(x) < 1
//! (xᵀHx > 0).
//!
//! The left side is computed independently of the formula: as the exact average of
//! f(xₖ − γ(∇f(xₖ) + s)) over a finite noise law with mean 0 and covariance Σ
//! (s = ±√d·Lⱼ, the columns of the Cholesky factor L of Σ, each with probability
//! 1/(2d)), evaluated with the [`Quadratic`] objective. Cases: the identity on random
//! (H, Σ, x, γ) to 1e−12; r(γ*) = 1; r < 1 for γ = 0.99·2/λ_max on random x;
//! refuting: the claim r(x) < 1 at γ = 1.05·γ*(x), beyond the premise (FALSIFIED).

use super::support::{r_factor, r_threshold};
use crate::support::{gaussian_matrix, gaussian_vector, random_orthogonal, with_spectrum};
use crate::{Case, Check, Expect, Relation, Report, Result, TheoryError};
use numerics::objective::{Objective, Quadratic};
use numerics::rng::Rng;
use numerics::{Matrix, Seed, Vector};
use rand::Rng as _;

/// C8.6: E[f(x_{k+1}) | x_k] = r(x_k)f(x_k) + (γ²/2)tr(HΣ) for f = ½xᵀHx (exact algebra).
#[derive(Debug, Clone, Copy, Default)]
pub struct RIdentity;

/// A random PSD H = Q diag(λ) Qᵀ with λ uniform in (0.05, 3) and a random PD Σ.
#[must_use]
pub fn random_problem(d: usize, rng: &mut Rng) -> (Matrix, Matrix) {
    let q = random_orthogonal(d, rng);
    let lambda: Vec<f64> = (0..d).map(|_| rng.random_range(0.05..3.0)).collect();
    let h = with_spectrum(&q, &lambda);
    let g = gaussian_matrix(d, d, rng);
    let sigma = &g * g.transpose() / d as f64 + Matrix::identity(d, d) * 0.01;
    (h, (&sigma + sigma.transpose()) * 0.5)
}

/// E f(x − γ(∇f(x) + s)) over s = ±√d·Lⱼ (mean 0, covariance LLᵀ = Σ).
fn exact_expectation(f: &Quadratic, x: &Vector, gamma: f64, sigma: &Matrix) -> Result<f64> {
    let d = x.len();
    let l = sigma
        .clone()
        .cholesky()
        .ok_or_else(|| TheoryError::Other("Σ is not positive definite".into()))?
        .l();
    let drift = x - f.gradient(x) * gamma;
    let mut total = 0.0;
    for j in 0..d {
        let s = l.column(j) * (d as f64).sqrt();
        total += f.value(&(&drift - &s * gamma)) + f.value(&(&drift + &s * gamma));
    }
    Ok(total / (2 * d) as f64)
}

impl Check for RIdentity {
    fn id(&self) -> &'static str {
        "r_identity"
    }
    fn spec_id(&self) -> &'static str {
        "C8.6"
    }
    fn statement(&self) -> &'static str {
        "For f = ½xᵀHx and x_{k+1} = (I − γH)x_k − γs_k (E s = 0, Cov s = Σ): E f(x_{k+1}) = r(x_k)f(x_k) + (γ²/2)tr(HΣ), r(x) = 1 − 2γxᵀH²x/xᵀHx + γ²xᵀH³x/xᵀHx"
    }

    fn run(&self, seed: Seed) -> Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("r-identity");
        let d = 6;
        let trials = 50;
        let (mut worst, mut worst_threshold, mut max_r_safe): (f64, f64, f64) =
            (0.0, 0.0, f64::NEG_INFINITY);
        for _ in 0..trials {
            let (h, sigma) = random_problem(d, &mut rng);
            let f = Quadratic::homogeneous(h.clone())?;
            let x = gaussian_vector(d, &mut rng);
            let lambda_max = numerics::spectrum::lambda_max(&h)?;
            let gamma = rng.random_range(0.0..2.5) / lambda_max;
            let lhs = exact_expectation(&f, &x, gamma, &sigma)?;
            let rhs =
                r_factor(&h, &x, gamma) * f.value(&x) + 0.5 * gamma * gamma * (&h * &sigma).trace();
            worst = worst.max((lhs - rhs).abs() / lhs.abs().max(1e-300));
            let gamma_star = r_threshold(&h, &x);
            worst_threshold = worst_threshold.max((r_factor(&h, &x, gamma_star) - 1.0).abs());
            max_r_safe = max_r_safe.max(r_factor(&h, &x, 0.99 * 2.0 / lambda_max));
        }
        report.push(
            Case::new(
                format!("E f(x_(k+1)) = r(x)f(x) + (γ²/2)tr(HΣ): max rel. error over {trials} random (H, Σ, x, γ), d = {d}"),
                Expect::Holds,
                worst,
                Relation::ApproxEq { rtol: 0.0, atol: 1e-12 },
                0.0,
            )
            .note("left side: exact average over a 2d-point noise law with mean 0 and covariance Σ"),
        );
        report.push(Case::new(
            "r(x) = 1 at γ* = 2xᵀH²x/xᵀH³x: max |r − 1|",
            Expect::Holds,
            worst_threshold,
            Relation::ApproxEq {
                rtol: 0.0,
                atol: 1e-12,
            },
            0.0,
        ));
        report.push(
            Case::new(
                "γ = 0.99·2/λ_max ⇒ r(x) < 1: max r over random x",
                Expect::Holds,
                max_r_safe,
                Relation::LE,
                1.0,
            )
            .note("xᵀH³x ≤ λ_max·xᵀH²x"),
        );

        // Refuting: r(x) < 1 claimed beyond the threshold.
        let (h, _) = random_problem(d, &mut rng);
        let x = gaussian_vector(d, &mut rng);
        let gamma_star = r_threshold(&h, &x);
        let gamma = 1.05 * gamma_star;
        let r = r_factor(&h, &x, gamma);
        report.push(
            Case::new(
                "r(x) < 1 claimed at γ = 1.05·γ*(x) ≥ 2xᵀH²x/xᵀH³x",
                Expect::Violated,
                r,
                Relation::LE,
                1.0,
            )
            .with("gamma", gamma)
            .with("gamma_star", gamma_star)
            .with(
                "two_over_lambda_max",
                2.0 / numerics::spectrum::lambda_max(&h)?,
            ),
        );
        Ok(report)
    }
}
