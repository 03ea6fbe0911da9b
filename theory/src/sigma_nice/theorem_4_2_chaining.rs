//! C4.2 — the chaining condition of the surrogate Theorem 4.2 for the polynomial δ
//! schedule: min_m γ_m = 2^{−p} ≥ (1 + ρ)/(1 + r).
//!
//! Statement (spec §4.3 item 2, §6.2; derived for the spec, tag DER): if stage m ends within ρ·δ_m of x*_{δ_m}
//! and the centering property holds, the next start is within (ρ + 1 − γ_m)δ_m of
//! x*_{δ_{m+1}}, inside the radius-r·δ_{m+1} strong-convexity ball iff
//! γ_m ≥ (1 + ρ)/(1 + r) (= 5/16 for Hazan's ρ = ¼, r = 3). For
//! γ_m = ((M − m)/(M − m + 1))^p the smallest non-trivial factor is γ_{M−1} = 2^{−p}, so
//! the condition holds iff p ≤ log₂((1 + r)/(1 + ρ)) ≈ 1.678; Hazan's halving condition
//! γ_m ≥ ½ gives p ≤ 1 (the paper's empirical "p ≤ 1").
//!
//! Measured: for M ∈ {5, 10, 50, 200} and p ∈ {0.25, 0.5, 1, 1.5, 2}, the minimum over
//! m = 1, …, M − 1 of the library's factors [`PolynomialDelta::decay_factor`], compared
//! with the closed form 2^{−p} (exact), then with both thresholds (deterministic
//! bounds). Cases with p above a threshold violate the premise and must be reported as
//! not holding: p ∈ {1.5, 2} for γ ≥ ½ and p = 2 for γ ≥ 5/16.

use crate::{Case, Check, Expect, Relation, Report};
use numerics::schedule::PolynomialDelta;
use numerics::Seed;

/// C4.2: min_m γ_m = 2^{−p} vs the chaining thresholds (1 + ρ)/(1 + r) and ½.
#[derive(Debug, Clone, Copy, Default)]
pub struct Theorem42Chaining;

/// Hazan's numbers (spec §4.1): stage accuracy radius ρ·δ and strong-convexity radius r·δ.
const RHO: f64 = 0.25;
const R: f64 = 3.0;

impl Check for Theorem42Chaining {
    fn id(&self) -> &'static str {
        "theorem_4_2_chaining"
    }
    fn spec_id(&self) -> &'static str {
        "C4.2"
    }
    fn statement(&self) -> &'static str {
        "min_m γ_m = 2^(−p) for γ_m = ((M−m)/(M−m+1))^p; chaining needs γ_m ≥ (1+ρ)/(1+r), i.e. p ≤ log₂((1+r)/(1+ρ))"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let surrogate = (1.0 + RHO) / (1.0 + R);
        let p_surrogate = ((1.0 + R) / (1.0 + RHO)).log2();
        for &big_m in &[5usize, 10, 50, 200] {
            for &p in &[0.25, 0.5, 1.0, 1.5, 2.0] {
                let schedule = PolynomialDelta::new(1.0, big_m, p)?;
                // The paper's non-trivial factors γ_1, …, γ_{M−1} (γ_M = 0 ends the schedule).
                let (argmin, min_gamma) = (1..big_m)
                    .map(|m| (m, schedule.decay_factor(m)))
                    .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
                let closed = 2f64.powf(-p);
                let tag = format!("M={big_m} p={p}");
                report.push(
                    Case::new(
                        format!("min γ_m = 2^(−p), {tag}"),
                        Expect::Holds,
                        min_gamma,
                        Relation::EXACT,
                        closed,
                    )
                    .with("M", big_m)
                    .with("p", p)
                    .with("argmin_m", argmin)
                    .note("minimum over m = 1..M−1, attained at m = M−1"),
                );
                // Surrogate chaining condition: premise p ≤ log₂((1+r)/(1+ρ)).
                report.push(
                    Case::new(
                        format!("chaining γ_m ≥ (1+ρ)/(1+r) = 5/16, {tag}"),
                        Expect::holds_if(p <= p_surrogate),
                        min_gamma,
                        Relation::GE,
                        surrogate,
                    )
                    .with("M", big_m)
                    .with("p", p)
                    .with("rho", RHO)
                    .with("r", R),
                );
                // Hazan's halving: premise p ≤ 1.
                if big_m == 200 {
                    report.push(
                        Case::new(
                            format!("halving γ_m ≥ ½, {tag}"),
                            Expect::holds_if(p <= 1.0),
                            min_gamma,
                            Relation::GE,
                            0.5,
                        )
                        .with("M", big_m)
                        .with("p", p),
                    );
                }
            }
        }
        report.finding(format!(
            "Thresholds on p: γ_m ≥ ½ (Hazan's halving) ⇔ p ≤ 1; surrogate chaining γ_m ≥ (1+ρ)/(1+r) = {surrogate} \
             with ρ = {RHO}, r = {R} ⇔ p ≤ log₂((1+r)/(1+ρ)) = {p_surrogate:.6}. min_m γ_m = 2^(−p) for every M ≥ 2 \
             (the last non-trivial stage m = M−1); the authors' 0-based factors have the same minimum."
        ));
        Ok(report)
    }
}
