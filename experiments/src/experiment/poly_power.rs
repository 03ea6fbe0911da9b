//! `igo experiment poly-power`: P7 of spec §10.5 (AAAI-25, arXiv 2412.11501, Fig. 6):
//! polynomial decay with a power p ≤ 1 gives the lowest training loss among the
//! polynomial powers.
//!
//! Stochastic heavy ball (PyTorch `SGD(momentum = β)`, β = 0.9 by default, as the
//! authors' code), constant b, and the learning rate of the authors' "poly" method,
//! PyTorch `PolynomialLR(total_iters = M, power = p)`: η_m = η₀(1 − m/M)^p for epoch
//! m = 0…M−1 (δ = ηC/√b·… then follows the same decay, spec §6.1), for every p of the
//! list (default {0.25, 0.5, 0.9, 1, 2, 4}) and seed.
//!
//! Verdict: with p* the power of the lowest mean final train loss, P7 holds if p* ≤ 1;
//! it does not hold if p* > 1 and the seed band of p* does not overlap that of the
//! best power ≤ 1 (spec's falsifier); otherwise undecided. The report also lists, for
//! each p > 1, whether the best p ≤ 1 beats it ([`beats`]), and the two thresholds of
//! spec §6.2.

use super::report::{cell, write_csv, Report};
use super::runs::{self, PlannedRun};
use super::{name_part, Common, Context, Outcome};
use crate::optimizer::OptimizerKind;
use crate::predictions::{beats, Band, Better, Outcome as Decision, Verdict};
use crate::train::ScheduleSpec;
use crate::{ExperimentError, Result};
use serde::Serialize;
use std::fmt::Write as _;

/// File name of the per-run table.
pub const RESULTS: &str = "powers.csv";

/// Settings of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Model, data, seeds, output.
    pub common: Common,
    /// The powers p.
    pub powers: Vec<f64>,
    /// Epochs M.
    pub epochs: usize,
    /// η₀.
    pub learning_rate: f64,
    /// β of SHB.
    pub momentum: f64,
    /// b.
    pub batch_size: usize,
}

