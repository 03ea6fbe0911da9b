//! C9.1b — the two-function cycle: SGD on f₁,₂ = ½(x ∓ a)² in cyclic order with step γ
//! settles on the 2-cycle ±γa/(2 − γ), not on the minimiser x* = 0.
//!
//! Statement (lecture 003, "Example – Large gradients at solution"; spec §9.1): with
//! individual gradients ∓a at the solution 0, cyclic SGD x ← x − γ∇fᵢ(x) alternates
//! x ↦ (1 − γ)x + γa and x ↦ (1 − γ)x − γa. The 2-cycle p = (1 − γ)q + γa,
//! q = (1 − γ)p − γa has p = −q = γ²a/(1 − (1 − γ)²) = γa/(2 − γ), approached at the rate
//! (1 − γ)² per cycle. For γ = 0.07: ±0.0301 (a = 0.83) and ±7.25e−4 (a = 0.02, the
//! lecture's "outward shift"); the excess loss on the cycle is ½p² ∝ a², so the smaller
//! individual gradients give a 1722× lower floor. The concrete fᵢ are our choice (the
//! lecture gives only |∇fᵢ(0)|).
//!
//! Measured: cyclic SGD through [`TwoCycle::sample_gradient`] for 600 cycles from
//! x₀ = 1 (contraction (0.93)^1200 ≈ 1e−38), the iterates after the f₁ and f₂ steps.
//! References: the closed form ±γa/(2 − γ) (absolute tolerance 1e−15), the lecture's
//! rounded values (half a unit of their last digit), and ∇fᵢ(0) = ∓a.
//!
//! Refuting cases (must be FALSIFIED): "constant-step SGD converges to x* = 0", i.e.
//! max |x_k| over the last cycle ≤ 1e−12 although ∇fᵢ(0) ≠ 0, for both a.

use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{FiniteSum, TwoCycle};
use numerics::{Seed, Vector};

/// C9.1b: cyclic SGD on ½(x ∓ a)² settles on the 2-cycle ±γa/(2 − γ).
#[derive(Debug, Clone, Copy)]
pub struct NoiseBallTwoCycle;

/// Cycles (f₁ then f₂) run before reading off the 2-cycle.
const CYCLES: usize = 600;
/// The lecture's step size.
const GAMMA: f64 = 0.07;

/// Iterates after the f₁ and the f₂ step of the last cycle.
fn last_cycle(f: &TwoCycle, gamma: f64) -> (f64, f64) {
    let mut x = Vector::from_element(1, 1.0);
    let (mut after_1, mut after_2) = (0.0, 0.0);
    for _ in 0..CYCLES {
        for i in 0..2 {
            let g = f.sample_gradient(i, &x);
            x.axpy(-gamma, &g, 1.0);
            if i == 0 {
                after_1 = x[0];
            } else {
                after_2 = x[0];
            }
        }
    }
    (after_1, after_2)
}

impl Check for NoiseBallTwoCycle {
    fn id(&self) -> &'static str {
        "noise_ball_two_cycle"
    }
    fn spec_id(&self) -> &'static str {
        "C9.1b"
    }
    fn statement(&self) -> &'static str {
        "Cyclic constant-step SGD on ½(x ∓ a)² settles on the 2-cycle ±γa/(2 − γ) \
         (±0.0301 for a = 0.83, ±7.25e−4 for a = 0.02, γ = 0.07), not on x* = 0"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);
        // (a, the lecture's rounded cycle value, half a unit of its last digit).
        let cases = [(0.83, 0.0301, 0.5e-4), (0.02, 7.25e-4, 0.5e-6)];
        let mut floors = Vec::new();
        for &(a, lecture, half_unit) in &cases {
            let f = TwoCycle::new(a)?;
            let zero = Vector::zeros(1);
            let g1 = f.sample_gradient(0, &zero)[0];
            let g2 = f.sample_gradient(1, &zero)[0];
            report.push(
                Case::new(
                    format!("a = {a}: ∇f₁(0) = −a"),
                    Expect::Holds,
                    g1,
                    Relation::EXACT,
                    -a,
                )
                .with("a", a),
            );
            report.push(
                Case::new(
                    format!("a = {a}: ∇f₂(0) = +a"),
                    Expect::Holds,
                    g2,
                    Relation::EXACT,
                    a,
                )
                .with("a", a),
            );
            let (p, q) = last_cycle(&f, GAMMA);
            // Reference: the 2-cycle of the two affine maps (module doc).
            let cycle = GAMMA * a / (2.0 - GAMMA);
            let tight = Relation::ApproxEq {
                rtol: 0.0,
                atol: 1e-15,
            };
            report.push(
                Case::new(
                    format!("a = {a}: iterate after the f₁ step = +γa/(2 − γ)"),
                    Expect::Holds,
                    p,
                    tight,
                    cycle,
                )
                .with("a", a)
                .with("gamma", GAMMA)
                .with("cycles", CYCLES),
            );
            report.push(
                Case::new(
                    format!("a = {a}: iterate after the f₂ step = −γa/(2 − γ)"),
                    Expect::Holds,
                    q,
                    tight,
                    -cycle,
                )
                .with("a", a)
                .with("gamma", GAMMA)
                .with("cycles", CYCLES),
            );
            report.push(
                Case::new(
                    format!("a = {a}: cycle amplitude vs the lecture's {lecture}"),
                    Expect::Holds,
                    p,
                    Relation::ApproxEq {
                        rtol: 0.0,
                        atol: half_unit,
                    },
                    lecture,
                )
                .with("a", a)
                .note("the spec's rounded value; tolerance half a unit of its last digit"),
            );
            report.push(
                Case::new(
                    format!("a = {a}: constant-step SGD converges to x* = 0"),
                    Expect::Violated,
                    p.abs().max(q.abs()),
                    Relation::Le {
                        rtol: 0.0,
                        atol: 1e-12,
                    },
                    0.0,
                )
                .with("a", a)
                .with("gamma", GAMMA)
                .note("∇fᵢ(0) = ∓a ≠ 0, so 0 is not a fixed point of the SGD steps"),
            );
            floors.push(0.5 * p * p);
        }
        // Excess loss on the cycle: f(±p) − f* = ½p², so the ratio of the floors is (a₁/a₂)².
        let ratio = floors[0] / floors[1];
        report.push(
            Case::new(
                "floor ratio ½p²(a = 0.83)/½p²(a = 0.02) = (0.83/0.02)²",
                Expect::Holds,
                ratio,
                Relation::ApproxEq {
                    rtol: 1e-12,
                    atol: 0.0,
                },
                (0.83_f64 / 0.02).powi(2),
            )
            .note("the outward shift lowers the stationary excess loss 1722-fold"),
        );
        report.finding(format!(
            "γ = 0.07: 2-cycle ±{:.6} (a = 0.83) and ±{:.4e} (a = 0.02); excess loss on the \
             cycle {:.3e} vs {:.3e}",
            GAMMA * 0.83 / (2.0 - GAMMA),
            GAMMA * 0.02 / (2.0 - GAMMA),
            floors[0],
            floors[1]
        ));
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}
