//! C9.6 — the non-convex PL example f(x) = x² + 3 sin²x: error bound
//! μ_EB·f(x) ≤ f'(x)² with μ_EB = inf f'²/f ≈ 0.351, and the GD rate
//! f(x_{k+1}) ≤ (1 − γμ_EB(1 − 8γ/2))f(x_k).
//!
//! Statement (lecture 003 "Error bound" and "Convergence analysis"; Karimi, Nutini &
//! Schmidt 2016; spec §9.4): f is β-smooth with β = sup f'' = sup(2 + 6 cos 2x) = 8,
//! non-convex, f* = 0, and satisfies the error bound with the best constant
//! μ* = inf_x f'(x)²/f(x). Karimi et al.'s PL constant 1/32 gives the valid but loose
//! μ_EB = 2·(1/32) = 1/16. Then every GD step with γ < 2/β = 1/4 satisfies the
//! per-step bound.
//!
//! Measured: μ* on [−20, 20] two ways — (i) the minimum of g = f'²/f on a grid of
//! spacing 1e−4 (x = 0 excluded, where g → 16), (ii) bisection on the stationarity
//! condition g' = 0 ⇔ 2f''f − f'² = 0 in the grid cell of the minimum (to 1e−15);
//! β as max f'' on the grid (attained at x = 0); GD from 77 starts x₀ ∈ {−19, −18.5, …,
//! 19} \ {0} with γ ∈ {0.05, 0.1, 0.2} until f < 1e−200: the largest per-step ratio
//! f(x_{k+1})/f(x_k) against 1 − γμ(1 − 4γ) for μ = μ* and μ = 1/16 (deterministic).
//! The starts satisfy f(x₀) ≤ 19² + 3 < 400 ≤ f(±20) and f(x) ≥ x², so every iterate
//! stays in [−20, 20], where μ* is the infimum.
//!
//! Refuting case (must be FALSIFIED): a constant above the infimum, μ = 0.36: the
//! error bound μf ≤ f'² fails near the minimiser of g.

use super::{rate_bound, worst_gd_ratio};
use crate::support::bisect;
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::PlExample;
use numerics::{Seed, Vector};

/// C9.6: f = x² + 3sin²x satisfies μ_EB f ≤ f'² with μ_EB ≈ 0.351, and GD's per-step
/// ratio is ≤ 1 − γμ_EB(1 − 4γ).
#[derive(Debug, Clone, Copy)]
pub struct ErrorBoundPlExample;

/// Half-width of the interval on which the infimum is taken.
const HALF_WIDTH: f64 = 20.0;
/// Grid spacing.
const SPACING: f64 = 1e-4;

/// g(x) = f'(x)²/f(x).
fn g(f: &PlExample, x: f64) -> f64 {
    f.derivative(x).powi(2) / f.value_at(x)
}

/// h(x) = 2f''(x)f(x) − f'(x)² (g' = f'·h/f², so g is stationary where h = 0).
fn h(f: &PlExample, x: f64) -> f64 {
    2.0 * f.second_derivative(x) * f.value_at(x) - f.derivative(x).powi(2)
}

