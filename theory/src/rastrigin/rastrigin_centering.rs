//! C5.4 — the centering condition for smoothed Rastrigin (spec §4.1, §4.2, §5.2).
//!
//! σ_m-nice condition (i) (Sato & Iiduka, Definition 4.1, \[MEM\]):
//! ‖x*_{δ_m} − x*_{δ_{m+1}}‖ ≤ δ_m − δ_{m+1}; Hazan et al.'s version:
//! some x*_{δ/2} has ‖x*_δ − x*_{δ/2}‖ ≤ δ/2.
//!
//! x*_δ = 0 whenever κ(δ) ≥ −1/(20π²) — always for GISO and GUNIT, so centering holds
//! trivially there. For BALL, κ is negative on whole δ-windows; there every coordinate
//! of x*_δ is ±t*(κ) with t* → ½, and "some minimiser" is read with the best sign
//! pattern, so the distance between minimisers at two degrees is √d·|t*₁ − t*₂|.
//!
//! Measured: on the schedule δ_m = 2(M − m + 1)/M (M = 40, steps 0.05) the largest
//! ratio ‖x*_{δ_m} − x*_{δ_{m+1}}‖/(δ_m − δ_{m+1}) per kernel (GISO d = 5, GUNIT d = 5,
//! BALL d = 1, 2, 50), and Hazan's halving version for BALL d = 1. The path is
//! continuous (a pitchfork: t* grows like a square root where κ crosses −1/(20π²)),
//! but so steep that on any practical schedule it acts as a jump of ≈ ½ per
//! coordinate; the finding reports the window over which it happens.

use crate::{Case, Check, Expect, Relation, Report};
use numerics::smoothing::rastrigin_landscape::{coordinate_minimiser, CONVEXITY_KAPPA};
use numerics::smoothing::Kernel;
use numerics::Seed;

/// C5.4: centering along the δ-schedule for each kernel.
#[derive(Debug, Clone, Copy, Default)]
pub struct RastriginCentering;

const STAGES: usize = 40;

/// min over sign patterns of ‖x*_a − x*_b‖ = √d·|t*(κ(a)) − t*(κ(b))|.
fn distance(kernel: Kernel, d: usize, a: f64, b: f64) -> f64 {
    let ta = coordinate_minimiser(kernel.kappa(d, a));
    let tb = coordinate_minimiser(kernel.kappa(d, b));
    (d as f64).sqrt() * (ta - tb).abs()
}

impl Check for RastriginCentering {
    fn id(&self) -> &'static str {
        "rastrigin_centering"
    }
    fn spec_id(&self) -> &'static str {
        "C5.4"
    }
    fn statement(&self) -> &'static str {
        "centering (i): ‖x*_{δ_m} − x*_{δ_{m+1}}‖ ≤ δ_m − δ_{m+1} for smoothed Rastrigin, per kernel"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let deltas: Vec<f64> = (1..=STAGES)
            .map(|m| 2.0 * (STAGES - m + 1) as f64 / STAGES as f64)
            .collect();
        for (kernel, d, expect) in [
            (Kernel::Gaussian, 5usize, Expect::Holds),
            (Kernel::GaussianUnit, 5, Expect::Holds),
            (Kernel::Ball, 50, Expect::Holds),
            (Kernel::Ball, 1, Expect::Violated),
            (Kernel::Ball, 2, Expect::Violated),
        ] {
            let mut worst = (0.0_f64, 0.0, 0.0, 0.0);
            for (m, &delta) in deltas.iter().enumerate() {
                let next = deltas.get(m + 1).copied().unwrap_or(0.0);
                let jump = distance(kernel, d, delta, next);
                let ratio = jump / (delta - next);
                if ratio > worst.0 {
                    worst = (ratio, delta, next, jump);
                }
            }
            report.push(
                Case::new(
                    format!(
                        "{} d={d}: max ‖x*_δm − x*_δm+1‖/(δ_m − δ_m+1) on δ_m = 2(M−m+1)/M, M = {STAGES}",
                        kernel.name()
                    ),
                    expect,
                    worst.0,
                    Relation::LE,
                    1.0,
                )
                .with("kernel", kernel.name())
                .with("d", d)
                .note(if worst.0 > 0.0 {
                    format!(
                        "worst step δ {:.3} → {:.3}: ‖Δx*‖ = {:.4} ({:.4} per coordinate) vs step {:.3}",
                        worst.1,
                        worst.2,
                        worst.3,
                        worst.3 / (d as f64).sqrt(),
                        worst.1 - worst.2
                    )
                } else {
                    "x*_δ = 0 at every stage".to_string()
                }),
            );
        }

        // Hazan's halving version, BALL d = 1: ‖x*_δ − x*_{δ/2}‖ ≤ δ/2 on a δ-grid.
        let grid: Vec<f64> = (1..=400).map(|k| f64::from(k) * 0.005).collect();
        let mut worst = (0.0_f64, 0.0);
        for &delta in &grid {
            let ratio = distance(Kernel::Ball, 1, delta, delta / 2.0) / (delta / 2.0);
            if ratio > worst.0 {
                worst = (ratio, delta);
            }
        }
        report.push(
            Case::new(
                "BALL d=1: Hazan's max ‖x*_δ − x*_δ/2‖/(δ/2) over δ ∈ (0, 2]",
                Expect::Violated,
                worst.0,
                Relation::LE,
                1.0,
            )
            .note(format!("worst at δ = {:.3}", worst.1)),
        );
        // Where κ ≥ −1/(20π²) (δ ≤ 0.5 for BALL d = 1) the minimiser stays at 0.
        let below: Vec<f64> = grid.iter().copied().filter(|&d| d <= 0.5).collect();
        let max_shift = below
            .iter()
            .map(|&d| distance(Kernel::Ball, 1, d, d / 2.0))
            .fold(0.0, f64::max);
        report.push(Case::new(
            "BALL d=1: max ‖x*_δ − x*_δ/2‖ over δ ≤ 0.5 (κ ≥ 0 there)",
            Expect::Holds,
            max_shift,
            Relation::EXACT,
            0.0,
        ));

        // The onset for BALL d = 1 past δ = ½: where κ crosses −1/(20π²), and the δ at
        // which t* reaches 0.25 and 0.4.
        let onset = {
            let (mut a, mut b) = (0.5, 0.6);
            for _ in 0..100 {
                let m = 0.5 * (a + b);
                if Kernel::Ball.kappa(1, m) > -CONVEXITY_KAPPA {
                    a = m;
                } else {
                    b = m;
                }
            }
            0.5 * (a + b)
        };
        let reach = |level: f64| {
            (0..100_000)
                .map(|k| onset + f64::from(k) * 1e-6)
                .find(|&d| coordinate_minimiser(Kernel::Ball.kappa(1, d)) >= level)
                .unwrap_or(f64::NAN)
        };
        report.finding(format!(
            "BALL d=1: x*_δ leaves 0 at δ = {onset:.6} (κ = −1/(20π²)) continuously (pitchfork, \
             square-root onset, so the local slope is unbounded); t* reaches 0.25 at δ = {:.6} and \
             0.4 at δ = {:.6}: a schedule step of 0.05 sees a jump of ≈ ½ per coordinate",
            reach(0.25),
            reach(0.4)
        ));
        Ok(report)
    }
}
