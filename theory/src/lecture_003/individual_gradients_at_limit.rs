//! C9.10 — individual gradient norms at the limit of constant-step SGD: ≈ 0 (machine
//! precision) for over-parameterised least squares, O(1) ≈ mean‖aᵢ‖|rᵢ| for
//! under-parameterised least squares.
//!
//! Statement (lecture 003, "Overparameterization – LS example" and "Convergence and
//! individual gradient norm"; spec §9.5): with N = 200 Gaussian samples,
//! * over-parameterised (A ∈ R^{200×1000}): every fᵢ is minimised at x†, so
//!   ∇fᵢ(x†) = aᵢ(aᵢᵀx† − bᵢ) = 0 and constant-step SGD from x₀ = 0 converges to x†
//!   with all ‖∇fᵢ(x_K)‖ at rounding level (≤ 1e−10);
//! * under-parameterised (A ∈ R^{200×100}): ∇fᵢ(x*) = aᵢrᵢ ≠ 0, so the individual
//!   gradients stay O(1) near x*: |‖∇fᵢ(x)‖ − ‖aᵢ‖|rᵢ|| ≤ ‖aᵢ‖²‖x − x*‖, hence
//!   |mean‖∇fᵢ(x_K)‖ − mean‖aᵢ‖|rᵢ|| ≤ mean‖aᵢ‖²·‖x_K − x*‖.
//!
//! Measured: single-sample SGD through the library's `sample_gradient` from x₀ = 0:
//! over-parameterised with γ·max‖aᵢ‖² = 1 for 40000 steps (E‖e‖² falls by ρ^K ≈ e^{−115});
//! under-parameterised with γ·median‖aᵢ‖² = 0.2 for 100000 steps (the mean error falls
//! by e^{−30}; what remains is the noise ball).
//! References: x† = Aᵀ(AAᵀ)⁻¹b and x* = (AᵀA)⁻¹Aᵀb by Cholesky; the triangle bound.
//!
//! Refuting cases (must be FALSIFIED): "the individual gradients vanish at the limit"
//! (max ‖∇fᵢ(x_K)‖ ≤ 1e−10) and "∇fᵢ(x*) = 0 for every i" for the under-parameterised
//! problem, where the fᵢ do not share a minimiser.

use super::least_squares_support::{sgd_step, OverParameterised, UnderParameterised};
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{FiniteSum, LeastSquares};
use numerics::{Seed, Vector};

/// C9.10: final individual gradient norms ≤ 1e−10 (over-parameterised), O(1) ≈
/// mean‖aᵢ‖|rᵢ| (under-parameterised).
#[derive(Debug, Clone, Copy)]
pub struct IndividualGradientsAtLimit;

/// SGD steps of the over-parameterised run.
const STEPS: usize = 40_000;
/// SGD steps of the under-parameterised run.
const UNDER_STEPS: usize = 100_000;

