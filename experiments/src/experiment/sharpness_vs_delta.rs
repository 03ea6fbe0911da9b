//! `igo experiment sharpness-vs-delta`: the sweep of spec §10.6 behind P1 and P2
//! (Figure 3 of arXiv 2311.08745) at CPU scale.
//!
//! Plain SGD (no momentum, no weight decay, augmentation as set) with constant η and b over
//! a grid, a fixed epoch budget, every configuration once per seed. At the end of each
//! run: worst-case ℓ∞ sharpness (ρ = 2e−4, the first 1024 training examples in batches
//! of 128, 20 APGD steps: the authors' protocol, spec §10.2) and λ_max (Lanczos on
//! exact Hessian-vector products), by [`MeasureHook`]. C² is measured at
//! initialisation, after every epoch and so at the end and as the maximum along the run
//! (spec §10.2's testbed procedure); δ = ηC/√b with each.
//!
//! Verdicts ([`crate::predictions`]), with δ of a configuration = the mean over its
//! seeds of the runs' δ:
//! * P1 (C² at initialisation): Spearman ρ(δ, ℓ∞ sharpness) CI entirely < 0 holds;
//!   the same with λ_max as the sharpness measure;
//! * P2 (C² at initialisation): best mean test accuracy at an interior δ of the grid
//!   and a negative curvature CI of the quadratic fit in log δ;
//! * the same P1 and P2 with C² at the end and with its maximum (robustness, spec
//!   §10.2);
//! * reported, not verdicts: Spearman ρ of sharpness with b (P1 expects > 0) and with η
//!   (< 0), and with test accuracy (P3).
//!
//! Runs that diverged have no final sharpness: they are listed and left out of every
//! statistic.

use super::report::{cell, write_csv, Report};
use super::runs::{self, CompletedRun, PlannedRun};
use super::{mean, name_part, Common, Context, Outcome};
use crate::measure::hook::{MeasureHook, LAMBDA_MAX, SHARPNESS};
use crate::predictions::{
    p1_sharpness_decreases, p2_accuracy_unimodal, spearman_interval, Outcome as Decision,
    SweepPoint, Verdict, CONFIDENCE,
};
use crate::train::{ScheduleSpec, Status};
use crate::{ExperimentError, Result};
use numerics::smoothing::{smoothing_degree, NoiseForm};
use numerics::Seed;
use serde::Serialize;
use std::fmt::Write as _;

/// File name of the per-run table.
pub const POINTS: &str = "points.csv";

/// Seed of the bootstrap resampling behind every interval of the report.
pub const BOOTSTRAP_SEED: Seed = Seed(0x5EED_0001);

/// Settings of the sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Model, data, seeds, output.
    pub common: Common,
    /// The η grid.
    pub learning_rates: Vec<f64>,
    /// The b grid.
    pub batch_sizes: Vec<usize>,
    /// Epochs of every run.
    pub epochs: usize,
    /// Sharpness radius ρ.
    pub sharpness_rho: f64,
    /// Also measure λ_max.
    pub lambda_max: bool,
}

impl Options {
    /// The defaults: η ∈ {0.01, 0.03, 0.1, 0.3} × b ∈ {4, 16, 64, 256}, 20 epochs, seeds
    /// 0, 1, 2, an MLP 128-128 on the digits, ρ = 2e−4, with λ_max (48 runs, a few
    /// minutes on 2 CPU cores).
    #[must_use]
    pub fn new(common: Common) -> Self {
        Self {
            common,
            learning_rates: vec![0.01, 0.03, 0.1, 0.3],
            batch_sizes: vec![4, 16, 64, 256],
            epochs: 20,
            sharpness_rho: 2e-4,
            lambda_max: true,
        }
    }

    /// Checks the grid.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] naming `--lr`, `--batch`, `--epochs`, `--rho` or a
    /// shared setting.
    pub fn validate(&self) -> Result<()> {
        self.common.validate()?;
        if self.learning_rates.is_empty()
            || self
                .learning_rates
                .iter()
                .any(|&e| !(e.is_finite() && e > 0.0))
        {
            return Err(ExperimentError::config(
                "--lr",
                format!(
                    "needs at least one learning rate, each finite and > 0, got {:?}",
                    self.learning_rates
                ),
            ));
        }
        if self.batch_sizes.is_empty() || self.batch_sizes.contains(&0) {
            return Err(ExperimentError::config(
                "--batch",
                format!(
                    "needs at least one batch size, each ≥ 1, got {:?}",
                    self.batch_sizes
                ),
            ));
        }
        if self.epochs == 0 {
            return Err(ExperimentError::config("--epochs", "must be ≥ 1, got 0"));
        }
        if !(self.sharpness_rho.is_finite() && self.sharpness_rho > 0.0) {
            return Err(ExperimentError::config(
                "--rho",
                format!("must be finite and > 0, got {}", self.sharpness_rho),
            ));
        }
        Ok(())
    }

