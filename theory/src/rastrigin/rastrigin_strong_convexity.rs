//! C5.3 — local strong convexity of smoothed Rastrigin on balls around x*_δ, and the
//! claim "Rastrigin is σ-nice" (spec §4.1, §5.2; Sato & Iiduka, arXiv 2412.11501).
//!
//! σ(δ; R) = min over ‖x − x*_δ‖ ≤ R of λ_min(∇²f̂_δ(x)) = 2 + 40π²·min_{|t−t*|≤R} κcos(2πt)
//! (diagonal Hessian; one coordinate alone can move by R). Hazan et al.'s σ-nice
//! needs σ(δ; 3δ) > 0 for every δ > 0.
//!
//! Measured on the grid of 8000 points δ = k/1000 ∈ (0, 8], ends refined by
//! bisection:
//!
//! * GISO, R = 3δ and R = δ: the failure intervals {δ: σ ≤ 0}, their ends against
//!   independent roots (upper end √(ln(20π²)/(2π²)); lower end the root of
//!   κ(δ)cos(2πRδ/δ) = −1/(20π²) past the quarter period) and against the spec's
//!   anchors (0.0848, 0.5174) and (0.254, 0.517);
//! * the claim "smoothed Rastrigin is σ-nice" under Hazan's radius 3δ (GISO, and BALL
//!   d = 1, d = 50): FALSIFIED, with the failure set reported;
//! * the paper-style radius r·(δ_m − δ_{m+1}) on the schedule
//!   δ_m = δ_1((M − m + 1)/M)^p (δ_1 = 2, p = 1, r = 3): stages that fail for M = 10,
//!   none for M = 50.

use crate::support::bisect;
use crate::{Case, Check, Expect, Relation, Report, Verdict};
use numerics::smoothing::rastrigin_landscape::{
    failure_intervals, modulus, stage_moduli, Interval, RadiusRule, CONVEXITY_KAPPA,
};
use numerics::smoothing::Kernel;
use numerics::Seed;
use std::f64::consts::PI;

/// C5.3: σ(δ; R) on a δ-grid, failure intervals, the σ-nice claim.
#[derive(Debug, Clone, Copy, Default)]
pub struct RastriginStrongConvexity;

fn show(intervals: &[Interval]) -> String {
    let parts: Vec<String> = intervals
        .iter()
        .map(|i| format!("({:.5}, {:.5})", i.lo, i.hi))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(" ∪ ")
    }
}

/// Polynomial schedule δ_m = δ_1((M − m + 1)/M)^p, m = 1..M.
fn schedule(delta1: f64, m_stages: usize, p: f64) -> Vec<f64> {
    (1..=m_stages)
        .map(|m| delta1 * ((m_stages - m + 1) as f64 / m_stages as f64).powf(p))
        .collect()
}

