//! C8.7 — the r(x) identity by Monte Carlo with Gaussian and Rademacher noise
//! (spec §8.3, check C8.7).
//!
//! For f(x) = ½xᵀHx, xₖ₊₁ = (I − γH)xₖ − γsₖ with E sₖ = 0, Cov sₖ = Σ:
//! E f(xₖ₊₁) = r(xₖ)f(xₖ) + (γ²/2)tr(HΣ). The check samples sₖ = Lz with LLᵀ = Σ and z
//! standard Gaussian or Rademacher (both mean 0, covariance Σ), averages f(xₖ₊₁) and
//! compares with the closed form by a z-test (Bonferroni over the two laws, family
//! error 1e−3); N is chosen from a pilot run so that SE ≤ 1e−3·max(1, |m_ref|).
//!
//! Refuting cases (FAIL): noise with a non-zero mean (the hypothesis E[s | x] = 0 is
//! violated: the cross term −γ·yᵀHμ + (γ²/2)μᵀHμ appears, y = (I − γH)x), and the
//! noise-free prediction r(x)f(x) that drops (γ²/2)tr(HΣ).

use super::r_identity::random_problem;
use super::support::r_factor;
use crate::support::gaussian_vector;
use crate::{Case, Check, Expect, Relation, Report, Result, TheoryError};
use numerics::rng::Rng;
use numerics::stats::{bonferroni_z, RunningStats};
use numerics::{Matrix, Seed, Vector};
use rand::Rng as _;

/// C8.7: Monte-Carlo mean of f(x_{k+1}) = r(x_k)f(x_k) + (γ²/2)tr(HΣ) for Gaussian and Rademacher noise.
#[derive(Debug, Clone, Copy, Default)]
pub struct RIdentityMonteCarlo;

/// The law of z in the noise s = Lz (mean 0, covariance I, so Cov s = LLᵀ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    /// z ~ N(0, I).
    Gaussian,
    /// zᵢ = ±1 with probability ½ each.
    Rademacher,
}

/// Mean and SE of f(y − γ(μ + Lz)) = ½vᵀHv, v = y − γ(μ + Lz), over `samples` draws of
/// z from `law` (y = (I − γH)x is the noise-free step from x).
#[allow(clippy::too_many_arguments)]
pub fn sample_mean(
    h: &Matrix,
    y: &Vector,
    l: &Matrix,
    mu: &Vector,
    gamma: f64,
    law: Law,
    samples: usize,
    rng: &mut Rng,
) -> RunningStats {
    let d = y.len();
    let mut stats = RunningStats::new();
    for _ in 0..samples {
        let z = match law {
            Law::Gaussian => gaussian_vector(d, rng),
            Law::Rademacher => {
                Vector::from_fn(d, |_, _| if rng.random::<bool>() { 1.0 } else { -1.0 })
            }
        };
        let v = y - (mu + l * z) * gamma;
        stats.push(0.5 * v.dot(&(h * &v)));
    }
    stats
}

impl Check for RIdentityMonteCarlo {
    fn id(&self) -> &'static str {
        "r_identity_monte_carlo"
    }
    fn spec_id(&self) -> &'static str {
        "C8.7"
    }
    fn statement(&self) -> &'static str {
        "Monte Carlo: E f(x_{k+1}) = r(x_k)f(x_k) + (γ²/2)tr(HΣ) for zero-mean Gaussian and Rademacher noise with covariance Σ"
    }

    fn run(&self, seed: Seed) -> Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("r-identity-mc");
        let d = 6;
        let (h, sigma) = random_problem(d, &mut rng);
        let l = sigma
            .clone()
            .cholesky()
            .ok_or_else(|| TheoryError::Other("Σ is not positive definite".into()))?
            .l();
        let x = gaussian_vector(d, &mut rng);
        let gamma = 1.0 / numerics::spectrum::lambda_max(&h)?;
        let y = &x - &h * &x * gamma;
        let fx = 0.5 * x.dot(&(&h * &x));
        let noise_term = 0.5 * gamma * gamma * (&h * &sigma).trace();
        // Reference: the closed form of the identity.
        let m_ref = r_factor(&h, &x, gamma) * fx + noise_term;
        let zero = Vector::zeros(d);
        let z_max = bonferroni_z(2, 1e-3);
        let mut gaussian_stats = None;
        for law in [Law::Gaussian, Law::Rademacher] {
            let pilot = sample_mean(&h, &y, &l, &zero, gamma, law, 2000, &mut rng);
            let target_se = 1e-3 * m_ref.abs().max(1.0);
            let samples = ((pilot.variance() / (target_se * target_se)).ceil() as usize)
                .clamp(10_000, 2_000_000);
            let stats = sample_mean(&h, &y, &l, &zero, gamma, law, samples, &mut rng);
            report.push(
                Case::mean_z(
                    format!("{law:?} noise: MC mean of f(x_(k+1)) = r(x)f(x) + (γ²/2)tr(HΣ)"),
                    Expect::Holds,
                    &stats,
                    z_max,
                    m_ref,
                )
                .with("samples", samples)
                .with("gamma", gamma)
                .with("r", r_factor(&h, &x, gamma))
                .with("noise_term", noise_term),
            );
            if law == Law::Gaussian {
                gaussian_stats = Some(stats);
            }
        }

        // Refuting: biased noise, E s = μ ≠ 0 (hypothesis violated).
        let mu = &h * &y * (-0.5 / (&h * &y).norm().max(1e-300)); // |μ| = 0.5, against Hy
        let deviation = -gamma * y.dot(&(&h * &mu)) + 0.5 * gamma * gamma * mu.dot(&(&h * &mu));
        let biased = sample_mean(&h, &y, &l, &mu, gamma, Law::Gaussian, 200_000, &mut rng);
        report.push(
            Case::new(
                "biased noise E s = μ ≠ 0 (‖μ‖ = 0.5): identity still predicts r(x)f(x) + (γ²/2)tr(HΣ)",
                Expect::Violated,
                biased.mean(),
                Relation::z4(biased.std_error()),
                m_ref,
            )
            .with("true_shift", deviation)
            .note("the cross term −γyᵀHμ + (γ²/2)μᵀHμ no longer vanishes"),
        );
        report.push(
            Case::new(
                "biased noise: r(x)f(x) + (γ²/2)tr(HΣ) − γyᵀHμ + (γ²/2)μᵀHμ (the corrected formula)",
                Expect::Holds,
                biased.mean(),
                Relation::z4(biased.std_error()),
                m_ref + deviation,
            )
            .note("explains the refuting case above: the cross term accounts for the whole shift"),
        );
        // Refuting: dropping the noise term.
        if let Some(stats) = gaussian_stats {
            report.push(
                Case::new(
                    "noise-free prediction r(x)f(x) (drops (γ²/2)tr(HΣ))",
                    Expect::Violated,
                    stats.mean(),
                    Relation::z4(stats.std_error()),
                    m_ref - noise_term,
                )
                .with("noise_term", noise_term),
            );
        }
        Ok(report)
    }
}
