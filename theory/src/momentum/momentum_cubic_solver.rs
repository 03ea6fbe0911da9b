//! C6.3 — the Algorithm-6 momentum cubic: its root in [0, β_old] solves β̂(β) = q.
//!
//! Statement (spec §6.3, the code's `solve_3eq`): the β that realises a required
//! momentum amplification q = β̂(β) = β(β² − β + 1)/(1 − β)² is a root of
//! β³ − (1 + q)β² + (1 + 2q)β − q = 0; the code takes the largest real root ≤ β_old,
//! floored at 0.
//!
//! Measured: for 200 seeded β_true ∈ (0, 0.99) and q = β̂(β_true), the root returned by
//! the code's rule ([`momentum_root_below`], from all real roots of the cubic) and by
//! the bracketed inverse ([`momentum_for_amplification`]): plug-back |β̂(root) − q|/q
//! (spec: 1e−10), distance to β_true, and root ∈ [0, β_old].
//!
//! Refuting cases (statement applied outside its premise 0 ≤ q ≤ β̂(β_old)):
//! * q > β̂(β_old): the only root in [0, 1) exceeds β_old (the code finds no root and its
//!   `max([])` raises);
//! * q < 0 (target below the SGD part): the floored root 0 has β̂(0) = 0 ≠ q;
//! * the largest real root without the "≤ β_old" filter: for q > 2 + √6 the cubic has
//!   two further real roots > 1, which are not momenta.

use crate::{Case, Check, Expect, Relation, Report};
use numerics::schedule::{cubic_real_roots, momentum_for_amplification, momentum_root_below};
use numerics::smoothing::beta_hat;
use numerics::Seed;
use rand::Rng;

/// C6.3: the β-cubic's root plugged back gives β̂(β) = q (1e−10), root ∈ [0, β_old].
#[derive(Debug, Clone, Copy, Default)]
pub struct MomentumCubicSolver;

impl Check for MomentumCubicSolver {
    fn id(&self) -> &'static str {
        "momentum_cubic_solver"
    }
    fn spec_id(&self) -> &'static str {
        "C6.3"
    }
    fn statement(&self) -> &'static str {
        "the largest root ≤ β_old of β³ − (1+q)β² + (1+2q)β − q solves β̂(β) = q and lies in [0, β_old]"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("momentum-cubic");
        let beta_old = 0.995;
        let (mut plug, mut dist, mut plug_intended, mut outside) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let n = 200;
        for _ in 0..n {
            let beta_true: f64 = rng.random_range(1e-6..0.99);
            let q = beta_hat(beta_true);
            let root = momentum_root_below(q, beta_old).unwrap_or(f64::NAN);
            let intended = momentum_for_amplification(q);
            plug = plug.max(((beta_hat(root) - q) / q).abs());
            plug_intended = plug_intended.max(((beta_hat(intended) - q) / q).abs());
            dist = dist.max((root - beta_true).abs() / beta_true);
            let out = if root.is_nan() {
                f64::INFINITY
            } else {
                (-root).max(root - beta_old).max(0.0)
            };
            outside = outside.max(out);
        }
        // The measured quantities are already relative errors: spec tolerance 1e−10.
        let rel = Relation::ApproxEq {
            rtol: 0.0,
            atol: 1e-10,
        };
        report.push(
            Case::new(
                "code rule: max |β̂(root) − q|/q",
                Expect::Holds,
                plug,
                rel,
                0.0,
            )
            .with("draws", n)
            .with("beta_old", beta_old)
            .note("q = β̂(β_true), β_true ~ U(1e−6, 0.99) from the seeded stream"),
        );
        report.push(
            Case::new(
                "bracketed inverse: max |β̂(root) − q|/q",
                Expect::Holds,
                plug_intended,
                rel,
                0.0,
            )
            .with("draws", n),
        );
        report.push(
            Case::new(
                "max |root − β_true|/β_true",
                Expect::Holds,
                dist,
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-9,
                },
                0.0,
            )
            .with("draws", n)
            .note("β̂ is increasing on [0, 1): the root is β_true (conditioning dβ = dq/β̂'(β))"),
        );
        report.push(
            Case::new(
                "root ∈ [0, β_old]: max distance outside",
                Expect::Holds,
                outside,
                Relation::LE,
                0.0,
            )
            .with("beta_old", beta_old),
        );

        // Refuting: q above β̂(β_old) — the target needs a larger β.
        let beta_small = 0.5;
        let q_high = beta_hat(0.7); // 2.1778 > β̂(0.5) = 1.5
        let root_high = momentum_for_amplification(q_high);
        report.push(
            Case::new(
                "q = β̂(0.7) > β̂(β_old = 0.5): root ∈ [0, β_old]",
                Expect::Violated,
                root_high,
                Relation::ClaimWithin {
                    lo: 0.0,
                    hi: beta_small,
                },
                beta_small / 2.0,
            )
            .with("q", q_high)
            .with("beta_old", beta_small)
            .note(format!(
                "the code's rule finds {} root ≤ β_old (Python max([]) raises)",
                if momentum_root_below(q_high, beta_small).is_none() {
                    "no"
                } else {
                    "a"
                }
            )),
        );
        // Refuting: q < 0, the floored root does not solve β̂(β) = q.
        let q_neg = -0.25;
        let root_neg = momentum_root_below(q_neg, 0.9).unwrap_or(f64::NAN);
        report.push(
            Case::new(
                "q = −0.25 (target below the SGD part): β̂(floored root) = q",
                Expect::Violated,
                beta_hat(root_neg),
                Relation::EXACT,
                q_neg,
            )
            .with("root", root_neg)
            .note("the only real root is negative; flooring at 0 gives β̂ = 0"),
        );
        // Refuting: the unfiltered largest real root.
        let q_big = beta_hat(0.9); // 81.9 > 2 + √6: three real roots
        let roots = cubic_real_roots(-(1.0 + q_big), 1.0 + 2.0 * q_big, -q_big);
        let largest = roots.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        report.push(
            Case::new(
                "largest real root without the ≤ β_old filter ∈ [0, β_old]",
                Expect::Violated,
                largest,
                Relation::ClaimWithin {
                    lo: 0.0,
                    hi: beta_old,
                },
                beta_old / 2.0,
            )
            .with("q", q_big)
            .with("real_roots", roots.clone())
            .note("for q > 2 + √6 ≈ 4.449 two real roots lie above 1 (β̂ also equals q there)"),
        );
        report.finding(format!(
            "For q = β̂(0.9) = {q_big:.4} the cubic has real roots {roots:.6?}: only the smallest is a momentum; \
             the code's filter root ≤ β_old is what selects it. For q > β̂(β_old) no root qualifies and the code raises."
        ));
        Ok(report)
    }
}