    /// Every run: for each η, each b, each seed, `DIR/runs/<η>_<b>/seed_<s>`.
    #[must_use]
    pub fn planned(&self) -> Vec<(Cell, PlannedRun)> {
        let mut out = Vec::new();
        for &eta in &self.learning_rates {
            for &b in &self.batch_sizes {
                for &seed in &self.common.seeds {
                    let mut c = self.common.base_config(self.epochs, seed);
                    c.schedule.learning_rate = Some(ScheduleSpec::constant(eta));
                    c.schedule.batch_size = Some(ScheduleSpec::constant(b as f64));
                    c.measurements.every = self.epochs;
                    c.measurements.sharpness_rho = self.sharpness_rho;
                    c.measurements.lambda_max = self.lambda_max;
                    out.push((
                        Cell { eta, b, seed },
                        PlannedRun {
                            name: format!("{}_{b}/seed_{seed}", name_part(eta)),
                            config: c,
                        },
                    ));
                }
            }
        }
        out
    }
}

/// One grid cell and seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// η.
    pub eta: f64,
    /// b.
    pub b: usize,
    /// The seed.
    pub seed: u64,
}

/// One run's numbers (a row of `points.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// η.
    pub eta: f64,
    /// b.
    pub b: usize,
    /// The seed.
    pub seed: u64,
    /// Whether the run finished (false: it diverged).
    pub finished: bool,
    /// C² at initialisation.
    pub c2_init: f64,
    /// C² at the end.
    pub c2_end: f64,
    /// The largest C² along the run.
    pub c2_max: f64,
    /// δ = ηC/√b with C² at initialisation.
    pub delta: f64,
    /// δ with C² at the end.
    pub delta_end: f64,
    /// δ with the largest C².
    pub delta_max: f64,
    /// Worst-case ℓ∞ sharpness at the end (NaN if not measured).
    pub sharpness: f64,
    /// λ_max at the end (NaN if not measured).
    pub lambda_max: f64,
    /// Final test accuracy.
    pub test_accuracy: f64,
    /// Final train loss (mean mini-batch loss of the last epoch).
    pub train_loss: f64,
}

impl Point {
    /// The numbers of a completed run.
    #[must_use]
    pub fn of(cell: Cell, run: &CompletedRun) -> Self {
        let s = &run.summary;
        let nan = f64::NAN;
        let delta = |c2: Option<f64>| {
            c2.map_or(nan, |c2| {
                smoothing_degree(cell.eta, c2, cell.b as f64, NoiseForm::Sgd)
            })
        };
        Self {
            eta: cell.eta,
            b: cell.b,
            seed: cell.seed,
            finished: s.status == Status::Finished,
            c2_init: s.c2_initial.unwrap_or(nan),
            c2_end: s.c2_final.unwrap_or(nan),
            c2_max: s.c2_max.unwrap_or(nan),
            delta: delta(s.c2_initial),
            delta_end: delta(s.c2_final),
            delta_max: delta(s.c2_max),
            sharpness: run.final_measurement(SHARPNESS).unwrap_or(nan),
            lambda_max: run.final_measurement(LAMBDA_MAX).unwrap_or(nan),
            test_accuracy: s.final_test_accuracy.unwrap_or(nan),
            train_loss: s.final_train_loss.unwrap_or(nan),
        }
    }

    /// Usable in the statistics: finished, with finite δ and accuracy.
    fn usable(&self) -> bool {
        self.finished && self.delta.is_finite() && self.test_accuracy.is_finite()
    }
}

/// Which C² enters δ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum C2At {
    Init,
    End,
    Max,
}

impl C2At {
    fn of(self, p: &Point) -> f64 {
        match self {
            C2At::Init => p.delta,
            C2At::End => p.delta_end,
            C2At::Max => p.delta_max,
        }
    }
    fn words(self) -> &'static str {
        match self {
            C2At::Init => "C² at initialisation",
            C2At::End => "C² at the end",
            C2At::Max => "C² maximum along the run",
        }
    }
}

