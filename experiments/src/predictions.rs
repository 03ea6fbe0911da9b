//! Verdicts on the papers' deep-learning predictions (spec §10.5) from finished runs,
//! with the falsifiers of the spec's table:
//!
//! * **P1** final sharpness decreases as δ = ηC/√b increases: Spearman ρ_s(δ, sharpness)
//!   with a percentile-bootstrap CI; *holds* if the whole CI is < 0, *does not hold* if
//!   the CI includes 0 or is positive.
//! * **P2** test accuracy is unimodal in log δ, best at an intermediate δ: the grid point
//!   with the best mean accuracy must not be at either end of the δ range, and the
//!   quadratic fit acc ≈ c₀ + c₁ log δ + c₂ (log δ)² must have a bootstrap CI of c₂
//!   entirely < 0; otherwise *does not hold*.
//! * **P4/P5/P6/P7** orderings of methods over seeds: "A beats B" *holds* when the
//!   min–max seed bands do not overlap and A is better, *does not hold* when they do not
//!   overlap and B is better, and is *undecided* when they overlap (the seeds cannot
//!   separate the methods).

use numerics::stats::{bootstrap_interval, polynomial_fit, spearman, Interval};
use numerics::Seed;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Bootstrap resamples behind every interval here.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;
/// Coverage of the bootstrap intervals.
pub const CONFIDENCE: f64 = 0.95;

/// What the data say about a prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The prediction's criterion is met.
    Holds,
    /// The spec's falsifier is met: the prediction does not hold at this scale.
    DoesNotHold,
    /// The evidence cannot decide (e.g. overlapping seed bands).
    Undecided,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Holds => "HOLDS",
            Outcome::DoesNotHold => "DOES NOT HOLD",
            Outcome::Undecided => "UNDECIDED",
        })
    }
}

/// A prediction's verdict with the numbers behind it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdict {
    /// Spec id (P1 … P8).
    pub id: String,
    /// The prediction in words.
    pub statement: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The numbers that decided it, in words (estimates, intervals, bands).
    pub evidence: String,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<3} {:<14} {}\n    {}",
            self.id, self.outcome, self.statement, self.evidence
        )
    }
}

/// One finished run of a sweep: its smoothing degree and what was measured at the end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// δ of the run's configuration.
    pub delta: f64,
    /// Final sharpness (any measure: ℓ∞ worst case, λ_max, …).
    pub sharpness: f64,
    /// Final test accuracy in [0, 1].
    pub test_accuracy: f64,
}

/// ρ_s(x, y) over the points with a percentile-bootstrap CI (resampling points).
#[must_use]
pub fn spearman_interval(x: &[f64], y: &[f64], seed: Seed) -> Interval {
    let n = x.len().min(y.len());
    bootstrap_interval(n, BOOTSTRAP_RESAMPLES, CONFIDENCE, seed, |idx| {
        let xs: Vec<f64> = idx.iter().map(|&i| x[i]).collect();
        let ys: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
        spearman(&xs, &ys)
    })
}

/// P1: sharpness decreases with δ (Spearman CI entirely below 0).
#[must_use]
pub fn p1_sharpness_decreases(points: &[SweepPoint], seed: Seed) -> Verdict {
    let delta: Vec<f64> = points.iter().map(|p| p.delta).collect();
    let sharpness: Vec<f64> = points.iter().map(|p| p.sharpness).collect();
    let ci = spearman_interval(&delta, &sharpness, seed.child(1));
    let outcome = if ci.hi < 0.0 {
        Outcome::Holds
    } else {
        Outcome::DoesNotHold
    };
    Verdict {
        id: "P1".into(),
        statement: "final sharpness decreases as δ = ηC/√b increases".into(),
        outcome,
        evidence: format!(
            "Spearman ρ(δ, sharpness) = {:.3}, {:.0}% bootstrap CI [{:.3}, {:.3}] over {} runs",
            ci.estimate,
            100.0 * CONFIDENCE,
            ci.lo,
            ci.hi,
            points.len()
        ),
    }
}

