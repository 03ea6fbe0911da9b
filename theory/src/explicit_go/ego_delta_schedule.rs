//! C7.1 — the δ schedule of explicit graduated optimization (`ego.py`).
//!
//! **Statement** (spec §7, read from the authors' `ego.py`): with M = 50, δ_init = 1 and
//! the "nice" rule, the code's loop `deltas.append(δ); δ *= (M − m)/(M − (m − 1))` for
//! m = 0..M−1 followed by a final 0.01 produces exactly the 51 values
//! δ_k = (M + 1 − k)/(M + 1) = (51 − k)/51 for k = 0..49, then δ_50 = 0.01.
//!
//! **Measured**: [`numerics::schedule::ego_deltas`] (the code's iterated
//! product) against the closed form (51 − k)/51 evaluated here directly: the length,
//! the largest deviation, and the last value. Refuting cases: two schedules that are
//! *not* the ego list compared with the same closed form — the telescoped polynomial
//! schedule of spec §4.2 indexed from m = 1 (δ_m = ((M − m + 1)/M)^p, which starts
//! 1, 49/50, … and ends at 1/50 without the 0.01 stage) and the "geo" option (a
//! geometric sequence 1 → 0.01); both must FAIL.

use crate::{Case, Check, Expect, Relation, Report};
use numerics::schedule::{ego_deltas, geometric_deltas, polynomial_deltas};
use numerics::Seed;

/// C7.1: the 51 δ values of `ego.py`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EgoDeltaSchedule;

/// The closed form of spec §7: (51 − k)/51 for k < 50, then 0.01.
fn closed_form(k: usize) -> f64 {
    if k < 50 {
        (51 - k) as f64 / 51.0
    } else {
        0.01
    }
}

/// max_k |s_k − closed_form(k)| over the common length (∞ if the lengths differ).
fn max_deviation(s: &[f64]) -> f64 {
    if s.len() != 51 {
        return f64::INFINITY;
    }
    s.iter()
        .enumerate()
        .map(|(k, v)| (v - closed_form(k)).abs())
        .fold(0.0, f64::max)
}

impl Check for EgoDeltaSchedule {
    fn id(&self) -> &'static str {
        "ego_delta_schedule"
    }

    fn spec_id(&self) -> &'static str {
        "C7.1"
    }

    fn statement(&self) -> &'static str {
        "ego.py's schedule is δ_k = (51 − k)/51 for k = 0..49, then 0.01 (51 stages)"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let ego = ego_deltas(50, 1.0, 1.0, 0.01)?;

        report.push(
            Case::new(
                "number of stages",
                Expect::Holds,
                ego.len() as f64,
                Relation::EXACT,
                51.0,
            )
            .note("M = 50 loop values plus the final 0.01"),
        );
        report.push(
            Case::new(
                "max_k |δ_k − (51 − k)/51| (iterated product vs closed form)",
                Expect::Holds,
                max_deviation(&ego),
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-12,
                },
                0.0,
            )
            .with("M", 50)
            .with("p", 1.0)
            .note("reference: the closed form evaluated directly"),
        );
        for (k, want) in [(0, 1.0), (1, 50.0 / 51.0), (49, 2.0 / 51.0)] {
            let got = ego.get(k).copied().unwrap_or(f64::NAN);
            report.push(
                Case::new(format!("δ_{k}"), Expect::Holds, got, Relation::EXACT, want).with("k", k),
            );
        }
        report.push(Case::new(
            "final δ_50",
            Expect::Holds,
            ego.last().copied().unwrap_or(f64::NAN),
            Relation::EXACT,
            0.01,
        ));

        // Refuting cases: schedules that are not the ego list.
        let poly = polynomial_deltas(50, 1.0, 1.0)?;
        report.push(
            Case::new(
                "§4.2 polynomial schedule indexed from m = 1 is the ego list",
                Expect::Violated,
                max_deviation(&poly),
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-12,
                },
                0.0,
            )
            .with("length", poly.len())
            .with("last", poly.last().copied().unwrap_or(f64::NAN))
            .note(
                "δ_m = ((M − m + 1)/M)^p has 50 values 1, 49/50, …, 1/50 and no final 0.01 \
                 stage (∞ = length mismatch)",
            ),
        );
        let mut poly_with_final = poly.clone();
        poly_with_final.push(0.01);
        report.push(
            Case::new(
                "§4.2 polynomial schedule plus a final 0.01 is the ego list",
                Expect::Violated,
                max_deviation(&poly_with_final),
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-12,
                },
                0.0,
            )
            .note("same length, but (M − m + 1)/M ≠ (M + 1 − k)/(M + 1): off by the code's m-indexing"),
        );
        let geo = geometric_deltas(1.0, 0.01, 51)?;
        report.push(
            Case::new(
                "the 'geo' option is the 'nice' list",
                Expect::Violated,
                max_deviation(&geo),
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-12,
                },
                0.0,
            )
            .with("ratio", (0.01f64).powf(1.0 / 50.0)),
        );
        report.finding(format!(
            "ego.py's loop starts its decay factor at m = 0, so the first factor is \
             M/(M + 1) = {:.6} and the list is (51 − k)/51, not the §4.2 telescoped form \
             ((M − m + 1)/M)^p = 1, 49/50, …; the two differ by up to {:.4} at equal index.",
            50.0 / 51.0,
            max_deviation(&poly_with_final)
        ));
        Ok(report)
    }
}
