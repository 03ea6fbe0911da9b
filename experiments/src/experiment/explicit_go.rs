//! `igo experiment explicit-go`: P8 of spec §10.5 (AAAI-25, arXiv 2412.11501):
//! explicit graduated optimization does not help DNN training.
//!
//! Three arms, each over the seeds, at the same batch size and number of epochs (so the
//! same number of parameter updates; explicit GO spends K gradient evaluations on each):
//! * `ego`: the base SGD steps with the gradient of the Gaussian-smoothed loss,
//!   averaged over K draws w + δu ([`crate::optimizer::Smoothed`]), δ per stage from
//!   the authors' `ego.py` list ([`ego_deltas`]: δ₀·(M + 1 − k)/(M + 1) for the first
//!   M − 1 … stages, then δ₀/100 for the last), and η_k = η₀·δ_k/δ₀ (ego.py's step
//!   "lr ∝ δ");
//! * `sgd-same-lr`: the same η schedule without smoothing (isolates the smoothing);
//! * `sgd`: constant η₀.
//!
//! Verdict per metric (final train loss, final test accuracy): explicit GO "helps" if
//! it beats the better plain-SGD arm with non-overlapping seed bands ([`beats`]); P8
//! holds when it does not (worse or overlapping), and does not hold when it does.
//! The train loss of the `ego` arm is the smoothed loss (mean over the K perturbed
//! weights); its last stage has δ = δ₀/100.

use super::report::{cell, write_csv, Report};
use super::runs::{self, PlannedRun};
use super::{Common, Context, Outcome};
use crate::predictions::{beats, Band, Better, Outcome as Decision, Verdict};
use crate::train::ScheduleSpec;
use crate::{ExperimentError, Result};
use numerics::schedule::ego_deltas;
use serde::Serialize;
use std::fmt::Write as _;

/// File name of the per-run table.
pub const RESULTS: &str = "explicit_go.csv";

/// The arms, in order.
pub const ARMS: [&str; 3] = ["ego", "sgd-same-lr", "sgd"];

/// Settings of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Model, data, seeds, output.
    pub common: Common,
    /// Number of stages M (δ constant within a stage).
    pub stages: usize,
    /// Epochs per stage.
    pub stage_epochs: usize,
    /// Gaussian draws K per step.
    pub samples: usize,
    /// δ₀ (per-coordinate standard deviation of the weight noise in the first stage).
    pub delta0: f64,
    /// η₀.
    pub learning_rate: f64,
    /// b.
    pub batch_size: usize,
}

impl Options {
    /// Defaults: 5 stages of 4 epochs, K = 4, δ₀ = 0.02, η₀ = 0.1, b = 32.
    #[must_use]
    pub fn new(common: Common) -> Self {
        Self {
            common,
            stages: 5,
            stage_epochs: 4,
            samples: 4,
            delta0: 0.02,
            learning_rate: 0.1,
            batch_size: 32,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] naming the flag.
    pub fn validate(&self) -> Result<()> {
        self.common.validate()?;
        for (key, v, min) in [
            ("--stages", self.stages, 2),
            ("--stage-epochs", self.stage_epochs, 1),
            ("--samples", self.samples, 1),
            ("--batch", self.batch_size, 1),
        ] {
            if v < min {
                return Err(ExperimentError::config(
                    key,
                    format!("must be ≥ {min}, got {v}"),
                ));
            }
        }
        for (key, v) in [("--delta0", self.delta0), ("--lr", self.learning_rate)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(ExperimentError::config(
                    key,
                    format!("must be finite and > 0, got {v}"),
                ));
            }
        }
        Ok(())
    }

    /// δ per stage: ego.py's list with M = `stages` − 1 (M values δ₀(M + 1 − k)/(M + 1),
    /// then δ₀/100).
    ///
    /// # Errors
    /// Invalid settings.
    pub fn deltas(&self) -> Result<Vec<f64>> {
        ego_deltas(self.stages - 1, 1.0, self.delta0, self.delta0 / 100.0)
            .map_err(|e| ExperimentError::config("--delta0", e.to_string()))
    }
}

/// One run's numbers (a row of `explicit_go.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The arm.
    pub arm: String,
    /// The seed.
    pub seed: u64,
    /// Whether the run finished.
    pub finished: bool,
    /// Final train loss.
    pub train_loss: f64,
    /// Final test accuracy.
    pub test_accuracy: f64,
    /// Parameter updates.
    pub updates: u64,
    /// Gradient evaluations (K per update for `ego`).
    pub gradient_evaluations: u64,
}

