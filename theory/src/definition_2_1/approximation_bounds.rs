//! C1.4 — how far the smoothed function is from f (spec §1.2d).
//!
//! * f L_f-Lipschitz: |f̂_δ(x) − f(x)| ≤ E|f(x − δu) − f(x)| ≤ L_f·δ·E‖u‖;
//! * f L_g-smooth: |f̂_δ(x) − f(x)| ≤ (L_g/2)·δ²·E‖u‖² (Taylor, the linear term
//!   averages out because E\[u\] = 0).
//!
//! Hazan et al. state the first bound as ≤ δL_f, which is right for BALL
//! (E‖u‖ = d/(d + 1) ≤ 1) but not for the Gaussian kernels, where E‖u‖ ≈ √d (GISO).
//!
//! Measured: sup over 10⁴ random points of |f̂_δ − f| with the exact f̂_δ, for
//! f = ‖x‖₁ (L_f = √d; exact smoothing by folded-normal / Wallis closed forms), for
//! Rastrigin as an L_g-smooth function (L_g = 2 + 40π²), and for Rastrigin restricted
//! to the box [−5.12, 5.12]ᵈ as a Lipschitz function under BALL (points kept δ away
//! from the faces, so that x − δu stays in the box; L_f ≤ √d(2·5.12 + 20π)).
//! Refuting case: Hazan's ≤ δL_f applied to the GISO kernel.

use super::uniform_vector;
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{L1Norm, Objective, Rastrigin, SmoothedL1Norm};
use numerics::smoothing::{Kernel, SmoothedRastrigin};
use numerics::{Seed, Vector};
use std::f64::consts::PI;

/// C1.4: approximation bounds |f̂_δ − f| ≤ L_fδE‖u‖ and ≤ (L_g/2)δ²E‖u‖².
#[derive(Debug, Clone, Copy, Default)]
pub struct ApproximationBounds;

const POINTS: usize = 10_000;
const DELTAS: [f64; 3] = [0.1, 0.5, 2.0];
const DIMENSIONS: [usize; 3] = [1, 5, 50];

/// sup over the points of |f̂_δ(x) − f(x)|, the points being `points(k)`.
fn sup_gap(
    f: &dyn Objective,
    smoothed: &dyn Objective,
    points: impl Iterator<Item = Vector>,
) -> f64 {
    points
        .map(|x| (smoothed.value(&x) - f.value(&x)).abs())
        .fold(0.0, f64::max)
}

/// The case "sup_x |f̂_δ(x) − f(x)| ≤ bound" (the hypothesis holds), with the slack in
/// the note after `prefix`.
fn gap_case(name: String, gap: f64, bound: f64, prefix: &str) -> Case {
    Case::new(name, Expect::Holds, gap, Relation::LE, bound)
        .note(format!("{prefix}slack bound/sup = {:.3}", bound / gap))
}

impl Check for ApproximationBounds {
    fn id(&self) -> &'static str {
        "approximation_bounds"
    }
    fn spec_id(&self) -> &'static str {
        "C1.4"
    }
    fn statement(&self) -> &'static str {
        "|f̂_δ − f| ≤ L_f·δ·E‖u‖ (f Lipschitz); |f̂_δ − f| ≤ (L_g/2)·δ²·E‖u‖² (f L_g-smooth)"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("approximation-bounds-points");

        // ‖x‖₁ (Lipschitz, L_f = √d): points U[−2δ, 2δ]ᵈ, plus x = 0 where the gap
        // δ·Σ E|uᵢ| is largest.
        for kernel in Kernel::ALL {
            for d in DIMENSIONS {
                for delta in DELTAS {
                    let f = L1Norm::new(d)?;
                    let smoothed = SmoothedL1Norm::new(d, kernel, delta)?;
                    let points = std::iter::once(Vector::zeros(d)).chain(
                        (1..POINTS).map(|_| uniform_vector(d, -2.0 * delta, 2.0 * delta, &mut rng)),
                    );
                    let gap = sup_gap(&f, &smoothed, points);
                    let bound = f.lipschitz() * delta * kernel.mean_norm(d);
                    report.push(gap_case(
                        format!(
                            "‖x‖₁ {} d={d} δ={delta}: sup|f̂−f| ≤ √d·δ·E‖u‖",
                            kernel.name()
                        ),
                        gap,
                        bound,
                        "",
                    ));
                }
            }
        }

        // Rastrigin as an L_g-smooth function: L_g = sup|2 + 40π²cos| = 2 + 40π².
        let lg = 2.0 + 40.0 * PI * PI;
        for kernel in Kernel::ALL {
            for d in [2usize, 10] {
                for delta in DELTAS {
                    let f = Rastrigin::new(d)?;
                    let smoothed = SmoothedRastrigin::new(d, kernel, delta)?;
                    let points = (0..POINTS)
                        .map(|_| uniform_vector(d, -Rastrigin::BOX, Rastrigin::BOX, &mut rng));
                    let gap = sup_gap(&f, &smoothed, points);
                    let bound = 0.5 * lg * delta * delta * kernel.second_moment(d);
                    report.push(gap_case(
                        format!(
                            "Rastrigin (L_g-smooth) {} d={d} δ={delta}: sup|f̂−f| ≤ (L_g/2)δ²E‖u‖²",
                            kernel.name()
                        ),
                        gap,
                        bound,
                        "",
                    ));
                }
            }
        }

        // Rastrigin restricted to the box, Lipschitz, BALL: |f'(t)| = |2t + 20π sin 2πt|
        // ≤ 2·5.12 + 20π on [−5.12, 5.12], so L_f ≤ √d(10.24 + 20π) on the box.
        for d in [2usize, 10] {
            for delta in [0.1, 0.5] {
                let f = Rastrigin::new(d)?;
                let smoothed = SmoothedRastrigin::new(d, Kernel::Ball, delta)?;
                let half = Rastrigin::BOX - delta;
                let points = (0..POINTS).map(|_| uniform_vector(d, -half, half, &mut rng));
                let gap = sup_gap(&f, &smoothed, points);
                let lf = (d as f64).sqrt() * (2.0 * Rastrigin::BOX + 20.0 * PI);
                let bound = lf * delta * Kernel::Ball.mean_norm(d);
                report.push(gap_case(
                    format!("Rastrigin on the box, ball d={d} δ={delta}: sup|f̂−f| ≤ L_f·δ·E‖u‖"),
                    gap,
                    bound,
                    &format!("L_f = {lf:.2}; "),
                ));
            }
        }

        // Refuting case: Hazan's |f̂_δ − f| ≤ δL_f (true for BALL, E‖u‖ ≤ 1) applied to
        // GISO: at x = 0, f̂_δ(0) − f(0) = δ·d·√(2/π) > δ√d for d ≥ 2.
        let (d, delta) = (5, 1.0);
        let f = L1Norm::new(d)?;
        let gap = SmoothedL1Norm::new(d, Kernel::Gaussian, delta)?.value(&Vector::zeros(d));
        report.push(
            Case::new(
                "‖x‖₁ gaussian d=5 δ=1 x=0: Hazan's |f̂−f| ≤ δL_f outside BALL",
                Expect::Violated,
                gap,
                Relation::LE,
                delta * f.lipschitz(),
            )
            .note("E‖u‖ ≈ √d for GISO: the BALL form of the bound does not transfer"),
        );
        Ok(report)
    }
}
