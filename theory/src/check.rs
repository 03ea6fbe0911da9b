//! The shape of a check: [`Check`] → [`Report`] of [`Case`]s, each with a [`Verdict`].
//!
//! A case compares a measured quantity with a bound or reference under a
//! [`Relation`]. Every check has at least one case whose hypothesis is violated
//! ([`Expect::Violated`]); the suite passes only if such a case reports that the
//! statement does not hold there.

use numerics::stats::z_score;
use numerics::Seed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Outcome of one comparison (spec §0.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// The measured value satisfies the relation.
    Pass,
    /// An identity or closed form does not match (a bug, or a wrong formula).
    Fail,
    /// A bound or claimed property is violated significantly: the statement is refuted.
    Falsified,
    /// The evidence cannot decide (e.g. too close to a boundary).
    Inconclusive,
}

impl Verdict {
    /// `PASS`, `FAIL`, `FALSIFIED`, `INCONCLUSIVE`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Falsified => "FALSIFIED",
            Verdict::Inconclusive => "INCONCLUSIVE",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the check predicts for a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// The hypothesis holds, so the statement must hold: expects [`Verdict::Pass`].
    Holds,
    /// The hypothesis is violated (or the source is wrong here), so the statement must
    /// be reported as not holding: expects [`Verdict::Fail`] or [`Verdict::Falsified`].
    Violated,
    /// The case sits where the evidence cannot decide: expects [`Verdict::Inconclusive`].
    Undecided,
}

impl Expect {
    /// [`Expect::Holds`] when the case's premise holds, else [`Expect::Violated`].
    #[must_use]
    pub fn holds_if(premise: bool) -> Expect {
        if premise {
            Expect::Holds
        } else {
            Expect::Violated
        }
    }

    /// Whether `verdict` is what this expectation predicts.
    #[must_use]
    pub fn accepts(&self, verdict: Verdict) -> bool {
        match self {
            Expect::Holds => verdict == Verdict::Pass,
            Expect::Violated => matches!(verdict, Verdict::Fail | Verdict::Falsified),
            Expect::Undecided => verdict == Verdict::Inconclusive,
        }
    }
}

/// How `measured` is compared with `reference`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Relation {
    /// Identity: |m − r| ≤ max(rtol·|r|, atol). Mismatch → FAIL.
    ApproxEq {
        /// Relative tolerance.
        rtol: f64,
        /// Absolute floor.
        atol: f64,
    },
    /// Deterministic bound m ≤ r·(1 + rtol) (+ atol). Violation → FALSIFIED.
    Le {
        /// Relative slack (spec: 1e−9).
        rtol: f64,
        /// Absolute slack.
        atol: f64,
    },
    /// Deterministic bound m ≥ r·(1 − rtol) (− atol). Violation → FALSIFIED.
    Ge {
        /// Relative slack.
        rtol: f64,
        /// Absolute slack.
        atol: f64,
    },
    /// Monte-Carlo agreement: |z| = |m − r|/se ≤ max_z. Mismatch → FAIL.
    ZScore {
        /// Standard error of m.
        se: f64,
        /// Threshold on |z| (4, or a Bonferroni value).
        max_z: f64,
    },
    /// Stochastic bound m ≤ r: FALSIFIED only if m − k·se > r (spec §0.3).
    StochasticLe {
        /// Standard error of m.
        se: f64,
        /// Number of standard errors (4).
        k: f64,
    },
    /// m lies in [lo, hi] (r is ignored; set it to the interval's centre). Outside → FAIL.
    Within {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// m lies in [lo, hi] where the interval is the claim: outside → FALSIFIED.
    ClaimWithin {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
}

impl Relation {
    /// Identity with the spec's default tolerances (relative 1e−10, absolute 1e−12).
    pub const EXACT: Relation = Relation::ApproxEq {
        rtol: 1e-10,
        atol: 1e-12,
    };
    /// Deterministic upper bound with the spec's slack 1e−9.
    pub const LE: Relation = Relation::Le {
        rtol: 1e-9,
        atol: 0.0,
    };
    /// Deterministic lower bound with the spec's slack 1e−9.
    pub const GE: Relation = Relation::Ge {
        rtol: 1e-9,
        atol: 0.0,
    };

    /// Monte-Carlo agreement at |z| ≤ 4.
    #[must_use]
    pub fn z4(se: f64) -> Relation {
        Relation::ZScore { se, max_z: 4.0 }
    }

    /// Stochastic upper bound with k = 4 standard errors.
    #[must_use]
    pub fn stochastic_le(se: f64) -> Relation {
        Relation::StochasticLe { se, k: 4.0 }
    }

    /// Evaluates the relation. Non-finite measurements fail (or falsify a bound).
    #[must_use]
    pub fn verdict(&self, measured: f64, reference: f64) -> Verdict {
        let ok = |b: bool, bad: Verdict| if b { Verdict::Pass } else { bad };
        if measured.is_nan() {
            return match self {
                Relation::Le { .. }
                | Relation::Ge { .. }
                | Relation::StochasticLe { .. }
                | Relation::ClaimWithin { .. } => Verdict::Falsified,
                _ => Verdict::Fail,
            };
        }
        match *self {
            Relation::ApproxEq { rtol, atol } => ok(
                (measured - reference).abs() <= (rtol * reference.abs()).max(atol),
                Verdict::Fail,
            ),
            Relation::Le { rtol, atol } => ok(
                measured <= reference + rtol * reference.abs() + atol,
                Verdict::Falsified,
            ),
            Relation::Ge { rtol, atol } => ok(
                measured >= reference - rtol * reference.abs() - atol,
                Verdict::Falsified,
            ),
            Relation::ZScore { se, max_z } => ok(
                z_score(measured, reference, se).abs() <= max_z,
                Verdict::Fail,
            ),
            Relation::StochasticLe { se, k } => {
                ok(measured - k * se <= reference, Verdict::Falsified)
            }
            Relation::Within { lo, hi } => ok(measured >= lo && measured <= hi, Verdict::Fail),
            Relation::ClaimWithin { lo, hi } => {
                ok(measured >= lo && measured <= hi, Verdict::Falsified)
            }
        }
    }

    /// A short human description, e.g. `≤ (rtol 1e-9)` or `|z| ≤ 4`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Relation::ApproxEq { rtol, atol } => format!("≈ (rtol {rtol:.0e}, atol {atol:.0e})"),
            Relation::Le { rtol, .. } => format!("≤ (rtol {rtol:.0e})"),
            Relation::Ge { rtol, .. } => format!("≥ (rtol {rtol:.0e})"),
            Relation::ZScore { max_z, .. } => format!("|z| ≤ {max_z:.2}"),
            Relation::StochasticLe { k, .. } => format!("≤ (+{k}·SE)"),
            Relation::Within { lo, hi } | Relation::ClaimWithin { lo, hi } => {
                format!("∈ [{lo:.4}, {hi:.4}]")
            }
        }
    }
}

