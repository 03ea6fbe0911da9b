//! Final sharpness against δ = ηC/√b (P1; arXiv 2311.08745 Figure 3(c), Figure 1B–C),
//! one point per run of `igo experiment sharpness-vs-delta`, coloured by the batch size.
//!
//! Every run `DIR/sharpness-vs-delta/runs/<η>_<b>/seed_<s>` is read from its records
//! (manifest: η and b of its constant schedule; summary: C² at initialisation;
//! epochs.jsonl: the sharpness and λ_max measured at the last epoch) and turned into
//! the experiment's own per-run numbers by
//! `experiments::experiment::sharpness_vs_delta::Point::of`, so δ = ηC/√b (C² at
//! initialisation) is exactly the δ of the experiment's verdicts. Drawn: every finished
//! run as a point (shade: log₂ b) and the mean over the seeds of each (η, b) as a
//! marker. Diverged runs have no final sharpness and are left out (counted in the
//! caption).

use super::records::{read_experiment, Experiment, Run};
use crate::figures::{Axis, Figure, Inputs, Panel, Point, Series, Style};
use experiments::experiment::runs::{CompletedRun, Start};
use experiments::experiment::sharpness_vs_delta::{Cell, Point as RunPoint};
use experiments::train::ScheduleSpec;

/// The experiment's name (its directory under `Inputs::experiments`).
pub const EXPERIMENT: &str = "sharpness-vs-delta";

/// One run of the sweep with the experiment's numbers.
#[derive(Debug, Clone)]
pub struct SweepRun {
    /// Its directory under `runs/`.
    pub name: String,
    /// The experiment's per-run numbers (δ, sharpness, λ_max, accuracy, …).
    pub point: RunPoint,
}

/// The constant value of a schedule, or an error naming the run.
fn constant(spec: Option<&ScheduleSpec>, what: &str, run: &Run) -> anyhow::Result<f64> {
    match spec {
        Some(ScheduleSpec::Constant { value }) => Ok(*value),
        other => anyhow::bail!(
            "run {} of {EXPERIMENT} has no constant {what} (found {other:?}): not a sweep run",
            run.name
        ),
    }
}

/// The sweep's runs: the experiment directory and each run's numbers, in run order.
///
/// # Errors
/// Missing records (naming the command), a run that is not a constant-(η, b) run.
pub fn sweep(inputs: &Inputs) -> anyhow::Result<(Experiment, Vec<SweepRun>)> {
    let exp = read_experiment(inputs, EXPERIMENT)?;
    let mut out = Vec::new();
    for run in &exp.runs {
        let schedule = &run.manifest.config.schedule;
        let eta = constant(schedule.learning_rate.as_ref(), "learning rate", run)?;
        let b = constant(schedule.batch_size.as_ref(), "batch size", run)?;
        let cell = Cell {
            eta,
            b: b as usize,
            seed: run.seed(),
        };
        let completed = CompletedRun {
            name: run.name.clone(),
            dir: exp.dir.join(&run.name),
            summary: run.summary.clone(),
            records: run.records.clone(),
            start: Start::Skipped,
        };
        out.push(SweepRun {
            name: run.name.clone(),
            point: RunPoint::of(cell, &completed),
        });
    }
    Ok((exp, out))
}

/// One point per finished run with finite, positive δ and `metric` (shade log₂ b).
#[must_use]
pub fn run_points(runs: &[SweepRun], metric: fn(&RunPoint) -> f64, log_y: bool) -> Vec<Point> {
    runs.iter()
        .map(|r| &r.point)
        .filter(|p| p.finished)
        .filter(|p| usable(p.delta, metric(p), log_y))
        .map(|p| Point::shaded(p.delta, metric(p), (p.b as f64).log2()))
        .collect()
}

fn usable(delta: f64, y: f64, log_y: bool) -> bool {
    delta.is_finite() && delta > 0.0 && y.is_finite() && (!log_y || y > 0.0)
}

