//! `igo experiment methods`: the four methods of arXiv 2311.08745 (spec §10.1) behind
//! P4 and P5, scaled to the data.
//!
//! Plain SGD, 5 stages of `stage_epochs` epochs, the per-stage (η, b) lists of
//! `numerics::schedule::StagePlan` for a paper setting (default ResNet18/CIFAR-100:
//! method 1 η = 0.1, b = 128; method 2 η ÷ √2 per stage; method 3 b × 2 per stage from
//! 16; method 4 η × √3/2 and b × 1.5 from 32), so that every stage divides
//! δ = ηC/√b by √2. The batch sizes are divided by the smallest power of two 2^k that
//! brings the largest one to at most N/4 (k = 0 on the digits: N/4 = 359 ≥ 256); the
//! realised δ ratio per stage is printed for every method.
//!
//! Verdicts over the seeds with [`beats`] (min–max bands; a reversed order with
//! non-overlapping bands refutes):
//! * P4: methods 2, 3, 4 beat method 1, and 3, 4 beat 2, in final train loss and in
//!   final test accuracy (one verdict per metric);
//! * P5: the same comparisons per parameter update, plus method 4 beating method 3:
//!   every run is read at the last epoch whose cumulative updates are ≤ the smallest
//!   total number of updates among the methods.

use super::report::{cell, write_csv, Report};
use super::runs::{self, CompletedRun, PlannedRun};
use super::{Common, Context, Outcome};
use crate::predictions::{all_of, beats, Band, Better, Outcome as Decision, Verdict};
use crate::train::config::Setting;
use crate::train::{EpochRecord, ScheduleSpec};
use crate::{ExperimentError, Result};
use numerics::schedule::{PaperMethod, PaperSetting, StagePlan};
use serde::Serialize;
use std::fmt::Write as _;

/// File name of the per-run table.
pub const RESULTS: &str = "methods.csv";

/// Number of stages of every method.
pub const STAGES: usize = StagePlan::STAGES;

/// The paper setting from its name (`resnet18-cifar100`, `wrn28-10-cifar100`,
/// `resnet34-imagenet`).
///
/// # Errors
/// [`ExperimentError::Config`] naming `--setting`.
pub fn parse_setting(name: &str) -> Result<Setting> {
    match name.trim() {
        "resnet18-cifar100" => Ok(Setting::Resnet18Cifar100),
        "wrn28-10-cifar100" => Ok(Setting::Wrn28x10Cifar100),
        "resnet34-imagenet" => Ok(Setting::Resnet34Imagenet),
        other => Err(ExperimentError::config(
            "--setting",
            format!(
                "unknown setting '{other}': expected resnet18-cifar100, wrn28-10-cifar100 or resnet34-imagenet"
            ),
        )),
    }
}

fn paper_setting(s: Setting) -> PaperSetting {
    match s {
        Setting::Resnet18Cifar100 => PaperSetting::Resnet18Cifar100,
        Setting::Wrn28x10Cifar100 => PaperSetting::WideResnet28x10Cifar100,
        Setting::Resnet34Imagenet => PaperSetting::Resnet34Imagenet,
    }
}

/// The `--setting` name of `s`.
#[must_use]
pub fn setting_name(s: Setting) -> &'static str {
    match s {
        Setting::Resnet18Cifar100 => "resnet18-cifar100",
        Setting::Wrn28x10Cifar100 => "wrn28-10-cifar100",
        Setting::Resnet34Imagenet => "resnet34-imagenet",
    }
}

/// Settings of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Model, data, seeds, output.
    pub common: Common,
    /// Epochs per stage (5 stages).
    pub stage_epochs: usize,
    /// Whose (η, b) lists.
    pub setting: Setting,
}

