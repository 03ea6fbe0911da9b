//! C8.9 — SAM on a 1-D quadratic ends in a 2-cycle, not at the minimum (lecture 002,
//! Foret et al. 2021; spec §8.4, check C8.9).
//!
//! For f(x) = ½hx² and 0 < γh < 2, SAM x ↦ x − γf'(x + ρf'(x)/|f'(x)|) is
//! x ↦ (1 − γh)x − γhρ·sign(x): it has no fixed point besides the guarded x = 0, and
//! every orbit with x₀ ≠ 0 converges to the 2-cycle ±c, c = γhρ/(2 − γh) (stable since
//! |1 − γh| < 1). At x = 0 the gradient vanishes and ε is undefined; the
//! implementation must guard it (ε = 0).
//!
//! The check runs the library's [`Sam`] solver (numerics::optim, through argmin's
//! `Executor`) and compares:
//! * |x_K| with the closed form c and x_{K+1} = −x_K, for γh ∈ {0.3, 0.9, 1.5, 1.9}
//!   and four starts, to 1e−12;
//! * the guarded step at x₀ = 0 (stays at 0, finite);
//! * a multi-D quadratic: the limit set is the 2-cycle ±c_top·v_top along the top
//!   eigenvector with c_top = γλ_maxρ/(2 − γλ_max);
//! * refuting: "SAM converges to the minimiser 0" (FALSIFIED), and the cycle formula
//!   outside its premise, γh = 2.2 > 2, where the orbit diverges (FAIL).

use crate::support::{random_orthogonal, with_spectrum};
use crate::{Case, Check, Expect, Relation, Report, Result, TheoryError};
use argmin::core::Executor;
use numerics::objective::{AsArgmin, Quadratic};
use numerics::optim::Sam;
use numerics::{Matrix, Seed, Vector};

/// C8.9: SAM on ½hx² (0 < γh < 2) converges to the 2-cycle ±γhρ/(2 − γh), not to 0.
#[derive(Debug, Clone, Copy, Default)]
pub struct SamTwoCycle;

/// The SAM iterate after `steps` steps of the library solver from `x0`.
fn sam_run(f: &Quadratic, x0: &Vector, gamma: f64, rho: f64, steps: u64) -> Result<Vector> {
    let solver = Sam::new(gamma, rho)?.with_cost(false);
    let result = Executor::new(AsArgmin(f.clone()), solver)
        .configure(|s| s.param(x0.clone()).max_iters(steps))
        .run()
        .map_err(|e| TheoryError::Other(format!("SAM run failed: {e}")))?;
    result
        .state()
        .param
        .clone()
        .ok_or_else(|| TheoryError::Other("SAM run returned no iterate".into()))
}