/// Sweep points with δ of each configuration: the mean over its seeds of the runs' δ
/// (with `at`), and the chosen sharpness measure.
fn sweep_points(points: &[Point], at: C2At, sharpness: impl Fn(&Point) -> f64) -> Vec<SweepPoint> {
    let usable: Vec<&Point> = points
        .iter()
        .filter(|p| p.usable() && at.of(p).is_finite())
        .collect();
    usable
        .iter()
        .map(|p| {
            let same: Vec<f64> = usable
                .iter()
                .filter(|q| q.b == p.b && q.eta.total_cmp(&p.eta).is_eq())
                .map(|q| at.of(q))
                .collect();
            SweepPoint {
                delta: mean(&same),
                sharpness: sharpness(p),
                test_accuracy: p.test_accuracy,
            }
        })
        .collect()
}

/// Fewer points than this cannot decide a rank correlation.
const MIN_POINTS: usize = 4;

fn too_few(id: &str, statement: &str, n: usize) -> Verdict {
    Verdict {
        id: id.into(),
        statement: statement.into(),
        outcome: Decision::Undecided,
        evidence: format!("only {n} usable runs (at least {MIN_POINTS} are needed)"),
    }
}

fn p1(points: &[Point], at: C2At, lambda: bool) -> Verdict {
    let measure = if lambda {
        "λ_max"
    } else {
        "worst-case ℓ∞ sharpness"
    };
    let sweep: Vec<SweepPoint> =
        sweep_points(
            points,
            at,
            |p| {
                if lambda {
                    p.lambda_max
                } else {
                    p.sharpness
                }
            },
        )
        .into_iter()
        .filter(|s| s.sharpness.is_finite())
        .collect();
    let statement = format!(
        "final sharpness decreases as δ = ηC/√b increases [{measure}; δ with {}]",
        at.words()
    );
    if sweep.len() < MIN_POINTS {
        return too_few("P1", &statement, sweep.len());
    }
    let mut v = p1_sharpness_decreases(&sweep, BOOTSTRAP_SEED);
    v.statement = statement;
    v
}

fn p2(points: &[Point], at: C2At) -> Verdict {
    let sweep = sweep_points(points, at, |p| p.sharpness);
    let statement = format!(
        "test accuracy is unimodal in log δ, best at an intermediate δ [δ with {}]",
        at.words()
    );
    if sweep.len() < MIN_POINTS {
        return too_few("P2", &statement, sweep.len());
    }
    let mut v = p2_accuracy_unimodal(&sweep, BOOTSTRAP_SEED);
    v.statement = statement;
    v
}

/// A Spearman line: "ρ(x, y) = r, 95% CI [lo, hi] over n runs".
fn spearman_line(name: &str, pairs: &[(f64, f64)], seed: Seed) -> String {
    let pairs: Vec<(f64, f64)> = pairs
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if pairs.len() < MIN_POINTS {
        return format!("{name}: too few runs ({})", pairs.len());
    }
    let x: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let y: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let ci = spearman_interval(&x, &y, seed);
    format!(
        "{name} = {:.3}, {:.0}% CI [{:.3}, {:.3}] over {} runs",
        ci.estimate,
        100.0 * CONFIDENCE,
        ci.lo,
        ci.hi,
        pairs.len()
    )
}