impl Options {
    /// Defaults: stages of 4 epochs (20 in all), the ResNet18/CIFAR-100 lists.
    #[must_use]
    pub fn new(common: Common) -> Self {
        Self {
            common,
            stage_epochs: 4,
            setting: Setting::Resnet18Cifar100,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] naming `--stage-epochs` or a shared setting.
    pub fn validate(&self) -> Result<()> {
        self.common.validate()?;
        if self.stage_epochs == 0 {
            return Err(ExperimentError::config(
                "--stage-epochs",
                "must be ≥ 1, got 0",
            ));
        }
        Ok(())
    }
}

/// One method's per-stage lists after scaling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodPlan {
    /// 1–4.
    pub method: u8,
    /// η per stage.
    pub learning_rates: Vec<f64>,
    /// b per stage (scaled).
    pub batch_sizes: Vec<usize>,
}

/// The four methods' lists for `setting`, with every b divided by `divisor` (rounded
/// down, at least 1).
#[must_use]
pub fn method_plans(setting: Setting, divisor: usize) -> Vec<MethodPlan> {
    [
        PaperMethod::Constant,
        PaperMethod::LearningRateDecay,
        PaperMethod::BatchGrowth,
        PaperMethod::Hybrid,
    ]
    .into_iter()
    .map(|m| {
        let plan = StagePlan::paper(paper_setting(setting), m);
        MethodPlan {
            method: m.number(),
            learning_rates: plan.learning_rates().to_vec(),
            batch_sizes: plan
                .batch_sizes()
                .iter()
                .map(|&b| (b / divisor.max(1)).max(1))
                .collect(),
        }
    })
    .collect()
}

/// The smallest power of two 2^k with max(b)/2^k ≤ n/4 over the setting's lists.
#[must_use]
pub fn batch_divisor(setting: Setting, n: usize) -> usize {
    let largest = method_plans(setting, 1)
        .iter()
        .flat_map(|p| p.batch_sizes.iter().copied())
        .max()
        .unwrap_or(1);
    let limit = (n / 4).max(1);
    let mut d = 1usize;
    while largest / d > limit && d < largest {
        d *= 2;
    }
    d
}

/// δ at the first epoch of each stage of a run (the SGD form with C² at
/// initialisation) and the ratios δ_{i+1}/δ_i.
#[must_use]
pub fn stage_deltas(records: &[EpochRecord], stage_epochs: usize) -> (Vec<f64>, Vec<f64>) {
    let deltas: Vec<f64> = (0..STAGES)
        .filter_map(|i| records.get(i * stage_epochs))
        .map(|r| r.delta.map_or(f64::NAN, |d| d.sgd))
        .collect();
    let ratios = deltas.windows(2).map(|w| w[1] / w[0]).collect();
    (deltas, ratios)
}

/// The record of the last epoch with cumulative updates ≤ `budget` (None if even the
/// first epoch exceeds it).
#[must_use]
pub fn at_updates(records: &[EpochRecord], budget: u64) -> Option<&EpochRecord> {
    records.iter().take_while(|r| r.updates <= budget).last()
}

/// One run's numbers (a row of `methods.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Row {
    /// 1–4.
    pub method: u8,
    /// The seed.
    pub seed: u64,
    /// Whether the run finished.
    pub finished: bool,
    /// Final train loss.
    pub train_loss: f64,
    /// Final test accuracy.
    pub test_accuracy: f64,
    /// Total parameter updates.
    pub updates: u64,
    /// Train loss at the equal-update budget.
    pub train_loss_at_budget: f64,
    /// Test accuracy at the equal-update budget.
    pub test_accuracy_at_budget: f64,
    /// Cumulative updates of the epoch read at the budget.
    pub updates_at_budget: u64,
}

fn row(method: u8, seed: u64, run: &CompletedRun, budget: u64) -> Row {
    let nan = f64::NAN;
    let last = run.last();
    let at = at_updates(&run.records, budget);
    Row {
        method,
        seed,
        finished: run.finished(),
        train_loss: last.map_or(nan, |r| r.train_loss),
        test_accuracy: last.map_or(nan, |r| r.test_accuracy),
        updates: run.summary.updates,
        train_loss_at_budget: at.map_or(nan, |r| r.train_loss),
        test_accuracy_at_budget: at.map_or(nan, |r| r.test_accuracy),
        updates_at_budget: at.map_or(0, |r| r.updates),
    }
}