impl Check for SamTwoCycle {
    fn id(&self) -> &'static str {
        "sam_two_cycle"
    }
    fn spec_id(&self) -> &'static str {
        "C8.9"
    }
    fn statement(&self) -> &'static str {
        "SAM on f = ½hx² with 0 < γh < 2 converges to the 2-cycle ±γhρ/(2 − γh) (not to the minimiser); the g = 0 case must be guarded"
    }

    fn run(&self, seed: Seed) -> Result<Report> {
        let mut report = Report::new(self, seed);
        let (h, rho) = (1.0, 0.1);
        let f = Quadratic::homogeneous(Matrix::from_element(1, 1, h))?;
        let starts = [2.0, -0.7, 1e-3, 5.0];
        let steps = 1000;
        let (mut worst_amplitude, mut worst_flip, mut min_abs): (f64, f64, f64) =
            (0.0, 0.0, f64::INFINITY);
        for gamma_h in [0.3, 0.9, 1.5, 1.9] {
            let gamma = gamma_h / h;
            // Reference: the closed form of the 2-cycle.
            let c = gamma_h * rho / (2.0 - gamma_h);
            for x0 in starts {
                let x_k = sam_run(&f, &Vector::from_element(1, x0), gamma, rho, steps)?;
                let x_next = sam_run(&f, &x_k, gamma, rho, 1)?;
                worst_amplitude = worst_amplitude.max((x_k[0].abs() - c).abs() / c);
                worst_flip = worst_flip.max((x_next[0] + x_k[0]).abs() / c);
                min_abs = min_abs.min(x_k[0].abs());
            }
        }
        report.push(
            Case::new(
                "|x_K| = γhρ/(2 − γh), γh ∈ {0.3, 0.9, 1.5, 1.9}, 4 starts: max rel. error",
                Expect::Holds,
                worst_amplitude,
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-12,
                },
                0.0,
            )
            .with("rho", rho)
            .with("steps", steps)
            .with("starts", starts.to_vec()),
        );
        report.push(Case::new(
            "x_(K+1) = −x_K (a 2-cycle): max |x_(K+1) + x_K|/c",
            Expect::Holds,
            worst_flip,
            Relation::ApproxEq {
                rtol: 0.0,
                atol: 1e-12,
            },
            0.0,
        ));
        let x1 = sam_run(&f, &Vector::zeros(1), 0.9, rho, 1)?;
        report.push(
            Case::new(
                "x₀ = 0 (g = 0, ε undefined): guarded step stays at 0",
                Expect::Holds,
                x1[0].abs(),
                Relation::EXACT,
                0.0,
            )
            .note("ε = 0 when ∇f = 0 (numerics::optim::sam::ascent_step)"),
        );

        // Multi-D: the limit set is the cycle along the top eigenvector.
        let mut rng = seed.stream("sam-multi-d");
        let q = random_orthogonal(4, &mut rng);
        let lambda = [0.2, 0.5, 1.0, 1.5];
        let gamma = 1.0;
        let fm = Quadratic::homogeneous(with_spectrum(&q, &lambda))?;
        let v_top = q.column(3).into_owned();
        let c_top = gamma * lambda[3] * rho / (2.0 - gamma * lambda[3]);
        let x0 = Vector::from_element(4, 1.0);
        let x_k = sam_run(&fm, &x0, gamma, rho, 4000)?;
        let along = v_top.dot(&x_k);
        let defect = (&x_k - &v_top * (c_top * along.signum())).norm() / c_top;
        report.push(
            Case::new(
                "multi-D quadratic (λ = 0.2, 0.5, 1, 1.5; γ = 1): x_K = ±γλ_maxρ/(2 − γλ_max)·v_top",
                Expect::Holds,
                defect,
                Relation::ApproxEq { rtol: 0.0, atol: 1e-10 },
                0.0,
            )
            .with("component_along_top", along)
            .with("c_top", c_top),
        );
        report.finding(format!(
            "SAM's limit set on a 4-D quadratic (λ = 0.2, 0.5, 1, 1.5, γ = 1, ρ = {rho}) is the 2-cycle ±{c_top:.6}·v_top along the top eigenvector (measured component {along:.6}, off-cycle residual {:.2e}); SAM never reaches the minimiser at a constant step.",
            defect * c_top
        ));

        // Refuting: "SAM converges to the minimiser".
        report.push(
            Case::new(
                "SAM converges to the minimiser 0: min |x_K| over all runs ≤ 1e−6",
                Expect::Violated,
                min_abs,
                Relation::LE,
                1e-6,
            )
            .note("the orbit settles on ±γhρ/(2 − γh) instead"),
        );
        // Refuting: the cycle formula outside its premise (γh = 2.2 > 2).
        let gamma_h = 2.2;
        let c = gamma_h * rho / (2.0 - gamma_h);
        let x_k = sam_run(&f, &Vector::from_element(1, 0.5), gamma_h / h, rho, 100)?;
        report.push(
            Case::new(
                "γh = 2.2 > 2 (premise violated): |x_K| = |γhρ/(2 − γh)|",
                Expect::Violated,
                x_k[0].abs(),
                Relation::EXACT,
                c.abs(),
            )
            .note("|1 − γh| > 1: the orbit diverges"),
        );
        Ok(report)
    }
}