/// The verdicts and the report's tables from the runs' points (pure: no I/O).
#[must_use]
pub fn analyse(points: &[Point]) -> (Vec<Verdict>, String) {
    let verdicts = vec![
        p1(points, C2At::Init, false),
        p1(points, C2At::Init, true),
        p2(points, C2At::Init),
        p1(points, C2At::End, false),
        p1(points, C2At::Max, false),
        p2(points, C2At::End),
        p2(points, C2At::Max),
    ];
    let mut t = String::new();
    let finished = points.iter().filter(|p| p.finished).count();
    let _ = writeln!(
        t,
        "runs: {} ({finished} finished, {} diverged and left out)",
        points.len(),
        points.len() - finished
    );
    for p in points.iter().filter(|p| !p.finished) {
        let _ = writeln!(t, "  diverged: η = {}, b = {}, seed {}", p.eta, p.b, p.seed);
    }
    let _ = writeln!(
        t,
        "\nmeans over seeds (δ with C² at initialisation; sharpness: worst-case ℓ∞):"
    );
    let _ = writeln!(
        t,
        "{:>8} {:>6} {:>10} {:>11} {:>10} {:>9} {:>10} {:>5}",
        "η", "b", "δ", "sharpness", "λ_max", "test acc", "train loss", "runs"
    );
    let mut cells: Vec<(f64, usize)> = Vec::new();
    for p in points {
        if !cells
            .iter()
            .any(|&(e, b)| b == p.b && e.total_cmp(&p.eta).is_eq())
        {
            cells.push((p.eta, p.b));
        }
    }
    for (eta, b) in cells {
        let of: Vec<&Point> = points
            .iter()
            .filter(|p| p.b == b && p.eta.total_cmp(&eta).is_eq() && p.usable())
            .collect();
        let m = |f: fn(&Point) -> f64| mean(&of.iter().map(|p| f(p)).collect::<Vec<_>>());
        let _ = writeln!(
            t,
            "{:>8} {:>6} {:>10.4} {:>11.4e} {:>10.4} {:>8.2}% {:>10.4} {:>5}",
            eta,
            b,
            m(|p| p.delta),
            m(|p| p.sharpness),
            m(|p| p.lambda_max),
            100.0 * m(|p| p.test_accuracy),
            m(|p| p.train_loss),
            of.len()
        );
    }
    let usable: Vec<&Point> = points.iter().filter(|p| p.usable()).collect();
    let pairs = |f: fn(&Point) -> (f64, f64)| usable.iter().map(|p| f(p)).collect::<Vec<_>>();
    let _ = writeln!(t, "\nreported (not verdicts), over single runs:");
    for (name, data, k) in [
        (
            "ρ(b, sharpness) (P1 expects > 0)",
            pairs(|p| (p.b as f64, p.sharpness)),
            11,
        ),
        (
            "ρ(η, sharpness) (P1 expects < 0)",
            pairs(|p| (p.eta, p.sharpness)),
            12,
        ),
        (
            "ρ(δ, test accuracy)",
            pairs(|p| (p.delta, p.test_accuracy)),
            13,
        ),
        (
            "ρ(sharpness, test accuracy) (P3: weak expected)",
            pairs(|p| (p.sharpness, p.test_accuracy)),
            14,
        ),
        (
            "ρ(λ_max, test accuracy)",
            pairs(|p| (p.lambda_max, p.test_accuracy)),
            15,
        ),
    ] {
        let _ = writeln!(
            t,
            "  {}",
            spearman_line(name, &data, BOOTSTRAP_SEED.child(k))
        );
    }
    (verdicts, t)
}

/// The `points.csv` header.
pub const POINTS_HEADER: [&str; 15] = [
    "eta",
    "b",
    "seed",
    "c2_init",
    "c2_end",
    "c2_max",
    "delta",
    "sharpness",
    "lambda_max",
    "test_accuracy",
    "train_loss",
    "delta_end",
    "delta_max",
    "finished",
    "run",
];

