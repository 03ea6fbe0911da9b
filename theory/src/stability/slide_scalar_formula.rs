//! C8.5 — the lecture slide's scalar stability formula against the exact interval
//! (spec §8.2, check C8.5).
//!
//! Scalar linearised SGD with B = 1 (p = 1), mean curvature h and curvature variance s
//! (Σ = s): E e²ₜ₊₁ = ((1 − γh)² + γ²s)·E e²ₜ, so the exact condition is
//! (1 − γh)² + γ²s ≤ 1 ⇔ h ∈ [(1 − √(1 − γ²s))/γ, (1 + √(1 − γ²s))/γ], which needs
//! γ²s ≤ 1. The slide states "stable iff h ≤ 2(1 − s)/γ", which is dimensionally
//! inconsistent (s has units of h²) and has no lower end.
//!
//! Cases (the exact reference is ρ(T) of [`MeanSquareStability`] for the two-sample
//! finite sum hᵢ = h ± √s, n = 2, B = 1, for which p = 1 and Σ = s; the mean-square
//! algebra does not need hᵢ ≥ 0):
//! * ρ(T) = 1 at both interval ends, to 1e−12;
//! * on a grid of (γ, s, h), the interval predicate agrees with ρ(T) ≤ 1 everywhere;
//! * for γ²s > 1, ρ(T) > 1 for every h;
//! * refuting: the slide's predicate on the same grid disagrees with ρ(T) ≤ 1 (FAIL),
//!   with the disagreement regions reported.

use crate::{Case, Check, Expect, Relation, Report, Result};
use numerics::spectrum::MeanSquareStability;
use numerics::{Matrix, Seed};

/// C8.5: scalar SGD (B = 1) is stable iff h ∈ [(1 − √(1 − γ²s))/γ, (1 + √(1 − γ²s))/γ]; the slide's h ≤ 2(1 − s)/γ is wrong.
#[derive(Debug, Clone, Copy, Default)]
pub struct SlideScalarFormula;

/// ρ(T) for per-sample curvatures h ± √s, B = 1.
fn radius(gamma: f64, h: f64, s: f64) -> Result<f64> {
    let hessians = vec![
        Matrix::from_element(1, 1, h + s.sqrt()),
        Matrix::from_element(1, 1, h - s.sqrt()),
    ];
    Ok(MeanSquareStability::new(hessians, 1, gamma)?.spectral_radius()?)
}

/// The exact interval [(1 − √(1 − γ²s))/γ, (1 + √(1 − γ²s))/γ] (None if γ²s > 1).
fn interval(gamma: f64, s: f64) -> Option<(f64, f64)> {
    let disc = 1.0 - gamma * gamma * s;
    (disc >= 0.0).then(|| ((1.0 - disc.sqrt()) / gamma, (1.0 + disc.sqrt()) / gamma))
}

