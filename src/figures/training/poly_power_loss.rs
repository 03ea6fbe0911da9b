//! Training loss against the power p of polynomial learning-rate decay (P7; the AAAI-25
//! Figure 6 analogue, arXiv 2412.11501), from the runs of `igo experiment poly-power`:
//! SHB with η_m = η₀(1 − m/M)^p.
//!
//! Every run `DIR/poly-power/runs/p<p>/seed_<s>` is read from its records (p from the
//! manifest's `Polynomial` schedule, the losses and η from `epochs.jsonl`). Drawn, per
//! p, min–max bands over the finished seeds with the mean as a line: the final train
//! loss and test accuracy against p (line p = 1 marked: the smallest stage factor 2^(−p)
//! is ≥ ½ iff p ≤ 1, spec §6.2), the train loss per epoch, and η per epoch.

use super::records::{band, in_style, left_out, read_experiment, Experiment, Run};
use crate::figures::chart::axis;
use crate::figures::{Figure, Inputs, Panel, Point, Rule, Series, Style};
use experiments::train::{EpochRecord, ScheduleSpec, Status};

/// The experiment's name (its directory under `Inputs::experiments`).
pub const EXPERIMENT: &str = "poly-power";

/// p of a run (its polynomial learning-rate schedule).
#[must_use]
pub fn power_of(run: &Run) -> Option<f64> {
    match &run.manifest.config.schedule.learning_rate {
        Some(ScheduleSpec::Polynomial { power, .. }) => Some(*power),
        _ => None,
    }
}

/// The powers present, ascending, each with its finished and its diverged runs.
#[must_use]
pub fn by_power(exp: &Experiment) -> Vec<(f64, Vec<&Run>, Vec<&Run>)> {
    let mut powers: Vec<f64> = exp.runs.iter().filter_map(power_of).collect();
    powers.sort_by(f64::total_cmp);
    powers.dedup_by(|a, b| a.total_cmp(b).is_eq());
    powers
        .into_iter()
        .map(|p| {
            let (ok, bad): (Vec<&Run>, Vec<&Run>) = exp
                .runs
                .iter()
                .filter(|r| power_of(r).is_some_and(|q| q.total_cmp(&p).is_eq()))
                .partition(|r| r.summary.status == Status::Finished);
            (p, ok, bad)
        })
        .collect()
}

/// Band over p of a run's final value of `metric` (powers without finished runs are
/// left out).
#[must_use]
pub fn final_band(exp: &Experiment, metric: fn(&EpochRecord) -> f64) -> Vec<Point> {
    by_power(exp)
        .iter()
        .filter_map(|(p, ok, _)| {
            let v: Vec<f64> = ok
                .iter()
                .filter_map(|r| r.records.last().map(metric))
                .filter(|v| v.is_finite())
                .collect();
            if v.is_empty() {
                return None;
            }
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Some(Point::band(*p, mean, lo, hi))
        })
        .collect()
}

/// One point (p, final value of `metric`) per finished run.
#[must_use]
pub fn final_points(exp: &Experiment, metric: fn(&EpochRecord) -> f64) -> Vec<Point> {
    by_power(exp)
        .iter()
        .flat_map(|(p, ok, _)| {
            ok.iter()
                .filter_map(|r| r.records.last().map(metric))
                .filter(|v| v.is_finite())
                .map(move |v| Point::xy(*p, v))
        })
        .collect()
}

fn per_epoch(exp: &Experiment, metric: fn(&EpochRecord) -> f64, style: Style) -> Vec<Series> {
    by_power(exp)
        .iter()
        .enumerate()
        .map(|(i, (p, ok, _))| {
            let curves: Vec<Vec<(f64, f64)>> = ok
                .iter()
                .map(|r| {
                    r.records
                        .iter()
                        .map(|e| ((e.epoch + 1) as f64, metric(e)))
                        .collect()
                })
                .collect();
            let points = band(&curves);
            Series {
                label: format!("p = {p}"),
                style,
                color: Some(i),
                points: in_style(style, points),
            }
        })
        .collect()
}

/// The figure.
///
/// # Errors
/// Missing records (naming the command).
pub fn figure(inputs: &Inputs) -> anyhow::Result<Figure> {
    let exp = read_experiment(inputs, EXPERIMENT)?;
    let p_one = vec![Rule {
        vertical: true,
        at: 1.0,
        label: "p = 1 (min factor 2^(−p) = ½)".into(),
    }];
    let loss_points = final_band(&exp, |r| r.train_loss);
    let best = loss_points
        .iter()
        .min_by(|a, b| a.y.total_cmp(&b.y))
        .map_or_else(|| "none".into(), |p| format!("p = {} ({:.4})", p.x, p.y));
    let panels = vec![
        Panel {
            title: "final training loss against p".into(),
            x: axis("power p (log)", true),
            y: axis("final train loss (log)", true),
            series: vec![
                Series {
                    label: "final train loss, seeds' band".into(),
                    style: Style::Band,
                    color: Some(0),
                    points: loss_points,
                },
                Series {
                    label: "one run".into(),
                    style: Style::Markers,
                    color: Some(0),
                    points: final_points(&exp, |r| r.train_loss),
                },
            ],
            spans: Vec::new(),
            rules: p_one.clone(),
            shade_label: None,
        },
        Panel {
            title: "final test accuracy against p".into(),
            x: axis("power p (log)", true),
            y: axis("final test accuracy", false),
            series: vec![
                Series {
                    label: "final test accuracy, seeds' band".into(),
                    style: Style::Band,
                    color: Some(1),
                    points: final_band(&exp, |r| r.test_accuracy),
                },
                Series {
                    label: "one run".into(),
                    style: Style::Markers,
                    color: Some(1),
                    points: final_points(&exp, |r| r.test_accuracy),
                },
            ],
            spans: Vec::new(),
            rules: p_one,
            shade_label: None,
        },
        Panel {
            title: "training loss per epoch".into(),
            x: axis("epoch", false),
            y: axis("train loss (log)", true),
            series: per_epoch(&exp, |r| r.train_loss, Style::Band),
            spans: Vec::new(),
            rules: Vec::new(),
            shade_label: None,
        },
        Panel {
            title: "learning rate η_m = η₀(1 − m/M)^p".into(),
            x: axis("epoch", false),
            y: axis("η (log)", true),
            series: per_epoch(&exp, |r| r.learning_rate, Style::Line),
            spans: Vec::new(),
            rules: Vec::new(),
            shade_label: None,
        },
    ];
    let diverged: Vec<String> = by_power(&exp)
        .iter()
        .flat_map(|(_, _, bad)| bad.iter().map(|r| r.name.clone()))
        .collect();
    let verdicts = exp.verdicts.as_ref().map_or_else(
        || "no verdicts.json (incomplete)".into(),
        |v| v.outcomes(&["P7"]),
    );
    let caption = format!(
        "SHB with polynomial learning-rate decay η_m = η₀(1 − m/M)^p (PyTorch PolynomialLR): \
         min–max bands over seeds with the mean as a line; lowest mean final train loss at \
         {best}. {}{}. Verdicts: {verdicts}. Claim P7.",
        exp.provenance(EXPERIMENT, "p<p>/seed_<s>"),
        left_out("diverged", &diverged)
    );
    Ok(Figure {
        name: "poly_power_loss".into(),
        title: "Polynomial decay: training loss against the power p (P7)".into(),
        panels,
        columns: 2,
        caption,
    })
}