/// Runs the sweep (skipping finished runs, resuming stopped ones), then writes
/// `points.csv`, `verdicts.json` and `README.txt` in `options.common.out`.
///
/// # Errors
/// Invalid options, a run directory with another config, or a run's error.
pub fn run(options: &Options, cx: Context<'_>) -> Result<Outcome> {
    options.validate()?;
    let out = &options.common.out;
    std::fs::create_dir_all(out).map_err(|e| ExperimentError::io(out, e))?;
    let planned = options.planned();
    let runs: Vec<PlannedRun> = planned.iter().map(|(_, r)| r.clone()).collect();
    let mut hook = MeasureHook::new();
    let completed =
        match runs::execute(out, &runs, Some(&mut hook), cx.progress, cx.stop)?.into_runs() {
            Ok(runs) => runs,
            Err(stopped) => return Ok(stopped),
        };
    let points: Vec<Point> = planned
        .iter()
        .zip(&completed)
        .map(|((cell, _), run)| Point::of(*cell, run))
        .collect();
    let rows: Vec<Vec<String>> = points
        .iter()
        .zip(&completed)
        .map(|(p, run)| {
            vec![
                p.eta.to_string(),
                p.b.to_string(),
                p.seed.to_string(),
                cell(Some(p.c2_init)),
                cell(Some(p.c2_end)),
                cell(Some(p.c2_max)),
                cell(Some(p.delta)),
                cell(Some(p.sharpness)),
                cell(Some(p.lambda_max)),
                cell(Some(p.test_accuracy)),
                cell(Some(p.train_loss)),
                cell(Some(p.delta_end)),
                cell(Some(p.delta_max)),
                p.finished.to_string(),
                run.name.clone(),
            ]
        })
        .collect();
    write_csv(&out.join(POINTS), &POINTS_HEADER, &rows)?;
    let (verdicts, body) = analyse(&points);
    let c = &options.common;
    let mut report = Report::new("sharpness-vs-delta", &c.command, &c.seeds);
    report.setting("model", &c.model);
    report.setting("data", c.data.describe());
    report.setting(
        "optimizer",
        format!(
            "plain SGD (no momentum, no weight decay), constant η and b, {}",
            c.augmentation.describe()
        ),
    );
    report.setting("η grid", format!("{:?}", options.learning_rates));
    report.setting("b grid", format!("{:?}", options.batch_sizes));
    report.setting("epochs", options.epochs);
    report.setting(
        "sharpness",
        format!(
            "worst-case ℓ∞, ρ = {}, first 1024 training examples in batches of 128, 20 APGD steps; λ_max {}",
            options.sharpness_rho,
            if options.lambda_max { "by Lanczos on exact HVPs" } else { "off" }
        ),
    );
    report.setting(
        "C²",
        format!(
            "per-sample gradient variance on a fixed subset of {} training examples, at init and after every epoch",
            c.c2_subset
        ),
    );
    report.setting("runs", format!("{}/runs/<η>_<b>/seed_<s>", out.display()));
    report.verdicts = verdicts;
    report.body = body;
    report.details = serde_json::json!({ "points": points });
    report.write(out)?;
    Ok(Outcome::Complete(Box::new(report)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(eta: f64, b: usize, seed: u64, sharpness: f64, acc: f64) -> Point {
        let c2 = 4.0 + seed as f64 * 0.01;
        let d = eta * c2.sqrt() / (b as f64).sqrt();
        Point {
            eta,
            b,
            seed,
            finished: true,
            c2_init: c2,
            c2_end: c2,
            c2_max: c2,
            delta: d,
            delta_end: d,
            delta_max: d,
            sharpness,
            lambda_max: sharpness * 10.0,
            test_accuracy: acc,
            train_loss: 0.1,
        }
    }

    #[test]
    fn configuration_delta_is_the_mean_over_seeds() {
        let points = [
            point(0.1, 4, 0, 1.0, 0.9),
            point(0.1, 4, 1, 1.1, 0.9),
            point(0.1, 16, 0, 2.0, 0.8),
        ];
        let s = sweep_points(&points, C2At::Init, |p| p.sharpness);
        let want = (points[0].delta + points[1].delta) / 2.0;
        assert!((s[0].delta - want).abs() < 1e-15);
        assert!((s[1].delta - want).abs() < 1e-15);
        assert!((s[2].delta - points[2].delta).abs() < 1e-15);
    }

    #[test]
    fn decreasing_sharpness_and_interior_accuracy_hold_and_diverged_runs_are_left_out() {
        let mut points = Vec::new();
        for &eta in &[0.01, 0.03, 0.1, 0.3] {
            for &b in &[4usize, 16, 64, 256] {
                for seed in 0..3 {
                    let d = eta / (b as f64).sqrt();
                    let acc = 0.9 - 0.02 * (d.ln() - 0.01f64.ln()).powi(2);
                    points.push(point(eta, b, seed, 1.0 / d, acc));
                }
            }
        }
        let mut bad = point(0.3, 4, 3, f64::NAN, 0.1);
        bad.finished = false;
        points.push(bad);
        let (verdicts, body) = analyse(&points);
        assert_eq!(verdicts[0].outcome, Decision::Holds, "{}", verdicts[0]);
        assert_eq!(verdicts[1].outcome, Decision::Holds, "{}", verdicts[1]);
        assert_eq!(verdicts[2].outcome, Decision::Holds, "{}", verdicts[2]);
        assert!(
            verdicts[0].evidence.contains("over 48 runs"),
            "{}",
            verdicts[0]
        );
        assert!(body.contains("1 diverged"), "{body}");
        // Sharpness increasing in δ: P1 does not hold.
        for p in &mut points {
            p.sharpness = p.delta;
        }
        let (verdicts, _) = analyse(&points);
        assert_eq!(verdicts[0].outcome, Decision::DoesNotHold);
    }
}