fn values(rows: &[Row], arm: &str, metric: fn(&Row) -> f64) -> Vec<f64> {
    rows.iter()
        .filter(|r| r.arm == arm)
        .map(|r| if r.finished { metric(r) } else { f64::NAN })
        .collect()
}

/// The P8 verdicts (train loss, test accuracy) from the rows (pure).
#[must_use]
pub fn analyse(rows: &[Row]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for (metric, name, better) in [
        (
            (|r: &Row| r.train_loss) as fn(&Row) -> f64,
            "final train loss",
            Better::Lower,
        ),
        (
            |r: &Row| r.test_accuracy,
            "final test accuracy",
            Better::Higher,
        ),
    ] {
        let bands: Vec<(&str, Band)> = ARMS
            .iter()
            .map(|a| (*a, Band::of(&values(rows, a, metric))))
            .collect();
        let best_plain = bands
            .iter()
            .skip(1)
            .filter(|(_, b)| b.mean.is_finite())
            .min_by(|a, b| match better {
                Better::Lower => a.1.mean.total_cmp(&b.1.mean),
                Better::Higher => b.1.mean.total_cmp(&a.1.mean),
            })
            .map(|(a, _)| *a);
        let listing: Vec<String> = bands.iter().map(|(a, b)| format!("{a}: {b}")).collect();
        let (outcome, helps) = match best_plain {
            Some(plain) => {
                let (o, _, _) = beats(
                    &values(rows, "ego", metric),
                    &values(rows, plain, metric),
                    better,
                );
                let outcome = match o {
                    Decision::Holds => Decision::DoesNotHold,
                    _ if values(rows, "ego", metric).iter().any(|v| v.is_nan()) => {
                        Decision::Undecided
                    }
                    _ => Decision::Holds,
                };
                (
                    outcome,
                    format!("ego beats the better plain arm ({plain}): {o}"),
                )
            }
            None => (Decision::Undecided, "no finished plain-SGD arm".into()),
        };
        out.push(Verdict {
            id: "P8".into(),
            statement: format!("explicit graduated optimization does not help ({name})"),
            outcome,
            evidence: format!(
                "mean [min, max] over seeds: {}; {helps}",
                listing.join("; ")
            ),
        });
    }
    out
}

