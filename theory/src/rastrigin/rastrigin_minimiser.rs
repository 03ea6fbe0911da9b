//! C5.2 — the minimisers of smoothed Rastrigin (spec §5.2).
//!
//! f̂_δ(x) = const + Σᵢ g(xᵢ), g(t) = t² − 10κ(δ)cos(2πt). Analytic rule:
//!
//! * κ ≥ −1/(20π²): x*_δ = 0 (g(t) − g(0) ≥ t²(1 − 20π²|κ|));
//! * κ < −1/(20π²) (only BALL, on whole δ-intervals): every coordinate is ±t*, t* the
//!   root in (0, ½) of 2t = 20π|κ|sin(2πt) — 2ᵈ global minimisers.
//!
//! And the landscape threshold: for κ ≥ 0, g has spurious local minima iff
//! κ > κ_c = −1/(20π²cos θ₁) ≈ 0.02333 (θ₁ ≈ 4.4934 the first positive root of
//! tan θ = θ); GISO: δ_c = √(ln(1/κ_c)/(2π²)) ≈ 0.436 (spec §3 C3.6, §5.2).
//!
//! Measured: global minimisation of g on [−6, 6] by a 10⁻⁵ grid plus Newton polish,
//! against the analytic t* (1e−10), for GISO, GUNIT and BALL (d = 1, 2, 50) over a
//! δ-list crossing BALL's negative-κ windows; κ_c against a count of local minima on a
//! grid and against the spec's 0.02333 / 0.436. Refuting case: the rule "x*_δ = 0 for
//! every δ" (true for the Gaussian kernels) applied to BALL.

use crate::{Case, Check, Expect, Relation, Report};
use numerics::smoothing::rastrigin_landscape::{coordinate_minimiser, unimodality_threshold};
use numerics::smoothing::Kernel;
use numerics::Seed;
use std::f64::consts::PI;

/// C5.2: x*_δ by global 1-D minimisation vs the analytic rule.
#[derive(Debug, Clone, Copy, Default)]
pub struct RastriginMinimiser;

/// δ values: small, around BALL d = 1's negative window (0.5, 1), d = 2's (0.610,
/// 1.116), the second windows, and d = 50's first window (from 4.90).
const DELTAS: [f64; 12] = [
    0.05, 0.3, 0.55, 0.6, 0.75, 0.9, 1.05, 1.6, 1.75, 2.5, 5.0, 5.3,
];

/// The global minimiser of g on [−6, 6]: best point of a 10⁻⁵ grid, then Newton on g'
/// (a few steps, while g'' > 0).
fn global_minimiser(kappa: f64) -> f64 {
    let g = |t: f64| t * t - 10.0 * kappa * (2.0 * PI * t).cos();
    let mut best = (0.0_f64, f64::INFINITY);
    for k in 0..=1_200_000u32 {
        let t = -6.0 + f64::from(k) * 1e-5;
        let v = g(t);
        if v < best.1 {
            best = (t, v);
        }
    }
    let mut t = best.0;
    for _ in 0..50 {
        let d1 = 2.0 * t + 20.0 * PI * kappa * (2.0 * PI * t).sin();
        let d2 = 2.0 + 40.0 * PI * PI * kappa * (2.0 * PI * t).cos();
        if d2 <= 0.0 {
            break;
        }
        let step = d1 / d2;
        t -= step;
        if step.abs() < 1e-15 {
            break;
        }
    }
    t
}

/// Number of strict local minima of g on a 10⁻⁴ grid over [−6, 6].
fn count_local_minima(kappa: f64) -> usize {
    let g = |t: f64| t * t - 10.0 * kappa * (2.0 * PI * t).cos();
    let h = 1e-4;
    (1..120_000u32)
        .map(|k| -6.0 + f64::from(k) * h)
        .filter(|&t| g(t) < g(t - h) && g(t) < g(t + h))
        .count()
}