/// One "method A beats method B" comparison: (A, B, outcome, band of A, band of B).
type Pair = (u8, u8, Decision, Band, Band);

/// "A beats B" comparisons of one metric, combined into a verdict.
fn ordering(
    id: &str,
    statement: &str,
    rows: &[Row],
    pairs: &[(u8, u8)],
    metric: fn(&Row) -> f64,
    better: Better,
) -> (Verdict, Vec<Pair>) {
    let values = |m: u8| -> Vec<f64> {
        rows.iter()
            .filter(|r| r.method == m)
            .map(|r| if r.finished { metric(r) } else { f64::NAN })
            .collect()
    };
    let mut parts = Vec::new();
    let mut outcomes = Vec::new();
    let mut detail = Vec::new();
    for &(a, b) in pairs {
        let (o, band_a, band_b) = beats(&values(a), &values(b), better);
        outcomes.push(o);
        parts.push(format!("M{a} vs M{b}: {o} ({band_a} vs {band_b})"));
        detail.push((a, b, o, band_a, band_b));
    }
    (
        Verdict {
            id: id.into(),
            statement: statement.into(),
            outcome: all_of(&outcomes),
            evidence: format!("mean [min, max] over seeds; {}", parts.join("; ")),
        },
        detail,
    )
}

/// The P4 and P5 verdicts and the per-pair details from the rows (pure).
#[must_use]
pub fn analyse(rows: &[Row]) -> (Vec<Verdict>, serde_json::Value) {
    let p4_pairs = [(2, 1), (3, 1), (4, 1), (3, 2), (4, 2)];
    let p5_pairs = [(2, 1), (3, 1), (4, 1), (3, 2), (4, 2), (4, 3)];
    let mut verdicts = Vec::new();
    let mut details = Vec::new();
    for (id, statement, pairs, metric, better, key) in [
        (
            "P4",
            "at equal δ decay, methods 2–4 beat method 1 and methods 3, 4 beat method 2 in final train loss",
            &p4_pairs[..],
            (|r: &Row| r.train_loss) as fn(&Row) -> f64,
            Better::Lower,
            "p4_train_loss",
        ),
        (
            "P4",
            "at equal δ decay, methods 2–4 beat method 1 and methods 3, 4 beat method 2 in final test accuracy",
            &p4_pairs[..],
            |r: &Row| r.test_accuracy,
            Better::Higher,
            "p4_test_accuracy",
        ),
        (
            "P5",
            "per parameter update (all methods read at the smallest total update count): 2–4 beat 1, 3, 4 beat 2, and 4 beats 3 in train loss",
            &p5_pairs[..],
            |r: &Row| r.train_loss_at_budget,
            Better::Lower,
            "p5_train_loss",
        ),
        (
            "P5",
            "per parameter update (all methods read at the smallest total update count): 2–4 beat 1, 3, 4 beat 2, and 4 beats 3 in test accuracy",
            &p5_pairs[..],
            |r: &Row| r.test_accuracy_at_budget,
            Better::Higher,
            "p5_test_accuracy",
        ),
    ] {
        let (v, d) = ordering(id, statement, rows, pairs, metric, better);
        verdicts.push(v);
        let pairs: Vec<serde_json::Value> = d
            .iter()
            .map(|(a, b, o, ba, bb)| {
                serde_json::json!({ "a": a, "b": b, "outcome": o, "band_a": ba, "band_b": bb })
            })
            .collect();
        details.push((key, serde_json::Value::Array(pairs)));
    }
    let details = serde_json::Value::Object(
        details
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    );
    (verdicts, details)
}

