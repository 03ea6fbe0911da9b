//! C9.1a — the three-point noise ball: constant-step SGD on ½Σᵢ‖x − cᵢ‖² (Σcᵢ = 0) stalls
//! at E‖x‖² = γ/(2 − γ)·mean‖cᵢ‖², while GD with γ = 1/3 on the sum jumps to x* = 0.
//!
//! Statement (lecture 003, "SGD – Example"; spec §9.1): x̄ is a fixed point of every
//! SGD step iff every ∇fᵢ(x̄) = 0. For fᵢ(x) = ½‖x − cᵢ‖² with Σcᵢ = 0 the minimiser is
//! x* = 0 but ∇fᵢ(0) = −cᵢ ≠ 0, so constant-step SGD converges only to a noise ball.
//! With i uniform, the SGD map x ↦ (1 − γ)x + γcᵢ gives (since E cᵢ = 0)
//! E‖x_{k+1}‖² = (1 − γ)²E‖x_k‖² + γ²·mean‖cᵢ‖², whose fixed point is
//! s(γ) = γ/(2 − γ)·mean‖cᵢ‖² = mean‖cᵢ‖²/5 = 0.8 for γ = 1/3, ‖cᵢ‖ = 2.
//! Full-batch GD on the sum F = ½Σ‖x − cᵢ‖² has ∇F = 3x − Σcᵢ = 3x, so the step
//! γ = 1/3 lands on x* = 0 in one step.
//!
//! Measured: single-sample SGD through [`ThreePoint::sample_gradient`], time-averaged
//! ‖x_k‖² over 100 independent runs (after a burn-in with (1 − γ)^{2K} < 1e−12); the SE
//! comes from the 100 run means (so autocorrelation is accounted for). References: the
//! closed form s(γ) at γ = 1/3 (0.8) and γ = 0.2 (4/9), Bonferroni |z| over the two.
//!
//! Refuting cases (must be FALSIFIED): "constant-step SGD converges to x̄ = 0", i.e.
//! lim E‖x_k − x̄‖² = 0 although ∇fᵢ(x̄) ≠ 0; "x̄ = 0 is a fixed point of every SGD
//! step". Their holding counterparts use three equal centres (every ∇fᵢ(x̄) = 0).

use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{FiniteSum, Objective, ThreePoint};
use numerics::stats::{bonferroni_z, RunningStats};
use numerics::{Seed, Vector};
use rand::Rng;

/// C9.1a: three-point noise ball E‖x‖² = γ/(2 − γ)·mean‖cᵢ‖²; GD jumps to x* in one step.
#[derive(Debug, Clone, Copy)]
pub struct NoiseBallThreePoint;

/// Independent runs (the SE is taken over their means).
const RUNS: usize = 100;
/// Steps averaged per run after the burn-in.
const STEPS: usize = 20_000;

/// One SGD step x ← x − γ∇fᵢ(x) with i uniform.
fn sgd_step(f: &ThreePoint, x: &mut Vector, gamma: f64, rng: &mut impl Rng) {
    let i = rng.random_range(0..f.n());
    let g = f.sample_gradient(i, x);
    x.axpy(-gamma, &g, 1.0);
}

/// Burn-in length K with (1 − γ)^{2K} < 1e−12 (relative bias of E‖x_K‖² from x₀ = x̄).
fn burn_in(gamma: f64) -> usize {
    ((1e-12_f64).ln() / (2.0 * (1.0 - gamma).ln())).ceil() as usize
}

/// Time-averaged ‖x_k − x̄‖² per run, collected over runs (x₀ = x̄).
fn stationary_second_moment(f: &ThreePoint, gamma: f64, rng: &mut impl Rng) -> RunningStats {
    let centre = f.minimiser().clone();
    let mut over_runs = RunningStats::new();
    for _ in 0..RUNS {
        let mut x = centre.clone();
        for _ in 0..burn_in(gamma) {
            sgd_step(f, &mut x, gamma, rng);
        }
        let mut sum = 0.0;
        for _ in 0..STEPS {
            sgd_step(f, &mut x, gamma, rng);
            sum += (&x - &centre).norm_squared();
        }
        over_runs.push(sum / STEPS as f64);
    }
    over_runs
}