/// One comparison of a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Short description, e.g. "BALL d=2 δ=0.5 x=(0.3,-1.1)".
    pub name: String,
    /// Inputs (numbers or short strings) that define the case.
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// What the check predicts here.
    pub expect: Expect,
    /// The measured quantity.
    pub measured: f64,
    /// The bound or reference value.
    pub reference: f64,
    /// How they are compared (includes the tolerance).
    pub relation: Relation,
    /// The outcome.
    pub verdict: Verdict,
    /// z-score or slack (reference/measured) where meaningful.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z: Option<f64>,
    /// Free-form remark (estimator used, why the hypothesis fails, …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Case {
    /// A case comparing `measured` with `reference` under `relation`; the verdict is
    /// computed here.
    #[must_use]
    pub fn new(
        name: impl Into<String>,
        expect: Expect,
        measured: f64,
        relation: Relation,
        reference: f64,
    ) -> Self {
        let verdict = relation.verdict(measured, reference);
        let z = match relation {
            Relation::ZScore { se, .. } | Relation::StochasticLe { se, .. } => {
                Some(z_score(measured, reference, se))
            }
            _ => None,
        };
        Case {
            name: name.into(),
            inputs: BTreeMap::new(),
            expect,
            measured,
            reference,
            relation,
            verdict,
            z,
            note: String::new(),
        }
    }

    /// A z-test case: the sample mean of `stats` against `reference`, passing when
    /// |z| ≤ `max_z` with z = (mean − reference)/SE (the [`Relation::ZScore`] rule).
    #[must_use]
    pub fn mean_z(
        name: impl Into<String>,
        expect: Expect,
        stats: &numerics::stats::RunningStats,
        max_z: f64,
        reference: f64,
    ) -> Self {
        let relation = Relation::ZScore {
            se: stats.std_error(),
            max_z,
        };
        Case::new(name, expect, stats.mean(), relation, reference)
    }

    /// A case whose verdict was decided by the check itself (e.g. a whole-interval
    /// comparison); `measured`/`reference` are still reported.
    #[must_use]
    pub fn decided(
        name: impl Into<String>,
        expect: Expect,
        measured: f64,
        reference: f64,
        relation: Relation,
        verdict: Verdict,
    ) -> Self {
        let mut c = Case::new(name, expect, measured, relation, reference);
        c.verdict = verdict;
        c
    }

    /// Adds an input.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        self.inputs.insert(
            key.to_string(),
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
        );
        self
    }

    /// Sets the note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    /// Whether the verdict is the one the check predicts.
    #[must_use]
    pub fn as_expected(&self) -> bool {
        self.expect.accepts(self.verdict)
    }
}