impl Check for RastriginStrongConvexity {
    fn id(&self) -> &'static str {
        "rastrigin_strong_convexity"
    }
    fn spec_id(&self) -> &'static str {
        "C5.3"
    }
    fn statement(&self) -> &'static str {
        "σ(δ; R) = 2 + 40π² min_{|t−t*|≤R} κ(δ)cos 2πt; Rastrigin is σ-nice (σ(δ; 3δ) > 0 ∀δ) — claimed"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let grid: Vec<f64> = (1..=8000).map(|k| f64::from(k) * 1e-3).collect();
        let exact = Relation::ApproxEq {
            rtol: 0.0,
            atol: 1e-10,
        };
        // Upper end for GISO: 40π²κ = 2 with κ = e^{−2π²δ²}, the ball reaching t = ½.
        let upper = ((20.0 * PI * PI).ln() / (2.0 * PI * PI)).sqrt();

        for (r, anchor_lo, anchor_hi, digits) in
            [(3.0, 0.0848, 0.5174, 5e-5), (1.0, 0.254, 0.517, 5e-4)]
        {
            let iv = failure_intervals(Kernel::Gaussian, 1, &grid, RadiusRule::Proportional(r))?;
            report.push(
                Case::new(
                    format!("GISO R={r}δ: number of failure intervals in (0, 8]"),
                    Expect::Holds,
                    iv.len() as f64,
                    Relation::EXACT,
                    1.0,
                )
                .note(show(&iv)),
            );
            report.finding(format!(
                "GISO, radius {r}δ: σ(δ; {r}δ) ≤ 0 on {} (spec anchor ({anchor_lo}, {anchor_hi}))",
                show(&iv)
            ));
            let Some(first) = iv.first().copied() else {
                continue;
            };
            // Independent lower end: past the quarter period (rδ > ¼) the minimum of cos
            // over the ball sits at its edge, so σ = 0 ⇔ κ(δ)cos(2πrδ) = −1/(20π²).
            let h = |delta: f64| {
                Kernel::Gaussian.kappa(1, delta) * (2.0 * PI * r * delta).cos() + CONVEXITY_KAPPA
            };
            let lower = bisect(h, 0.25 / r, 0.5 / r).unwrap_or(f64::NAN);
            report.push(Case::new(
                format!("GISO R={r}δ: lower end vs root of κ(δ)cos(2π{r}δ) = −1/(20π²)"),
                Expect::Holds,
                first.lo,
                exact,
                lower,
            ));
            report.push(Case::new(
                format!("GISO R={r}δ: upper end vs √(ln(20π²)/(2π²))"),
                Expect::Holds,
                first.hi,
                exact,
                upper,
            ));
            report.push(
                Case::new(
                    format!("GISO R={r}δ: upper end vs spec anchor {anchor_hi}"),
                    Expect::Holds,
                    first.hi,
                    Relation::Within {
                        lo: anchor_hi - 2.0 * digits,
                        hi: anchor_hi + 2.0 * digits,
                    },
                    anchor_hi,
                )
                .note("tolerance: one unit of the anchor's last digit"),
            );
            // The spec's lower anchors are wrong in the last digit: σ(anchor) is already
            // far below 0 (e.g. σ(0.0848; 3·0.0848) = −7.47).
            report.push(
                Case::new(
                    format!("GISO R={r}δ: lower end vs spec anchor {anchor_lo} (spec value off)"),
                    Expect::Violated,
                    first.lo,
                    Relation::Within {
                        lo: anchor_lo - digits,
                        hi: anchor_lo + digits,
                    },
                    anchor_lo,
                )
                .note(format!(
                    "σ at the anchor = {:.3}; the anchor rounds a wrong root",
                    modulus(Kernel::Gaussian, 1, anchor_lo, RadiusRule::Proportional(r))
                )),
            );
            report.finding(format!(
                "spec anchor error: the lower end of the GISO failure interval for radius {r}δ is \
                 {:.5}, not {anchor_lo}; σ({anchor_lo}; {r}·{anchor_lo}) = {:.3} < 0",
                first.lo,
                modulus(Kernel::Gaussian, 1, anchor_lo, RadiusRule::Proportional(r))
            ));
        }

        // σ ≥ 2 for δ ≤ 1/12 under R = 3δ (cos ≥ 0 on the ball), with equality at 1/12.
        let small: Vec<f64> = grid.iter().copied().filter(|&d| d <= 1.0 / 12.0).collect();
        let min_small = small
            .iter()
            .map(|&d| modulus(Kernel::Gaussian, 1, d, RadiusRule::Proportional(3.0)))
            .fold(f64::INFINITY, f64::min);
        report.push(Case::new(
            "GISO: min σ(δ; 3δ) over grid δ ≤ 1/12 is ≥ 2 (cos ≥ 0 on the ball)",
            Expect::Holds,
            min_small,
            Relation::GE,
            2.0,
        ));
        report.push(Case::new(
            "GISO: σ(1/12; 1/4) = 2 exactly (cos(π/2) = 0)",
            Expect::Holds,
            modulus(
                Kernel::Gaussian,
                1,
                1.0 / 12.0,
                RadiusRule::Proportional(3.0),
            ),
            Relation::EXACT,
            2.0,
        ));

        // The σ-nice claim (local strong convexity for every δ, Hazan's radius 3δ).
        for (kernel, d) in [
            (Kernel::Gaussian, 1usize),
            (Kernel::Ball, 1),
            (Kernel::Ball, 50),
        ] {
            let sigma: Vec<f64> = grid
                .iter()
                .map(|&delta| modulus(kernel, d, delta, RadiusRule::Proportional(3.0)))
                .collect();
            let (imin, min_sigma) = sigma
                .iter()
                .copied()
                .enumerate()
                .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
            let failing = sigma.iter().filter(|&&s| s <= 0.0).count();
            let iv = failure_intervals(kernel, d, &grid, RadiusRule::Proportional(3.0))?;
            report.push(
                Case::new(
                    format!(
                        "claim: {} d={d} smoothed Rastrigin is σ-nice (min σ(δ; 3δ) > 0 on (0, 8])",
                        kernel.name()
                    ),
                    Expect::Violated,
                    min_sigma,
                    Relation::Ge {
                        rtol: 0.0,
                        atol: 0.0,
                    },
                    0.0,
                )
                .with("kernel", kernel.name())
                .with("d", d)
                .note(format!(
                    "min at δ = {:.3}; σ ≤ 0 on {failing}/{} grid points",
                    grid[imin],
                    grid.len()
                )),
            );
            report.finding(format!(
                "FALSIFIED under Hazan's radius 3δ: {} d={d} smoothed Rastrigin has σ(δ; 3δ) ≤ 0 on {} \
                 ({failing} of {} grid points in (0, 8])",
                kernel.name(),
                show(&iv),
                grid.len()
            ));
            if kernel == Kernel::Ball && d == 50 {
                // Spec §5.2: BALL d = 50 fails on (0.0848, 3.53) and again in windows from 4.90.
                if let Some(a) = iv.first() {
                    report.push(
                        Case::new(
                            "BALL d=50 R=3δ: end of the first failure interval vs spec 3.53",
                            Expect::Holds,
                            a.hi,
                            Relation::Within { lo: 3.52, hi: 3.54 },
                            3.53,
                        )
                        .note(show(&iv)),
                    );
                }
                // κ_BALL(50, δ) does turn negative at δ ≈ 4.90 (spec), but only to
                // |κ| ≈ 1e−6 ≪ 1/(20π²): x*_δ stays 0 and σ ≈ 2 there.
                let window: Vec<f64> = grid.iter().copied().filter(|&x| x >= 4.8).collect();
                let (kmin, at) = window
                    .iter()
                    .map(|&x| (kernel.kappa(d, x), x))
                    .fold((f64::INFINITY, 0.0), |a, b| if b.0 < a.0 { b } else { a });
                report.push(
                    Case::new(
                        "BALL d=50: min κ(δ) over δ ∈ [4.8, 8] is negative (spec: first negative window from 4.90)",
                        Expect::Holds,
                        kmin,
                        Relation::Le { rtol: 0.0, atol: 0.0 },
                        0.0,
                    )
                    .note(format!("min κ = {kmin:.3e} at δ = {at:.2}; −1/(20π²) = {:.5}", -CONVEXITY_KAPPA)),
                );
                let later = iv.iter().filter(|i| i.lo > 4.0).count();
                report.push(
                    Case::new(
                        "BALL d=50 R=3δ: spec claims failure again in windows from δ = 4.90 (number of such windows ≥ 1)",
                        Expect::Violated,
                        later as f64,
                        Relation::Ge { rtol: 0.0, atol: 0.0 },
                        1.0,
                    )
                    .note("|κ| < 1/(20π²) there, so σ = 2 − 40π²|κ| > 0: the spec's second window does not exist"),
                );
                report.finding(format!(
                    "spec error: BALL d=50 does not fail again from δ = 4.90; κ is negative there but \
                     only down to {kmin:.2e} (at δ = {at:.2}), far above −1/(20π²) = {:.5}, so x*_δ = 0 \
                     and σ(δ; 3δ) ≥ {:.6} on [4.8, 8]",
                    -CONVEXITY_KAPPA,
                    window
                        .iter()
                        .map(|&x| modulus(kernel, d, x, RadiusRule::Proportional(3.0)))
                        .fold(f64::INFINITY, f64::min)
                ));
            }
        }

        // Paper-style radius r(δ_m − δ_{m+1}), r = 3, on δ_m = 2((M − m + 1)/M).
        for (m_stages, expect) in [(10usize, Expect::Violated), (50, Expect::Holds)] {
            let deltas = schedule(2.0, m_stages, 1.0);
            let sigma = stage_moduli(Kernel::Gaussian, 1, &deltas, 3.0);
            let failing: Vec<String> = deltas
                .iter()
                .zip(&sigma)
                .filter(|(_, &s)| s <= 0.0)
                .map(|(d, s)| format!("δ={d:.3} (σ={s:.1})"))
                .collect();
            let min_sigma = sigma.iter().copied().fold(f64::INFINITY, f64::min);
            let verdict = if min_sigma > 0.0 {
                Verdict::Pass
            } else {
                Verdict::Falsified
            };
            report.push(
                Case::decided(
                    format!("GISO, radius 3(δ_m − δ_(m+1)), δ_1 = 2, p = 1, M = {m_stages}: σ_m > 0 for every stage"),
                    expect,
                    min_sigma,
                    0.0,
                    Relation::Ge {
                        rtol: 0.0,
                        atol: 0.0,
                    },
                    verdict,
                )
                .note(if failing.is_empty() {
                    "every stage strongly convex".to_string()
                } else {
                    format!("failing stages: {}", failing.join(", "))
                }),
            );
        }
        Ok(report)
    }
}
