//! Explicit graduated optimization against plain SGD (P8; arXiv 2412.11501), from the
//! runs of `igo experiment explicit-go`: the arms `ego` (gradients of the Gaussian-
//! smoothed loss, δ per stage from `ego.py`'s list, η ∝ δ), `sgd-same-lr` (the same η
//! without smoothing) and `sgd` (constant η₀).
//!
//! Every run `DIR/explicit-go/runs/<arm>/seed_<s>` is read from its `epochs.jsonl`.
//! Drawn per arm, min–max bands over the finished seeds with the mean as a line: the
//! train loss (for `ego` the smoothed loss, the mean over its K perturbed weights) and
//! the test accuracy per epoch; and the schedules: η per epoch of each arm and the
//! smoothing radius δ of `ego`.

use super::records::{band, in_style, left_out, read_experiment, Experiment, Run};
use crate::figures::chart::{self, axis};
use crate::figures::{Figure, Inputs, Panel, Series, Style};
use experiments::experiment::explicit_go::ARMS;
use experiments::train::{EpochRecord, Status};

/// The experiment's name (its directory under `Inputs::experiments`).
pub const EXPERIMENT: &str = "explicit-go";

/// The finished runs of an arm.
fn finished<'a>(exp: &'a Experiment, arm: &str) -> Vec<&'a Run> {
    exp.runs
        .iter()
        .filter(|r| r.group() == arm && r.summary.status == Status::Finished)
        .collect()
}

/// One band (or line of the mean) per arm present of `metric` per epoch.
fn arm_series(
    exp: &Experiment,
    metric: fn(&EpochRecord) -> Option<f64>,
    style: Style,
) -> Vec<Series> {
    ARMS.iter()
        .enumerate()
        .filter_map(|(i, arm)| {
            let runs = finished(exp, arm);
            let curves: Vec<Vec<(f64, f64)>> = runs
                .iter()
                .map(|r| {
                    r.records
                        .iter()
                        .filter_map(|e| metric(e).map(|v| ((e.epoch + 1) as f64, v)))
                        .collect()
                })
                .collect();
            let points = band(&curves);
            if points.is_empty() {
                return None;
            }
            Some(Series {
                label: (*arm).to_string(),
                // ego and sgd-same-lr share η: dash one so that both stay visible.
                style: if style == Style::Line && *arm == "sgd-same-lr" {
                    Style::Dashed
                } else {
                    style
                },
                color: Some(i),
                points: in_style(style, points),
            })
        })
        .collect()
}

fn panel(title: &str, y: &str, log_y: bool, series: Vec<Series>) -> Panel {
    chart::panel(title, axis("epoch", false), axis(y, log_y), series)
}

/// The figure.
///
/// # Errors
/// Missing records (naming the command).
pub fn figure(inputs: &Inputs) -> anyhow::Result<Figure> {
    let exp = read_experiment(inputs, EXPERIMENT)?;
    let panels = vec![
        panel(
            "training loss (ego: smoothed loss)",
            "train loss (log)",
            true,
            arm_series(&exp, |r| Some(r.train_loss), Style::Band),
        ),
        panel(
            "test accuracy",
            "test accuracy",
            false,
            arm_series(&exp, |r| Some(r.test_accuracy), Style::Band),
        ),
        panel(
            "learning rate",
            "η (log)",
            true,
            arm_series(&exp, |r| Some(r.learning_rate), Style::Line),
        ),
        panel(
            "smoothing radius of the ego arm",
            "δ (weight-noise standard deviation, log)",
            true,
            arm_series(&exp, |r| r.smoothing_radius, Style::Line),
        ),
    ];
    let diverged: Vec<String> = exp
        .runs
        .iter()
        .filter(|r| r.summary.status != Status::Finished)
        .map(|r| r.name.clone())
        .collect();
    let verdicts = exp.verdicts.as_ref().map_or_else(
        || "no verdicts.json (incomplete)".into(),
        |v| v.outcomes(&["P8"]),
    );
    let caption = format!(
        "Explicit graduated optimization (arm ego: gradient of the Gaussian-smoothed loss, \
         δ per stage from ego.py's list, η ∝ δ) against plain SGD with the same η \
         (sgd-same-lr) and with constant η₀ (sgd): min–max bands over seeds with the mean \
         as a line. {}{}. Verdicts: {verdicts}. Claim P8.",
        exp.provenance(EXPERIMENT, "<arm>/seed_<s>"),
        left_out("not finished", &diverged)
    );
    Ok(Figure {
        name: "explicit_go_curves".into(),
        title: "Explicit graduated optimization against plain SGD (P8)".into(),
        panels,
        columns: 2,
        caption,
    })
}