/// ‖∇fᵢ(x)‖ for every i.
fn gradient_norms(ls: &LeastSquares, x: &Vector) -> Vec<f64> {
    (0..ls.n())
        .map(|i| ls.sample_gradient(i, x).norm())
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

impl Check for IndividualGradientsAtLimit {
    fn id(&self) -> &'static str {
        "individual_gradients_at_limit"
    }
    fn spec_id(&self) -> &'static str {
        "C9.10"
    }
    fn statement(&self) -> &'static str {
        "Constant-step SGD on least squares: final ‖∇fᵢ‖ ≤ 1e−10 when over-parameterised \
         (200×1000), O(1) ≈ mean‖aᵢ‖|rᵢ| when under-parameterised (200×100)"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);

        // Over-parameterised.
        let ls = LeastSquares::gaussian(200, 1000, &mut seed.stream("over-parameterised-data"))?;
        let op = OverParameterised::new(ls)?;
        let norms2: Vec<f64> = op.ls.a().row_iter().map(|r| r.norm_squared()).collect();
        let gamma = 1.0 / max(&norms2);
        let mut rng = seed.stream("individual-gradients-over");
        let mut x = Vector::zeros(op.ls.a().ncols());
        let initial = gradient_norms(&op.ls, &x);
        for _ in 0..STEPS {
            sgd_step(&op.ls, &mut x, gamma, &mut rng);
        }
        let final_over = gradient_norms(&op.ls, &x);
        report.push(
            Case::new(
                "over-parameterised: max ‖∇fᵢ(x_K)‖ ≤ 1e−10",
                Expect::Holds,
                max(&final_over),
                Relation::Le {
                    rtol: 0.0,
                    atol: 1e-10,
                },
                0.0,
            )
            .with("gamma", gamma)
            .with("steps", STEPS)
            .note(format!(
                "mean ‖∇fᵢ‖: {:.3} at x₀ = 0, {:.3e} at x_K",
                mean(&initial),
                mean(&final_over)
            )),
        );
        report.push(
            Case::new(
                "over-parameterised: SGD from 0 reaches the minimum-norm interpolant, ‖x_K − x†‖/‖x†‖",
                Expect::Holds,
                (&x - &op.x_dagger).norm() / op.x_dagger.norm(),
                Relation::Le {
                    rtol: 0.0,
                    atol: 1e-10,
                },
                0.0,
            )
            .with("steps", STEPS),
        );

        // Under-parameterised.
        let ls = LeastSquares::gaussian(200, 100, &mut seed.stream("under-parameterised-data"))?;
        let up = UnderParameterised::new(ls)?;
        let mut norms2: Vec<f64> = up.ls.a().row_iter().map(|r| r.norm_squared()).collect();
        let mean_norm2 = mean(&norms2);
        norms2.sort_by(f64::total_cmp);
        let median = 0.5 * (norms2[99] + norms2[100]);
        let gamma = 0.2 / median;
        let mut rng = seed.stream("individual-gradients-under");
        let mut x = Vector::zeros(up.ls.a().ncols());
        for _ in 0..UNDER_STEPS {
            up.sgd_step(&mut x, gamma, &mut rng);
        }
        let final_under = gradient_norms(&up.ls, &x);
        let at_solution: Vec<f64> = up
            .ls
            .a()
            .row_iter()
            .zip(up.residuals.iter())
            .map(|(r, &ri)| r.norm() * ri.abs())
            .collect();
        let distance = (&x - &up.x_star).norm();
        report.push(
            Case::new(
                "under-parameterised: |mean‖∇fᵢ(x_K)‖ − mean‖aᵢ‖|rᵢ|| ≤ mean‖aᵢ‖²·‖x_K − x*‖",
                Expect::Holds,
                (mean(&final_under) - mean(&at_solution)).abs(),
                Relation::LE,
                mean_norm2 * distance,
            )
            .with("gamma", gamma)
            .with("steps", UNDER_STEPS)
            .note(format!(
                "mean‖∇fᵢ(x_K)‖ = {:.4}, mean‖aᵢ‖|rᵢ| = {:.4} (ratio {:.4}), ‖x_K − x*‖ = {distance:.4}",
                mean(&final_under),
                mean(&at_solution),
                mean(&final_under) / mean(&at_solution)
            )),
        );
        report.push(
            Case::new(
                "under-parameterised: the individual gradients vanish at the limit (max ‖∇fᵢ(x_K)‖ ≤ 1e−10)",
                Expect::Violated,
                max(&final_under),
                Relation::Le {
                    rtol: 0.0,
                    atol: 1e-10,
                },
                0.0,
            )
            .with("gamma", gamma)
            .note("the fᵢ have no common minimiser"),
        );
        report.push(
            Case::new(
                "under-parameterised: ∇fᵢ(x*) = 0 for every i (max ‖aᵢ‖|rᵢ| ≤ 1e−10)",
                Expect::Violated,
                max(&at_solution),
                Relation::Le {
                    rtol: 0.0,
                    atol: 1e-10,
                },
                0.0,
            )
            .note("‖∇f(x*)‖ = ‖Aᵀr‖/N = 0 although each aᵢrᵢ ≠ 0"),
        );
        report.finding(format!(
            "final individual gradient norms: over-parameterised mean {:.2e} (max {:.2e}); \
             under-parameterised mean {:.3} (max {:.3}) vs mean‖aᵢ‖|rᵢ| = {:.3} at x*",
            mean(&final_over),
            max(&final_over),
            mean(&final_under),
            max(&final_under),
            mean(&at_solution)
        ));
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}