impl Check for ErrorBoundPlExample {
    fn id(&self) -> &'static str {
        "error_bound_pl_example"
    }
    fn spec_id(&self) -> &'static str {
        "C9.6"
    }
    fn statement(&self) -> &'static str {
        "f(x) = x² + 3sin²x: μ_EB f(x) ≤ f'(x)² with μ_EB = inf f'²/f ≈ 0.351 on [−20, 20], \
         β = 8, and GD's per-step ratio is ≤ 1 − γμ_EB(1 − 8γ/2) (also with μ_EB = 1/16)"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);
        let f = PlExample::lecture();

        // (i) grid minimum of g and max of f''.
        let n = (2.0 * HALF_WIDTH / SPACING).round() as i64;
        let (mut grid_min, mut grid_arg) = (f64::INFINITY, 0.0);
        let mut max_curv = f64::NEG_INFINITY;
        for k in 0..=n {
            let x = -HALF_WIDTH + k as f64 * SPACING;
            max_curv = max_curv.max(f.second_derivative(x));
            if x.abs() < 0.5 * SPACING {
                continue;
            }
            let gx = g(&f, x);
            if gx < grid_min {
                grid_min = gx;
                grid_arg = x;
            }
        }
        // (ii) stationary point of g in the cell around the grid minimum.
        let root =
            bisect(|x| h(&f, x), grid_arg - SPACING, grid_arg + SPACING).ok_or_else(|| {
                crate::TheoryError::Other("no sign change of g' near the grid minimum".into())
            })?;
        let mu_star = g(&f, root);
        report.push(
            Case::new(
                "μ* = g(x̂) at the root x̂ of g' vs the grid minimum of g",
                Expect::Holds,
                mu_star,
                Relation::Le {
                    rtol: 1e-12,
                    atol: 0.0,
                },
                grid_min,
            )
            .with("argmin", root)
            .with("grid_argmin", grid_arg)
            .note(format!(
                "grid minimum − μ* = {:.2e} (O(spacing²))",
                grid_min - mu_star
            )),
        );
        report.push(
            Case::new(
                "μ* = inf f'²/f on [−20, 20] ≈ 0.351 (spec, 3 decimals)",
                Expect::Holds,
                mu_star,
                Relation::ClaimWithin {
                    lo: 0.3505,
                    hi: 0.3515,
                },
                0.351,
            )
            .with("argmin", root),
        );
        report.push(
            Case::new(
                "β = max f'' = 8 (f'' = 2 + 6cos 2x)",
                Expect::Holds,
                max_curv,
                Relation::EXACT,
                8.0,
            )
            .note(format!("PlExample::smoothness() = {}", f.smoothness())),
        );
        report.finding(format!(
            "inf f'²/f on [−20, 20] = {mu_star:.10} at x = ±{:.10} (spec ≈ 0.351); \
             Karimi et al.'s 1/16 = 0.0625 is {:.1}× smaller",
            root.abs(),
            mu_star / 0.0625
        ));

        // GD per-step ratios.
        let beta = 8.0;
        let starts: Vec<f64> = (-38..=38)
            .filter(|&k| k != 0)
            .map(|k| f64::from(k) * 0.5)
            .collect();
        for &gamma in &[0.05, 0.1, 0.2] {
            let mut worst = f64::NEG_INFINITY;
            let mut total_steps = 0;
            for &x0 in &starts {
                let (w, s) = worst_gd_ratio(&f, &Vector::from_element(1, x0), gamma, 100_000);
                worst = worst.max(w);
                total_steps += s;
            }
            for (label, mu) in [("μ*", mu_star), ("1/16", 1.0 / 16.0)] {
                let bound = rate_bound(gamma, mu, beta);
                report.push(
                    Case::new(
                        format!(
                            "γ = {gamma}, μ_EB = {label}: max per-step ratio ≤ 1 − γμ_EB(1 − 4γ)"
                        ),
                        Expect::Holds,
                        worst,
                        Relation::LE,
                        bound,
                    )
                    .with("gamma", gamma)
                    .with("mu_eb", mu)
                    .with("starts", starts.len())
                    .with("steps", total_steps)
                    .note(format!("slack bound/ratio = {:.4}", bound / worst)),
                );
            }
        }

        // The error bound itself: min g over the grid ≥ μ for μ = μ*, 1/16 (hold) and 0.36 (refuting).
        for (label, mu, expect) in [
            ("μ*", mu_star, Expect::Holds),
            ("1/16", 1.0 / 16.0, Expect::Holds),
            ("0.36 > μ*", 0.36, Expect::Violated),
        ] {
            report.push(
                Case::new(
                    format!("error bound μ f(x) ≤ f'(x)² on [−20, 20] with μ = {label}"),
                    expect,
                    grid_min,
                    Relation::GE,
                    mu,
                )
                .with("mu", mu)
                .note("measured: min over the grid of f'²/f"),
            );
        }
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}