/// Mean test accuracy per distinct δ (runs of one configuration share δ), sorted by δ.
fn accuracy_by_delta(points: &[SweepPoint]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<SweepPoint> = points.to_vec();
    sorted.sort_by(|a, b| a.delta.total_cmp(&b.delta));
    let mut groups: Vec<(f64, f64, usize)> = Vec::new();
    for p in sorted {
        match groups.last_mut() {
            Some((d, sum, n)) if ((p.delta - *d) / d.abs().max(1e-300)).abs() < 1e-9 => {
                *sum += p.test_accuracy;
                *n += 1;
            }
            _ => groups.push((p.delta, p.test_accuracy, 1)),
        }
    }
    groups
        .into_iter()
        .map(|(d, s, n)| (d, s / n as f64))
        .collect()
}

/// P2: accuracy is unimodal in log δ with an interior maximum (argmax not at an end of
/// the δ grid, and the quadratic-in-log δ curvature CI entirely < 0).
#[must_use]
pub fn p2_accuracy_unimodal(points: &[SweepPoint], seed: Seed) -> Verdict {
    let by_delta = accuracy_by_delta(points);
    let best = by_delta
        .iter()
        .enumerate()
        .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
        .map(|(i, &(d, a))| (i, d, a));
    let log_delta: Vec<f64> = points.iter().map(|p| p.delta.ln()).collect();
    let accuracy: Vec<f64> = points.iter().map(|p| p.test_accuracy).collect();
    let curvature = |idx: &[usize]| {
        let x: Vec<f64> = idx.iter().map(|&i| log_delta[i]).collect();
        let y: Vec<f64> = idx.iter().map(|&i| accuracy[i]).collect();
        polynomial_fit(&x, &y, 2).map_or(f64::NAN, |fit| fit.coefficients[2])
    };
    let ci = bootstrap_interval(
        points.len(),
        BOOTSTRAP_RESAMPLES,
        CONFIDENCE,
        seed.child(2),
        curvature,
    );
    let vertex = polynomial_fit(&log_delta, &accuracy, 2)
        .and_then(|fit| fit.vertex())
        .map_or(f64::NAN, f64::exp);
    let (interior, best_text) = match best {
        Some((i, d, a)) => (
            i > 0 && i + 1 < by_delta.len(),
            format!(
                "best mean accuracy {a:.4} at δ = {d:.4} (grid δ ∈ [{:.4}, {:.4}], {} values)",
                by_delta.first().map_or(f64::NAN, |p| p.0),
                by_delta.last().map_or(f64::NAN, |p| p.0),
                by_delta.len()
            ),
        ),
        None => (false, "no runs".into()),
    };
    let outcome = if interior && ci.hi < 0.0 {
        Outcome::Holds
    } else {
        Outcome::DoesNotHold
    };
    Verdict {
        id: "P2".into(),
        statement: "test accuracy is unimodal in log δ, best at an intermediate δ".into(),
        outcome,
        evidence: format!(
            "{best_text}; quadratic fit in log δ: curvature {:.4}, {:.0}% CI [{:.4}, {:.4}], vertex δ = {vertex:.4}",
            ci.estimate,
            100.0 * CONFIDENCE,
            ci.lo,
            ci.hi
        ),
    }
}

/// Whether larger or smaller values of a metric are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Better {
    /// e.g. test accuracy.
    Higher,
    /// e.g. training loss.
    Lower,
}

/// Mean and min–max band of a metric over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Mean over seeds.
    pub mean: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Band {
    /// The band of `values` (NaN fields if empty or any value is NaN).
    #[must_use]
    pub fn of(values: &[f64]) -> Band {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return Band {
                mean: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
            };
        }
        Band {
            mean: values.iter().sum::<f64>() / values.len() as f64,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// True if the two bands share a point.
    #[must_use]
    pub fn overlaps(&self, other: &Band) -> bool {
        self.min <= other.max && other.min <= self.max
    }
}

/// A number with four decimals, or four significant digits in scientific notation when
/// it is below 10⁻² (or above 10⁴) in magnitude, so that small losses stay readable.
fn number(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || !a.is_finite() || (1e-2..1e4).contains(&a) {
        format!("{x:.4}")
    } else {
        format!("{x:.3e}")
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}, {}]",
            number(self.mean),
            number(self.min),
            number(self.max)
        )
    }
}