/// For each (η, b) in order of appearance: the mean over its finished seeds of δ and of
/// `metric` (configurations with no usable run are left out).
#[must_use]
pub fn configuration_means(
    runs: &[SweepRun],
    metric: fn(&RunPoint) -> f64,
    log_y: bool,
) -> Vec<Point> {
    let mut cells: Vec<(f64, usize)> = Vec::new();
    for r in runs {
        let p = &r.point;
        if !cells
            .iter()
            .any(|&(e, b)| b == p.b && e.total_cmp(&p.eta).is_eq())
        {
            cells.push((p.eta, p.b));
        }
    }
    cells
        .iter()
        .filter_map(|&(eta, b)| {
            let of: Vec<&RunPoint> = runs
                .iter()
                .map(|r| &r.point)
                .filter(|p| p.b == b && p.eta.total_cmp(&eta).is_eq() && p.finished)
                .filter(|p| usable(p.delta, metric(p), log_y))
                .collect();
            if of.is_empty() {
                return None;
            }
            let n = of.len() as f64;
            let delta = of.iter().map(|p| p.delta).sum::<f64>() / n;
            let y = of.iter().map(|p| metric(p)).sum::<f64>() / n;
            Some(Point::shaded(delta, y, (b as f64).log2()))
        })
        .collect()
}

/// A scatter panel: every run shaded by log₂ b and the seeds' means.
#[must_use]
pub fn scatter_panel(
    title: &str,
    y_label: &str,
    runs: &[SweepRun],
    metric: fn(&RunPoint) -> f64,
    log_y: bool,
) -> Panel {
    Panel {
        title: title.into(),
        x: Axis {
            label: "δ = ηC/√b, C² at initialisation (log)".into(),
            log: true,
            range: None,
        },
        y: Axis {
            label: y_label.into(),
            log: log_y,
            range: None,
        },
        series: vec![
            Series {
                label: "one run".into(),
                style: Style::Shaded,
                color: None,
                points: run_points(runs, metric, log_y),
            },
            Series {
                label: "mean over seeds per (η, b)".into(),
                style: Style::Markers,
                color: Some(3),
                points: configuration_means(runs, metric, log_y),
            },
        ],
        spans: Vec::new(),
        rules: Vec::new(),
        shade_label: Some("batch size log₂ b".into()),
    }
}

/// "N runs, M diverged (left out)".
#[must_use]
pub fn run_count(runs: &[SweepRun]) -> String {
    let diverged = runs.iter().filter(|r| !r.point.finished).count();
    format!("{} runs, {diverged} diverged and left out", runs.len())
}

/// The figure.
///
/// # Errors
/// As [`sweep`].
pub fn figure(inputs: &Inputs) -> anyhow::Result<Figure> {
    let (exp, runs) = sweep(inputs)?;
    let rho = exp
        .runs
        .first()
        .map_or(f64::NAN, |r| r.manifest.config.measurements.sharpness_rho);
    let sharpness_label = format!("final max over ‖ε‖∞ ≤ ρ = {rho} of L(w+ε) − L(w) (log)");
    let panels = vec![
        scatter_panel(
            "worst-case ℓ∞ sharpness",
            &sharpness_label,
            &runs,
            |p| p.sharpness,
            true,
        ),
        scatter_panel(
            "top Hessian eigenvalue",
            "final λ_max(∇²L) (log)",
            &runs,
            |p| p.lambda_max,
            true,
        ),
    ];
    let verdicts = exp.verdicts.as_ref().map_or_else(
        || "no verdicts.json (incomplete)".into(),
        |v| v.summary(&["P1"]),
    );
    let caption = format!(
        "Final sharpness against δ = ηC/√b of constant-(η, b) plain SGD, one point per run \
         coloured by batch size, markers: mean over seeds ({}). {}. Verdicts: {verdicts}. \
         Claim P1.",
        run_count(&runs),
        exp.provenance(EXPERIMENT, "<η>_<b>/seed_<s>")
    );
    Ok(Figure {
        name: "sharpness_vs_delta".into(),
        title: "Sharpness falls as the degree of smoothing δ grows (P1)".into(),
        panels,
        columns: 2,
        caption,
    })
}