impl Check for RastriginMinimiser {
    fn id(&self) -> &'static str {
        "rastrigin_minimiser"
    }
    fn spec_id(&self) -> &'static str {
        "C5.2"
    }
    fn statement(&self) -> &'static str {
        "x*_δ = 0 iff κ(δ) ≥ −1/(20π²), else each coordinate ±t*(κ); spurious minima iff κ > κ_c ≈ 0.02333"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let configurations = [
            (Kernel::Gaussian, 1usize),
            (Kernel::GaussianUnit, 5),
            (Kernel::Ball, 1),
            (Kernel::Ball, 2),
            (Kernel::Ball, 50),
        ];
        let mut ball_d1_at_075 = None;
        for (kernel, d) in configurations {
            let mut worst = (0.0_f64, 0.0, 0.0, 0.0);
            let mut nonzero = 0;
            for delta in DELTAS {
                let kappa = kernel.kappa(d, delta);
                let numeric = global_minimiser(kappa).abs();
                let analytic = coordinate_minimiser(kappa);
                let err = (numeric - analytic).abs();
                if analytic > 0.0 {
                    nonzero += 1;
                }
                if err >= worst.0 {
                    worst = (err, delta, numeric, analytic);
                }
                if kernel == Kernel::Ball && d == 1 && (delta - 0.75).abs() < 1e-12 {
                    ball_d1_at_075 = Some(numeric);
                }
            }
            report.push(
                Case::new(
                    format!("{} d={d}: |global 1-D minimiser| vs analytic t*, {} δ", kernel.name(), DELTAS.len()),
                    Expect::Holds,
                    worst.0,
                    Relation::ApproxEq {
                        rtol: 0.0,
                        atol: 1e-10,
                    },
                    0.0,
                )
                .with("kernel", kernel.name())
                .with("d", d)
                .note(format!(
                    "{nonzero} of {} δ have x*_δ ≠ 0; worst δ = {}: grid+Newton {:.12} vs analytic {:.12}",
                    DELTAS.len(),
                    worst.1,
                    worst.2,
                    worst.3
                )),
            );
        }

        // κ_c: below it one local minimum (t = 0), above it more.
        let kc = unimodality_threshold();
        for (factor, expect_spurious) in [(0.999, false), (1.001, true)] {
            let kappa = kc * factor;
            let minima = count_local_minima(kappa) as f64;
            report.push(
                Case::new(
                    format!("number of local minima of g at κ = {factor}·κ_c"),
                    Expect::Holds,
                    minima,
                    if expect_spurious {
                        Relation::Ge {
                            rtol: 0.0,
                            atol: 0.0,
                        }
                    } else {
                        Relation::Le {
                            rtol: 0.0,
                            atol: 0.0,
                        }
                    },
                    if expect_spurious { 3.0 } else { 1.0 },
                )
                .note("counted on a 10⁻⁴ grid over [−6, 6]; spurious minima come in ± pairs"),
            );
        }
        // The spec quotes κ_c ≈ 0.02333; the root gives 0.0233208 (4 significant digits:
        // 0.02332), so the anchor is compared at the precision "≈" allows (0.1%).
        report.push(
            Case::new(
                "κ_c = −1/(20π²cos θ₁), tan θ₁ = θ₁, vs spec ≈ 0.02333 (0.1%)",
                Expect::Holds,
                kc,
                Relation::ApproxEq {
                    rtol: 1e-3,
                    atol: 0.0,
                },
                0.02333,
            )
            .note("the root is 0.0233208, which rounds to 0.02332, not 0.02333"),
        );
        let delta_c = ((1.0 / kc).ln() / (2.0 * PI * PI)).sqrt();
        report.push(Case::new(
            "GISO δ_c with e^{−2π²δ²} = κ_c vs spec 0.436",
            Expect::Holds,
            delta_c,
            Relation::Within {
                lo: 0.4355,
                hi: 0.4365,
            },
            0.436,
        ));
        report.finding(format!(
            "κ_c = {kc:.8} (GISO δ_c = {delta_c:.6}); for κ < 0 (BALL) spurious minima appear \
             for |κ| > {:.8} (root θ₂ ≈ 7.7253 of tan θ = θ)",
            numerics::smoothing::rastrigin_landscape::negative_unimodality_threshold()
        ));

        // Refuting case: "x*_δ = 0" applied to BALL d = 1 at δ = 0.75 (κ = −0.2122).
        if let Some(numeric) = ball_d1_at_075 {
            report.push(
                Case::new(
                    "BALL d=1 δ=0.75: |global minimiser| vs the Gaussian-kernel rule x*_δ = 0",
                    Expect::Violated,
                    numeric,
                    Relation::ApproxEq {
                        rtol: 0.0,
                        atol: 1e-10,
                    },
                    0.0,
                )
                .note("κ_BALL(1, 0.75) = −0.212 < −1/(20π²): 0 is a local maximum"),
            );
        }
        Ok(report)
    }
}