/// "A beats B" on a metric over seeds, decided by the min–max seed bands: holds if the
/// bands do not overlap and A is better; does not hold if they do not overlap and B is
/// better (spec §10.5's falsifier: "ordering reversed with non-overlapping seed bands");
/// undecided if the bands overlap (the means are reported in the evidence).
#[must_use]
pub fn beats(a: &[f64], b: &[f64], better: Better) -> (Outcome, Band, Band) {
    let (band_a, band_b) = (Band::of(a), Band::of(b));
    let a_better = match better {
        Better::Higher => band_a.mean > band_b.mean,
        Better::Lower => band_a.mean < band_b.mean,
    };
    let outcome = if band_a.mean.is_nan() || band_b.mean.is_nan() || band_a.overlaps(&band_b) {
        Outcome::Undecided
    } else if a_better {
        Outcome::Holds
    } else {
        Outcome::DoesNotHold
    };
    (outcome, band_a, band_b)
}

/// Combines several "A beats B" outcomes into one: does not hold if any does not hold,
/// holds if all hold, undecided otherwise.
#[must_use]
pub fn all_of(outcomes: &[Outcome]) -> Outcome {
    if outcomes.contains(&Outcome::DoesNotHold) {
        Outcome::DoesNotHold
    } else if outcomes.iter().all(|o| *o == Outcome::Holds) && !outcomes.is_empty() {
        Outcome::Holds
    } else {
        Outcome::Undecided
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(f: impl Fn(f64) -> (f64, f64)) -> Vec<SweepPoint> {
        // 7 δ values × 3 "seeds" with a deterministic wobble.
        let mut points = Vec::new();
        for k in 0..7 {
            let delta = 0.01 * 3f64.powi(k);
            for s in 0..3 {
                let wobble = 0.002 * (f64::from(s) - 1.0);
                let (sharp, acc) = f(delta);
                points.push(SweepPoint {
                    delta,
                    sharpness: sharp * (1.0 + wobble),
                    test_accuracy: acc + wobble,
                });
            }
        }
        points
    }

    #[test]
    fn p1_decides_both_ways() {
        let decreasing = sweep(|d| (1.0 / d, 0.5));
        assert_eq!(
            p1_sharpness_decreases(&decreasing, Seed(0)).outcome,
            Outcome::Holds
        );
        let increasing = sweep(|d| (d, 0.5));
        assert_eq!(
            p1_sharpness_decreases(&increasing, Seed(0)).outcome,
            Outcome::DoesNotHold
        );
    }

    #[test]
    fn p2_needs_an_interior_concave_maximum() {
        // acc = 0.9 − 0.02(log δ − log 0.3)²: maximum at δ = 0.3, inside [0.01, 7.29].
        let unimodal = sweep(|d| (1.0, 0.9 - 0.02 * (d.ln() - 0.3f64.ln()).powi(2)));
        let v = p2_accuracy_unimodal(&unimodal, Seed(0));
        assert_eq!(v.outcome, Outcome::Holds, "{v}");
        // Monotone accuracy: the best δ is the largest grid value.
        let monotone = sweep(|d| (1.0, 0.5 + 0.01 * d.ln()));
        assert_eq!(
            p2_accuracy_unimodal(&monotone, Seed(0)).outcome,
            Outcome::DoesNotHold
        );
    }

    #[test]
    fn orderings_use_non_overlapping_bands_to_refute() {
        let (o, _, _) = beats(&[0.8, 0.82, 0.81], &[0.7, 0.71, 0.72], Better::Higher);
        assert_eq!(o, Outcome::Holds);
        let (o, _, _) = beats(&[0.6, 0.61, 0.62], &[0.7, 0.71, 0.72], Better::Higher);
        assert_eq!(o, Outcome::DoesNotHold);
        // Overlapping bands: undecided whichever mean is higher.
        let (o, _, _) = beats(&[0.69, 0.70, 0.75], &[0.7, 0.71, 0.72], Better::Higher);
        assert_eq!(o, Outcome::Undecided);
        let (o, _, _) = beats(&[0.68, 0.69, 0.73], &[0.7, 0.71, 0.72], Better::Higher);
        assert_eq!(o, Outcome::Undecided);
        let (o, _, _) = beats(&[0.1, 0.2], &[0.3, 0.4], Better::Lower);
        assert_eq!(o, Outcome::Holds);
        assert_eq!(
            all_of(&[Outcome::Holds, Outcome::Undecided]),
            Outcome::Undecided
        );
        assert_eq!(
            all_of(&[Outcome::Holds, Outcome::DoesNotHold]),
            Outcome::DoesNotHold
        );
    }
}