/// Runs the three arms over the seeds (skipping finished runs, resuming stopped ones),
/// then writes `explicit_go.csv`, `verdicts.json` and `README.txt`.
///
/// # Errors
/// Invalid options, a run directory with another config, or a run's error.
pub fn run(options: &Options, cx: Context<'_>) -> Result<Outcome> {
    options.validate()?;
    let c = &options.common;
    let out = &c.out;
    std::fs::create_dir_all(out).map_err(|e| ExperimentError::io(out, e))?;
    let deltas = options.deltas()?;
    let rates: Vec<f64> = deltas
        .iter()
        .map(|d| options.learning_rate * d / options.delta0)
        .collect();
    let epochs = options.stages * options.stage_epochs;
    let stages = |values: &[f64]| ScheduleSpec::Stages {
        values: values.to_vec(),
        stage_epochs: options.stage_epochs,
        offset: 0,
    };
    let mut planned = Vec::new();
    for arm in ARMS {
        for &seed in &c.seeds {
            let mut config = c.base_config(epochs, seed);
            config.schedule.batch_size = Some(ScheduleSpec::constant(options.batch_size as f64));
            config.schedule.learning_rate = Some(match arm {
                "sgd" => ScheduleSpec::constant(options.learning_rate),
                _ => stages(&rates),
            });
            if arm == "ego" {
                config.optimizer.smoothing_samples = options.samples;
                config.schedule.smoothing_radius = Some(stages(&deltas));
            }
            planned.push((
                arm,
                seed,
                PlannedRun {
                    name: format!("{arm}/seed_{seed}"),
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
        .map(|((arm, seed, _), run)| {
            let last = run.last();
            let k = if *arm == "ego" {
                options.samples as u64
            } else {
                1
            };
            Row {
                arm: (*arm).to_string(),
                seed: *seed,
                finished: run.finished(),
                train_loss: last.map_or(f64::NAN, |r| r.train_loss),
                test_accuracy: last.map_or(f64::NAN, |r| r.test_accuracy),
                updates: run.summary.updates,
                gradient_evaluations: k * run.summary.updates,
            }
        })
        .collect();
    let verdicts = analyse(&rows);
    let mut body = String::new();
    let _ = writeln!(body, "stages (ego arm: δ and η; sgd-same-lr: the same η):");
    for (i, (d, e)) in deltas.iter().zip(&rates).enumerate() {
        let _ = writeln!(body, "  stage {}: δ {d:.6}  η {e:.6}", i + 1);
    }
    let _ = writeln!(body, "\nper arm, mean [min, max] over seeds:");
    let _ = writeln!(
        body,
        "{:>12} {:>8} {:>10} {:>26} {:>26}",
        "arm", "updates", "grad evals", "final train loss", "final test acc"
    );
    for arm in ARMS {
        let of: Vec<&Row> = rows.iter().filter(|r| r.arm == arm).collect();
        let _ = writeln!(
            body,
            "{:>12} {:>8} {:>10} {:>26} {:>26}",
            arm,
            of.first().map_or(0, |r| r.updates),
            of.first().map_or(0, |r| r.gradient_evaluations),
            Band::of(&values(&rows, arm, |r| r.train_loss)).to_string(),
            Band::of(&values(&rows, arm, |r| r.test_accuracy)).to_string(),
        );
    }
    let diverged: Vec<String> = rows
        .iter()
        .filter(|r| !r.finished)
        .map(|r| format!("{} seed {}", r.arm, r.seed))
        .collect();
    if !diverged.is_empty() {
        let _ = writeln!(body, "diverged (left out): {}", diverged.join(", "));
    }
    let csv_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.arm.clone(),
                r.seed.to_string(),
                r.finished.to_string(),
                cell(Some(r.train_loss)),
                cell(Some(r.test_accuracy)),
                r.updates.to_string(),
                r.gradient_evaluations.to_string(),
            ]
        })
        .collect();
    write_csv(
        &out.join(RESULTS),
        &[
            "arm",
            "seed",
            "finished",
            "train_loss",
            "test_accuracy",
            "updates",
            "gradient_evaluations",
        ],
        &csv_rows,
    )?;
    let mut report = Report::new("explicit-go", &c.command, &c.seeds);
    report.setting("model", &c.model);
    report.setting("data", c.data.describe());
    report.setting(
        "optimizer",
        format!(
            "plain SGD, b = {}, no weight decay, {}; ego: K = {} Gaussian draws per step",
            options.batch_size,
            c.augmentation.describe(),
            options.samples
        ),
    );
    report.setting(
        "stages",
        format!(
            "{} × {} epochs; δ₀ = {}, η₀ = {}",
            options.stages, options.stage_epochs, options.delta0, options.learning_rate
        ),
    );
    report.setting("runs", format!("{}/runs/<arm>/seed_<s>", out.display()));
    report.verdicts = verdicts;
    report.body = body;
    report.details = serde_json::json!({ "deltas": deltas, "learning_rates": rates, "rows": rows });
    report.write(out)?;
    Ok(Outcome::Complete(Box::new(report)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(ego: [f64; 3], same: [f64; 3], sgd: [f64; 3]) -> Vec<Row> {
        let mut out = Vec::new();
        for (arm, accs) in [("ego", ego), ("sgd-same-lr", same), ("sgd", sgd)] {
            for (s, a) in accs.iter().enumerate() {
                out.push(Row {
                    arm: arm.into(),
                    seed: s as u64,
                    finished: true,
                    train_loss: 1.0 - a,
                    test_accuracy: *a,
                    updates: 10,
                    gradient_evaluations: 10,
                });
            }
        }
        out
    }

    #[test]
    fn p8_is_refuted_only_when_ego_beats_the_better_plain_arm() {
        let helps = analyse(&rows(
            [0.95, 0.96, 0.97],
            [0.8, 0.81, 0.82],
            [0.9, 0.91, 0.92],
        ));
        assert!(
            helps.iter().all(|v| v.outcome == Decision::DoesNotHold),
            "{helps:?}"
        );
        // Better than one plain arm, not than the better one: no help.
        let no = analyse(&rows(
            [0.85, 0.86, 0.87],
            [0.8, 0.81, 0.82],
            [0.9, 0.91, 0.92],
        ));
        assert!(no.iter().all(|v| v.outcome == Decision::Holds), "{no:?}");
        let tie = analyse(&rows(
            [0.89, 0.91, 0.95],
            [0.8, 0.81, 0.82],
            [0.9, 0.91, 0.92],
        ));
        assert!(tie.iter().all(|v| v.outcome == Decision::Holds), "{tie:?}");
    }

    #[test]
    fn deltas_follow_ego_py() {
        let o = Options::new(Common::new("x".into()));
        let d = o.deltas().unwrap();
        let want = [0.02, 0.016, 0.012, 0.008, 0.0002];
        assert_eq!(d.len(), want.len());
        for (a, b) in d.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{d:?}");
        }
    }
}