/// Runs the four methods over the seeds (skipping finished runs, resuming stopped
/// ones), then writes `methods.csv`, `verdicts.json` and `README.txt`.
///
/// # Errors
/// Invalid options, unreadable data, a run directory with another config, or a run's
/// error.
pub fn run(options: &Options, cx: Context<'_>) -> Result<Outcome> {
    options.validate()?;
    let c = &options.common;
    let out = &c.out;
    std::fs::create_dir_all(out).map_err(|e| ExperimentError::io(out, e))?;
    let n = c.data.load()?.train.len();
    let divisor = batch_divisor(options.setting, n);
    let plans = method_plans(options.setting, divisor);
    let epochs = STAGES * options.stage_epochs;
    let mut planned = Vec::new();
    for plan in &plans {
        for &seed in &c.seeds {
            let mut config = c.base_config(epochs, seed);
            config.schedule.learning_rate = Some(ScheduleSpec::Stages {
                values: plan.learning_rates.clone(),
                stage_epochs: options.stage_epochs,
                offset: 0,
            });
            config.schedule.batch_size = Some(ScheduleSpec::Stages {
                values: plan.batch_sizes.iter().map(|&b| b as f64).collect(),
                stage_epochs: options.stage_epochs,
                offset: 0,
            });
            planned.push((
                plan.method,
                seed,
                PlannedRun {
                    name: format!("method{}/seed_{seed}", plan.method),
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
    let budget = completed
        .iter()
        .map(|r| r.summary.updates)
        .min()
        .unwrap_or(0);
    let rows: Vec<Row> = planned
        .iter()
        .zip(&completed)
        .map(|((m, s, _), run)| row(*m, *s, run, budget))
        .collect();
    let mut body = String::new();
    let _ = writeln!(
        body,
        "N = {n} training examples; batch sizes divided by {divisor} (largest b ≤ N/4 = {}); 5 stages of {} epochs",
        n / 4,
        options.stage_epochs
    );
    let _ = writeln!(
        body,
        "\nper-stage η, b and δ = ηC/√b (C² at initialisation, seed {}):",
        c.seeds.first().copied().unwrap_or(0)
    );
    let mut stage_details = Vec::new();
    for plan in &plans {
        let first = planned
            .iter()
            .zip(&completed)
            .find(|((m, _, _), _)| *m == plan.method)
            .map(|(_, run)| run);
        let (deltas, ratios) = first.map_or((Vec::new(), Vec::new()), |r| {
            stage_deltas(&r.records, options.stage_epochs)
        });
        let _ = writeln!(body, "  method {}:", plan.method);
        for (i, (eta, b)) in plan
            .learning_rates
            .iter()
            .zip(&plan.batch_sizes)
            .enumerate()
        {
            let d = deltas.get(i).copied().unwrap_or(f64::NAN);
            let ratio = if i == 0 {
                String::new()
            } else {
                format!(
                    "  δ/δ_prev {:.6} (1/√2 = {:.6})",
                    ratios.get(i - 1).copied().unwrap_or(f64::NAN),
                    std::f64::consts::FRAC_1_SQRT_2
                )
            };
            let _ = writeln!(
                body,
                "    stage {}: η {eta:.6}  b {b:>4}  δ {d:.6}{ratio}",
                i + 1
            );
        }
        stage_details.push(serde_json::json!({
            "method": plan.method,
            "learning_rates": plan.learning_rates,
            "batch_sizes": plan.batch_sizes,
            "deltas": deltas,
            "ratios": ratios,
        }));
    }
    let _ = writeln!(
        body,
        "\nper method, mean [min, max] over seeds; equal-update reading at ≤ {budget} updates:"
    );
    let _ = writeln!(
        body,
        "{:>7} {:>8} {:>26} {:>26} {:>26} {:>26}",
        "method",
        "updates",
        "final train loss",
        "final test acc",
        "train loss @ budget",
        "test acc @ budget"
    );
    for plan in &plans {
        let of: Vec<&Row> = rows.iter().filter(|r| r.method == plan.method).collect();
        let band = |f: fn(&Row) -> f64| Band::of(&of.iter().map(|r| f(r)).collect::<Vec<_>>());
        let updates = of.first().map_or(0, |r| r.updates);
        let at = of.first().map_or(0, |r| r.updates_at_budget);
        let _ = writeln!(
            body,
            "{:>7} {:>8} {:>26} {:>26} {:>26} {:>26}",
            plan.method,
            updates,
            band(|r| r.train_loss).to_string(),
            band(|r| r.test_accuracy).to_string(),
            format!("{} ({at})", band(|r| r.train_loss_at_budget)),
            band(|r| r.test_accuracy_at_budget).to_string(),
        );
    }
    let _ = writeln!(
        body,
        "(the @ budget columns read each run at its last epoch with ≤ {budget} cumulative updates, shown in parentheses: a method with many updates per epoch is read at fewer updates than the others, which disadvantages it)"
    );
    let unfinished: Vec<&Row> = rows.iter().filter(|r| !r.finished).collect();
    if !unfinished.is_empty() {
        let _ = writeln!(
            body,
            "diverged (left out: their bands are undefined): {}",
            unfinished
                .iter()
                .map(|r| format!("method {} seed {}", r.method, r.seed))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let csv_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.method.to_string(),
                r.seed.to_string(),
                r.finished.to_string(),
                cell(Some(r.train_loss)),
                cell(Some(r.test_accuracy)),
                r.updates.to_string(),
                cell(Some(r.train_loss_at_budget)),
                cell(Some(r.test_accuracy_at_budget)),
                r.updates_at_budget.to_string(),
            ]
        })
        .collect();
    write_csv(
        &out.join(RESULTS),
        &[
            "method",
            "seed",
            "finished",
            "train_loss",
            "test_accuracy",
            "updates",
            "train_loss_at_budget",
            "test_accuracy_at_budget",
            "updates_at_budget",
        ],
        &csv_rows,
    )?;
    let (verdicts, pair_details) = analyse(&rows);
    let mut report = Report::new("methods", &c.command, &c.seeds);
    report.setting("model", &c.model);
    report.setting("data", c.data.describe());
    report.setting(
        "optimizer",
        format!(
            "plain SGD (no momentum, no weight decay), {}",
            c.augmentation.describe()
        ),
    );
    report.setting("lists", setting_name(options.setting));
    report.setting("stages", format!("5 × {} epochs", options.stage_epochs));
    report.setting("runs", format!("{}/runs/method<m>/seed_<s>", out.display()));
    report.verdicts = verdicts;
    report.body = body;
    report.details = serde_json::json!({
        "batch_divisor": divisor,
        "update_budget": budget,
        "stages": stage_details,
        "rows": rows,
        "pairs": pair_details,
    });
    report.write(out)?;
    Ok(Outcome::Complete(Box::new(report)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_need_no_scaling_and_small_data_halves_exactly() {
        // ResNet18/CIFAR-100 lists: the largest b is 256 (method 3).
        assert_eq!(batch_divisor(Setting::Resnet18Cifar100, 1438), 1);
        assert_eq!(batch_divisor(Setting::Resnet18Cifar100, 1000), 2);
        let plans = method_plans(Setting::Resnet18Cifar100, 2);
        assert_eq!(plans[2].batch_sizes, vec![8, 16, 32, 64, 128]);
        assert_eq!(plans[3].batch_sizes, vec![16, 24, 36, 54, 81]);
        // δ ∝ η/√b falls by exactly 1/√2 per stage in every scaled plan.
        for p in &plans {
            for i in 1..STAGES {
                let d = |k: usize| p.learning_rates[k] / (p.batch_sizes[k] as f64).sqrt();
                let r = if p.method == 1 { 1.0 } else { d(i) / d(i - 1) };
                let want = if p.method == 1 {
                    1.0
                } else {
                    std::f64::consts::FRAC_1_SQRT_2
                };
                assert!(
                    (r - want).abs() < 1e-12,
                    "method {} stage {i}: {r}",
                    p.method
                );
            }
        }
    }
}