impl Check for NoiseBallThreePoint {
    fn id(&self) -> &'static str {
        "noise_ball_three_point"
    }
    fn spec_id(&self) -> &'static str {
        "C9.1a"
    }
    fn statement(&self) -> &'static str {
        "Constant-step SGD on ½Σ‖x − cᵢ‖² (Σcᵢ = 0) stalls at E‖x‖² = γ/(2 − γ)·mean‖cᵢ‖² \
         (0.8 for γ = 1/3, ‖cᵢ‖ = 2); GD with γ = 1/3 on the sum reaches x* = 0 in one step"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);
        let radius = 2.0;
        let f = ThreePoint::equilateral(radius)?;
        let n = f.n() as f64;
        let mean_c2 = f.centres().iter().map(Vector::norm_squared).sum::<f64>() / n;
        let mut rng = seed.stream("noise-ball-three-point");

        // Stationary second moment, two step sizes (Bonferroni over the pair).
        let steps = [1.0 / 3.0, 0.2];
        let zmax = bonferroni_z(steps.len(), 1e-3);
        let mut lecture_stats = RunningStats::new();
        for (k, &gamma) in steps.iter().enumerate() {
            let st = stationary_second_moment(&f, gamma, &mut rng);
            // Reference: fixed point of E‖x'‖² = (1 − γ)²E‖x‖² + γ²mean‖cᵢ‖².
            let reference = gamma / (2.0 - gamma) * mean_c2;
            report.push(
                Case::mean_z(
                    format!("stationary E‖x‖², γ = {gamma:.4}"),
                    Expect::Holds,
                    &st,
                    zmax,
                    reference,
                )
                .with("gamma", gamma)
                .with("radius", radius)
                .with("runs", RUNS)
                .with("steps_per_run", STEPS)
                .with("burn_in", burn_in(gamma))
                .note("time average per run after burn-in; SE over run means; reference γ/(2 − γ)·mean‖cᵢ‖²"),
            );
            if k == 0 {
                lecture_stats = st;
            }
        }
        report.finding(format!(
            "γ = 1/3, ‖cᵢ‖ = 2: simulated stationary E‖x‖² = {:.5} ± {:.5} (SE); the closed \
             form mean‖cᵢ‖²/5 = 0.8 (the spec's MC gave 0.8009)",
            lecture_stats.mean(),
            lecture_stats.std_error()
        ));

        // GD on the sum F = N·f with γ = 1/3 from an arbitrary point: one step to x*.
        let x0 = Vector::from_vec(vec![1.7, -0.4]);
        let grad_sum = f.gradient(&x0) * n;
        let x1 = &x0 - grad_sum * (1.0 / 3.0);
        report.push(
            Case::new(
                "GD on ½Σ‖x − cᵢ‖², γ = 1/3: ‖x₁ − x*‖",
                Expect::Holds,
                (&x1 - f.minimiser()).norm(),
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-14,
                },
                0.0,
            )
            .with("x0", x0.as_slice())
            .note("∇F(x) = 3x − Σcᵢ = 3x, so x₁ = x₀ − x₀ = 0"),
        );

        // Refuting: SGD started at x̄ = 0 leaves it (∇fᵢ(0) = −cᵢ ≠ 0).
        let xbar = f.minimiser().clone();
        let gamma = 1.0 / 3.0;
        let max_move = (0..f.n())
            .map(|i| (f.sample_gradient(i, &xbar) * gamma).norm())
            .fold(0.0, f64::max);
        report.push(
            Case::new(
                "x̄ = 0 is a fixed point of every SGD step (∇fᵢ(x̄) ≠ 0)",
                Expect::Violated,
                max_move,
                Relation::LE,
                0.0,
            )
            .with("gamma", gamma)
            .note("max over i of ‖γ∇fᵢ(x̄)‖ = γ‖cᵢ‖ = 2/3"),
        );
        report.push(
            Case::new(
                "constant-step SGD converges to x̄: lim E‖x_k − x̄‖² = 0 (∇fᵢ(x̄) ≠ 0)",
                Expect::Violated,
                lecture_stats.mean(),
                Relation::stochastic_le(lecture_stats.std_error()),
                0.0,
            )
            .with("gamma", gamma)
            .note("the stationary level measured above, against the claimed limit 0"),
        );

        // Holding counterparts: three equal centres c, so every ∇fᵢ(c) = 0.
        let c = Vector::from_vec(vec![0.5, -1.0]);
        let g = ThreePoint::new(vec![c.clone(), c.clone(), c.clone()])?;
        let max_move = (0..g.n())
            .map(|i| (g.sample_gradient(i, &c) * gamma).norm())
            .fold(0.0, f64::max);
        report.push(
            Case::new(
                "equal centres: x̄ = c is a fixed point of every SGD step",
                Expect::Holds,
                max_move,
                Relation::LE,
                0.0,
            )
            .with("gamma", gamma),
        );
        let mut x = Vector::from_vec(vec![3.0, 2.0]);
        let e0 = (&x - &c).norm_squared();
        let k_steps: i32 = 30;
        for _ in 0..k_steps {
            sgd_step(&g, &mut x, gamma, &mut rng);
        }
        // Every step contracts x − c by (1 − γ), so ‖x_K − c‖² = (1 − γ)^{2K}‖x₀ − c‖².
        let reference = (1.0 - gamma).powi(2 * k_steps) * e0;
        report.push(
            Case::new(
                "equal centres: constant-step SGD converges to x̄ = c",
                Expect::Holds,
                (&x - &c).norm_squared(),
                Relation::ApproxEq {
                    rtol: 1e-8,
                    atol: 1e-300,
                },
                reference,
            )
            .with("gamma", gamma)
            .with("steps", k_steps)
            .note("reference (1 − γ)^{2K}‖x₀ − c‖²"),
        );

        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}