impl Check for SlideScalarFormula {
    fn id(&self) -> &'static str {
        "slide_scalar_formula"
    }
    fn spec_id(&self) -> &'static str {
        "C8.5"
    }
    fn statement(&self) -> &'static str {
        "Scalar SGD (B = 1, H = h, Σ = s) is stable iff (1 − γh)² + γ²s ≤ 1 ⇔ h ∈ [(1 ± √(1 − γ²s))/γ]; the slide's \"h ≤ 2(1 − s)/γ\" is not this condition"
    }

    fn run(&self, seed: Seed) -> Result<Report> {
        let mut report = Report::new(self, seed);
        let gammas = [0.5, 1.0, 2.0];
        let s_fractions = [0.05, 0.25, 0.6, 0.95]; // γ²s values
                                                   // 1. Interval ends.
        let mut worst: f64 = 0.0;
        for &gamma in &gammas {
            for &x in &s_fractions {
                let s = x / (gamma * gamma);
                if let Some((lo, hi)) = interval(gamma, s) {
                    worst = worst.max((radius(gamma, lo, s)? - 1.0).abs());
                    worst = worst.max((radius(gamma, hi, s)? - 1.0).abs());
                }
            }
        }
        report.push(
            Case::new(
                "ρ(T) = 1 at both ends (1 ± √(1 − γ²s))/γ: max |ρ − 1|",
                Expect::Holds,
                worst,
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-12,
                },
                0.0,
            )
            .with("gamma", gammas.to_vec())
            .with("gamma2_s", s_fractions.to_vec()),
        );

        // 2./4. Grid: exact interval and slide predicate against ρ(T) ≤ 1.
        let (mut exact_bad, mut slide_bad, mut points) = (0usize, 0usize, 0usize);
        let mut regions = Vec::new();
        for &gamma in &gammas {
            for &x in &s_fractions {
                let s = x / (gamma * gamma);
                let Some((lo, hi)) = interval(gamma, s) else {
                    continue;
                };
                let slide_hi = 2.0 * (1.0 - s) / gamma;
                let mut wrong_stable = Vec::new();
                let mut wrong_unstable = Vec::new();
                for k in 0..=400 {
                    let h = 3.0 / gamma * k as f64 / 400.0;
                    // Skip points within 1e−9 of an interval end (ties are not decidable).
                    if (h - lo).abs() < 1e-9 || (h - hi).abs() < 1e-9 || (h - slide_hi).abs() < 1e-9
                    {
                        continue;
                    }
                    points += 1;
                    let stable = radius(gamma, h, s)? <= 1.0;
                    if stable != (lo <= h && h <= hi) {
                        exact_bad += 1;
                    }
                    let slide = h <= slide_hi;
                    if slide != stable {
                        slide_bad += 1;
                        if slide {
                            wrong_stable.push(h);
                        } else {
                            wrong_unstable.push(h);
                        }
                    }
                }
                // Closed-form disagreement sets on h ≥ 0.
                let mut wrong = Vec::new();
                if slide_hi > 0.0 {
                    wrong.push(format!("[0, {:.4})", lo.min(slide_hi)));
                }
                if slide_hi > hi {
                    wrong.push(format!("({hi:.4}, {slide_hi:.4}]"));
                }
                let missed = if slide_hi < hi {
                    format!("[{:.4}, {hi:.4}]", slide_hi.max(lo))
                } else {
                    "∅".to_string()
                };
                regions.push(format!(
                    "γ={gamma}, s={s:.4}: exact [{lo:.4}, {hi:.4}] vs slide h ≤ {slide_hi:.4} (wrongly stable {}, wrongly unstable {missed}; {} + {} grid points)",
                    if wrong.is_empty() { "∅".to_string() } else { wrong.join(" ∪ ") },
                    wrong_stable.len(),
                    wrong_unstable.len()
                ));
            }
        }
        report.push(
            Case::new(
                "exact interval ⇔ ρ(T) ≤ 1 on the (γ, s, h) grid: disagreements",
                Expect::Holds,
                exact_bad as f64,
                Relation::EXACT,
                0.0,
            )
            .with("grid_points", points),
        );
        report.push(
            Case::new(
                "slide's h ≤ 2(1 − s)/γ ⇔ ρ(T) ≤ 1 on the same grid: disagreements",
                Expect::Violated,
                slide_bad as f64,
                Relation::EXACT,
                0.0,
            )
            .with("grid_points", points)
            .note("the slide has no lower end and the wrong upper end (exact ≈ 2/γ − γs/2 for small γ²s)"),
        );
        report.finding(format!(
            "The slide's scalar formula \"stable iff h ≤ 2(1 − s)/γ\" is wrong: it disagrees with the exact mean-square condition on {slide_bad} of {points} grid points. Exact: h ∈ [(1 − √(1 − γ²s))/γ, (1 + √(1 − γ²s))/γ], requiring γ²s ≤ 1; the slide is also dimensionally inconsistent (s has units of h²). {}",
            regions.join("; ")
        ));

        // 3. γ²s > 1: no h is stable; min over h of (1 − γh)² + γ²s is γ²s.
        let mut min_rho = f64::INFINITY;
        for &gamma in &gammas {
            let s = 1.2 / (gamma * gamma);
            for k in 0..=400 {
                let h = 3.0 / gamma * k as f64 / 400.0;
                min_rho = min_rho.min(radius(gamma, h, s)?);
            }
        }
        report.push(
            Case::new(
                "γ²s = 1.2 > 1: min over h of ρ(T) ≥ γ²s > 1",
                Expect::Holds,
                min_rho,
                Relation::GE,
                1.2,
            )
            .note("the minimum (1 − γh)² + γ²s over h is γ²s, attained at h = 1/γ"),
        );
        Ok(report)
    }
}