/// What a check found, serialisable; printed by `igo check` and asserted on in `tests/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use = "a report is only useful if its cases are inspected"]
pub struct Report {
    /// Check id = module name (e.g. `lemma_2_1_with_replacement`).
    pub id: String,
    /// Spec id (e.g. `C2.1`).
    pub spec_id: String,
    /// One-line statement.
    pub statement: String,
    /// Seed every random stream of the check derived from.
    pub seed: Seed,
    /// The comparisons.
    pub cases: Vec<Case>,
    /// Findings reported with numbers (where a source is wrong or ambiguous).
    pub findings: Vec<String>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl Report {
    /// An empty report for `check` with `seed`.
    pub fn new(check: &dyn Check, seed: Seed) -> Self {
        Report {
            id: check.id().to_string(),
            spec_id: check.spec_id().to_string(),
            statement: check.statement().to_string(),
            seed,
            cases: Vec::new(),
            findings: Vec::new(),
            seconds: 0.0,
        }
    }

    /// Appends a case.
    pub fn push(&mut self, case: Case) {
        self.cases.push(case);
    }

    /// Appends a finding.
    pub fn finding(&mut self, text: impl Into<String>) {
        self.findings.push(text.into());
    }

    /// Number of cases whose verdict is the predicted one.
    #[must_use]
    pub fn cases_as_expected(&self) -> usize {
        self.cases.iter().filter(|c| c.as_expected()).count()
    }

    /// True if every case behaved as predicted, there is at least one case, and at least
    /// one case exercises a violated hypothesis.
    #[must_use]
    pub fn all_as_expected(&self) -> bool {
        !self.cases.is_empty()
            && self.cases.iter().all(Case::as_expected)
            && self.has_refuting_case()
    }

    /// True if some case expects the statement not to hold.
    #[must_use]
    pub fn has_refuting_case(&self) -> bool {
        self.cases.iter().any(|c| c.expect == Expect::Violated)
    }

    /// Summary verdict: PASS if every case behaved as predicted; otherwise the verdict
    /// of the first case that did not (FAIL if a refuting case unexpectedly passed).
    #[must_use]
    pub fn summary(&self) -> Verdict {
        if self.all_as_expected() {
            return Verdict::Pass;
        }
        match self.cases.iter().find(|c| !c.as_expected()) {
            Some(c) if c.verdict == Verdict::Pass => Verdict::Fail,
            Some(c) => c.verdict,
            None => Verdict::Inconclusive,
        }
    }
}

/// A statement of the theory as an executable check.
pub trait Check: Send + Sync {
    /// Module name, e.g. `lemma_2_1_with_replacement`.
    fn id(&self) -> &'static str;
    /// Spec id, e.g. `C2.1`.
    fn spec_id(&self) -> &'static str;
    /// One-line statement.
    fn statement(&self) -> &'static str;
    /// Runs every case with random streams derived from `seed`.
    ///
    /// # Errors
    /// [`crate::TheoryError`] if the set-up itself fails (never for a statement that
    /// does not hold: that is a case verdict).
    fn run(&self, seed: Seed) -> crate::Result<Report>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_give_the_documented_verdicts() {
        assert_eq!(Relation::EXACT.verdict(1.0 + 1e-12, 1.0), Verdict::Pass);
        assert_eq!(Relation::EXACT.verdict(1.0 + 1e-8, 1.0), Verdict::Fail);
        assert_eq!(Relation::LE.verdict(2.0, 1.0), Verdict::Falsified);
        assert_eq!(Relation::GE.verdict(2.0, 1.0), Verdict::Pass);
        assert_eq!(Relation::z4(0.1).verdict(1.5, 1.0), Verdict::Fail);
        assert_eq!(
            Relation::stochastic_le(0.1).verdict(1.3, 1.0),
            Verdict::Pass
        );
        assert_eq!(
            Relation::stochastic_le(0.1).verdict(1.5, 1.0),
            Verdict::Falsified
        );
        assert_eq!(Relation::LE.verdict(f64::NAN, 1.0), Verdict::Falsified);
    }

    #[test]
    fn expectations_accept_only_their_verdicts() {
        assert!(Expect::Holds.accepts(Verdict::Pass));
        assert!(!Expect::Holds.accepts(Verdict::Falsified));
        assert!(Expect::Violated.accepts(Verdict::Falsified));
        assert!(Expect::Violated.accepts(Verdict::Fail));
        assert!(!Expect::Violated.accepts(Verdict::Pass));
    }
}