impl Options {
    /// Defaults: p ∈ {0.25, 0.5, 0.9, 1, 2, 4}, 20 epochs, η₀ = 0.1, β = 0.9, b = 32.
    #[must_use]
    pub fn new(common: Common) -> Self {
        Self {
            common,
            powers: vec![0.25, 0.5, 0.9, 1.0, 2.0, 4.0],
            epochs: 20,
            learning_rate: 0.1,
            momentum: 0.9,
            batch_size: 32,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] naming `--powers`, `--epochs`, `--lr`, `--momentum`,
    /// `--batch` or a shared setting.
    pub fn validate(&self) -> Result<()> {
        self.common.validate()?;
        if self.powers.is_empty() || self.powers.iter().any(|&p| !(p.is_finite() && p > 0.0)) {
            return Err(ExperimentError::config(
                "--powers",
                format!(
                    "needs at least one power, each finite and > 0, got {:?}",
                    self.powers
                ),
            ));
        }
        if self.epochs < 2 {
            return Err(ExperimentError::config(
                "--epochs",
                format!("must be ≥ 2 for a decay, got {}", self.epochs),
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(ExperimentError::config(
                "--lr",
                format!("must be finite and > 0, got {}", self.learning_rate),
            ));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(ExperimentError::config(
                "--momentum",
                format!("must be in [0, 1), got {}", self.momentum),
            ));
        }
        if self.batch_size == 0 {
            return Err(ExperimentError::config("--batch", "must be ≥ 1, got 0"));
        }
        Ok(())
    }
}

/// One run's numbers (a row of `powers.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Row {
    /// p.
    pub power: f64,
    /// The seed.
    pub seed: u64,
    /// Whether the run finished.
    pub finished: bool,
    /// Final train loss (NaN if it diverged).
    pub train_loss: f64,
    /// Final test accuracy.
    pub test_accuracy: f64,
    /// η of the last epoch.
    pub last_learning_rate: f64,
}

/// Train-loss band per power, in the order of `powers`.
fn bands(rows: &[Row], powers: &[f64], metric: fn(&Row) -> f64) -> Vec<(f64, Band)> {
    powers
        .iter()
        .map(|&p| {
            let v: Vec<f64> = rows
                .iter()
                .filter(|r| r.power.total_cmp(&p).is_eq())
                .map(|r| if r.finished { metric(r) } else { f64::NAN })
                .collect();
            (p, Band::of(&v))
        })
        .collect()
}

/// The P7 verdict from the rows (pure).
#[must_use]
pub fn analyse(rows: &[Row], powers: &[f64]) -> Verdict {
    let statement = "polynomial decay with p ≤ 1 gives the lowest final training loss among the powers; p > 1 is worse";
    let loss = bands(rows, powers, |r| r.train_loss);
    let best = |keep: &dyn Fn(f64) -> bool| {
        loss.iter()
            .filter(|(p, b)| keep(*p) && b.mean.is_finite())
            .min_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
            .copied()
    };
    let all = best(&|_| true);
    let low = best(&|p| p <= 1.0);
    let high = best(&|p| p > 1.0);
    let listing: Vec<String> = loss.iter().map(|(p, b)| format!("p = {p}: {b}")).collect();
    let mut evidence = format!(
        "final train loss, mean [min, max] over seeds: {}",
        listing.join("; ")
    );
    let outcome = match (all, low, high) {
        (Some(star), Some(low), Some(high)) => {
            let (o, _, _) = beats(
                &values(rows, low.0, |r| r.train_loss),
                &values(rows, high.0, |r| r.train_loss),
                Better::Lower,
            );
            let _ = write!(
                evidence,
                "; best p = {}; best p ≤ 1: {} ({}), best p > 1: {} ({}); bands {}",
                star.0,
                low.0,
                low.1,
                high.0,
                high.1,
                if low.1.overlaps(&high.1) {
                    "overlap"
                } else {
                    "do not overlap"
                }
            );
            if star.0 <= 1.0 {
                Decision::Holds
            } else if o == Decision::DoesNotHold {
                Decision::DoesNotHold
            } else {
                Decision::Undecided
            }
        }
        _ => {
            evidence.push_str("; needs finished runs with powers on both sides of 1");
            Decision::Undecided
        }
    };
    Verdict {
        id: "P7".into(),
        statement: statement.into(),
        outcome,
        evidence,
    }
}

fn values(rows: &[Row], p: f64, metric: fn(&Row) -> f64) -> Vec<f64> {
    rows.iter()
        .filter(|r| r.power.total_cmp(&p).is_eq())
        .map(|r| if r.finished { metric(r) } else { f64::NAN })
        .collect()
}

/// Runs every power over the seeds (skipping finished runs, resuming stopped ones),
/// then writes `powers.csv`, `verdicts.json` and `README.txt`.
///
/// # Errors
/// Invalid options, a run directory with another config, or a run's error.
pub fn run(options: &Options, cx: Context<'_>) -> Result<Outcome> {
    options.validate()?;
    let c = &options.common;
    let out = &c.out;
    std::fs::create_dir_all(out).map_err(|e| ExperimentError::io(out, e))?;
    let mut planned = Vec::new();
    for &p in &options.powers {
        for &seed in &c.seeds {
            let mut config = c.base_config(options.epochs, seed);
            config.optimizer.kind = OptimizerKind::Shb;
            config.optimizer.momentum = Some(options.momentum);
            config.schedule.learning_rate = Some(ScheduleSpec::Polynomial {
                initial: options.learning_rate,
                power: p,
                total: None,
            });
            config.schedule.batch_size = Some(ScheduleSpec::constant(options.batch_size as f64));
            planned.push((
                p,
                seed,
                PlannedRun {
                    name: format!("p{}/seed_{seed}", name_part(p)),
                    config,
                },
            ));
        }
    }
    let runs: Vec<PlannedRun> = planned.iter().map(|(_, _, r)| r.clone()).collect();
    let completed = match runs::execute(out, &runs, None, cx.progress, cx.stop)?.into_runs() {
        Ok(runs) => runs,
        Err(stopped) => return Ok(stopped),
    };
    let rows: Vec<Row> = planned
        .iter()
        .zip(&completed)
        .map(|((p, seed, _), run)| {
            let last = run.last();
            Row {
                power: *p,
                seed: *seed,
                finished: run.finished(),
                train_loss: last.map_or(f64::NAN, |r| r.train_loss),
                test_accuracy: last.map_or(f64::NAN, |r| r.test_accuracy),
                last_learning_rate: last.map_or(f64::NAN, |r| r.learning_rate),
            }
        })
        .collect();
    let verdict = analyse(&rows, &options.powers);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "η_m = η₀(1 − m/M)^p, M = {}: the last epoch runs at η₀·M^(−p); the smallest stage factor 2^(−p) ≥ ½ ⇔ p ≤ 1 (spec §6.2, Hazan's halving); under the surrogate chaining condition (ρ = ¼, r = 3) p ≤ log₂(4/1.25) = {:.3}",
        options.epochs,
        (4.0f64 / 1.25).log2()
    );
    let _ = writeln!(body, "\nper power, mean [min, max] over seeds:");
    let _ = writeln!(
        body,
        "{:>6} {:>12} {:>26} {:>26}",
        "p", "last η", "final train loss", "final test acc"
    );
    let loss = bands(&rows, &options.powers, |r| r.train_loss);
    let acc = bands(&rows, &options.powers, |r| r.test_accuracy);
    for ((p, l), (_, a)) in loss.iter().zip(&acc) {
        let last_eta = rows
            .iter()
            .find(|r| r.power.total_cmp(p).is_eq())
            .map_or(f64::NAN, |r| r.last_learning_rate);
        let _ = writeln!(
            body,
            "{p:>6} {last_eta:>12.4e} {:>26} {:>26}",
            l.to_string(),
            a.to_string()
        );
    }
    let low = loss
        .iter()
        .filter(|(p, b)| *p <= 1.0 && b.mean.is_finite())
        .min_by(|a, b| a.1.mean.total_cmp(&b.1.mean));
    if let Some((best_low, _)) = low {
        let _ = writeln!(
            body,
            "\nbest p ≤ 1 (p = {best_low}) against each p > 1 in final train loss:"
        );
        for &p in options.powers.iter().filter(|&&p| p > 1.0) {
            let (o, a, b) = beats(
                &values(&rows, *best_low, |r| r.train_loss),
                &values(&rows, p, |r| r.train_loss),
                Better::Lower,
            );
            let _ = writeln!(body, "  p = {best_low} beats p = {p}: {o} ({a} vs {b})");
        }
    }
    let diverged: Vec<String> = rows
        .iter()
        .filter(|r| !r.finished)
        .map(|r| format!("p = {} seed {}", r.power, r.seed))
        .collect();
    if !diverged.is_empty() {
        let _ = writeln!(body, "diverged (left out): {}", diverged.join(", "));
    }
    let csv_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.power.to_string(),
                r.seed.to_string(),
                r.finished.to_string(),
                cell(Some(r.train_loss)),
                cell(Some(r.test_accuracy)),
                cell(Some(r.last_learning_rate)),
            ]
        })
        .collect();
    write_csv(
        &out.join(RESULTS),
        &[
            "power",
            "seed",
            "finished",
            "train_loss",
            "test_accuracy",
            "last_learning_rate",
        ],
        &csv_rows,
    )?;
    let mut report = Report::new("poly-power", &c.command, &c.seeds);
    report.setting("model", &c.model);
    report.setting("data", c.data.describe());
    report.setting(
        "optimizer",
        format!(
            "SHB (PyTorch momentum) β = {}, b = {}, no weight decay, {}",
            options.momentum,
            options.batch_size,
            c.augmentation.describe()
        ),
    );
    report.setting(
        "schedule",
        format!(
            "PolynomialLR: η₀ = {}, total = {} epochs, p ∈ {:?}",
            options.learning_rate, options.epochs, options.powers
        ),
    );
    report.setting("runs", format!("{}/runs/p<p>/seed_<s>", out.display()));
    report.verdicts = vec![verdict];
    report.body = body;
    report.details = serde_json::json!({ "rows": rows });
    report.write(out)?;
    Ok(Outcome::Complete(Box::new(report)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(losses: &[(f64, [f64; 3])]) -> Vec<Row> {
        losses
            .iter()
            .flat_map(|(p, l)| {
                l.iter().enumerate().map(move |(s, &loss)| Row {
                    power: *p,
                    seed: s as u64,
                    finished: true,
                    train_loss: loss,
                    test_accuracy: 0.9,
                    last_learning_rate: 0.0,
                })
            })
            .collect()
    }

    #[test]
    fn p7_holds_refutes_or_is_undecided_as_the_bands_say() {
        let powers = [0.5, 1.0, 2.0];
        let good = rows(&[(0.5, [0.1, 0.11, 0.12]), (1.0, [0.2; 3]), (2.0, [0.3; 3])]);
        assert_eq!(analyse(&good, &powers).outcome, Decision::Holds);
        let bad = rows(&[
            (0.5, [0.3, 0.31, 0.32]),
            (1.0, [0.2; 3]),
            (2.0, [0.1, 0.11, 0.12]),
        ]);
        assert_eq!(analyse(&bad, &powers).outcome, Decision::DoesNotHold);
        let close = rows(&[
            (0.5, [0.1, 0.2, 0.3]),
            (1.0, [0.25; 3]),
            (2.0, [0.15, 0.16, 0.17]),
        ]);
        assert_eq!(analyse(&close, &powers).outcome, Decision::Undecided);
    }
}
