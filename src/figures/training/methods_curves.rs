//! Training loss and test accuracy of the four methods of arXiv 2311.08745 against
//! epochs and against parameter updates (P4, P5; the papers' Figures 2, 4, 5), from
//! the runs of `igo experiment methods`.
//!
//! Every run `DIR/methods/runs/method<m>/seed_<s>` is read from its `epochs.jsonl`:
//! after epoch e (drawn at x = e + 1, epochs completed) its mean mini-batch train loss,
//! its test accuracy and its cumulative parameter updates. Per method: the min–max band
//! over the seeds with the mean as a line. Only finished runs enter the bands (a
//! diverged run is named in the caption).

use super::records::{band, left_out, read_experiment, Experiment, Run};
use crate::figures::chart::{self, axis};
use crate::figures::{Figure, Inputs, Panel, Series, Style};
use experiments::train::{EpochRecord, ScheduleSpec, Status};

/// The experiment's name (its directory under `Inputs::experiments`).
pub const EXPERIMENT: &str = "methods";

/// What the four methods do to (η, b) per stage (spec §10.1).
fn method_words(m: u8) -> &'static str {
    match m {
        1 => "constant η, b",
        2 => "η ÷ √2",
        3 => "b × 2",
        4 => "η × √3/2, b × 1.5",
        _ => "?",
    }
}

/// The method number of a run named `method<m>/seed_<s>`.
#[must_use]
pub fn method_of(run: &Run) -> Option<u8> {
    run.group().strip_prefix("method")?.parse().ok()
}

/// The runs of each method present, in method order: (m, finished runs, diverged runs).
#[must_use]
pub fn by_method(exp: &Experiment) -> Vec<(u8, Vec<&Run>, Vec<&Run>)> {
    let mut methods: Vec<u8> = exp.runs.iter().filter_map(method_of).collect();
    methods.sort_unstable();
    methods.dedup();
    methods
        .into_iter()
        .map(|m| {
            let (ok, bad): (Vec<&Run>, Vec<&Run>) = exp
                .runs
                .iter()
                .filter(|r| method_of(r) == Some(m))
                .partition(|r| r.summary.status == Status::Finished);
            (m, ok, bad)
        })
        .collect()
}

/// (x, y) per epoch of a run.
fn curve(run: &Run, x: fn(&EpochRecord) -> f64, y: fn(&EpochRecord) -> f64) -> Vec<(f64, f64)> {
    run.records.iter().map(|r| (x(r), y(r))).collect()
}

/// Epochs completed after a record.
#[must_use]
pub fn epochs_completed(r: &EpochRecord) -> f64 {
    (r.epoch + 1) as f64
}

/// Cumulative parameter updates after a record.
#[must_use]
pub fn updates(r: &EpochRecord) -> f64 {
    r.updates as f64
}

/// One band series per method of `y` against `x`.
#[must_use]
pub fn method_bands(
    exp: &Experiment,
    x: fn(&EpochRecord) -> f64,
    y: fn(&EpochRecord) -> f64,
) -> Vec<Series> {
    by_method(exp)
        .into_iter()
        .map(|(m, ok, _)| {
            let curves: Vec<Vec<(f64, f64)>> = ok.iter().map(|r| curve(r, x, y)).collect();
            Series {
                label: format!("method {m}: {}", method_words(m)),
                style: Style::Band,
                color: Some(usize::from(m.saturating_sub(1))),
                points: band(&curves),
            }
        })
        .collect()
}

/// Epochs per stage of the first run's stage schedule.
fn stage_epochs(exp: &Experiment) -> Option<usize> {
    match &exp.runs.first()?.manifest.config.schedule.learning_rate {
        Some(ScheduleSpec::Stages { stage_epochs, .. }) => Some(*stage_epochs),
        _ => None,
    }
}

fn panel(title: &str, x: &str, y: &str, log_y: bool, series: Vec<Series>) -> Panel {
    chart::panel(title, axis(x, false), axis(y, log_y), series)
}

/// The figure.
///
/// # Errors
/// Missing records (naming the command).
pub fn figure(inputs: &Inputs) -> anyhow::Result<Figure> {
    let exp = read_experiment(inputs, EXPERIMENT)?;
    let epoch_label = stage_epochs(&exp).map_or_else(
        || "epoch".to_string(),
        |l| format!("epoch (5 stages of {l})"),
    );
    let loss = |r: &EpochRecord| r.train_loss;
    let accuracy = |r: &EpochRecord| r.test_accuracy;
    let panels = vec![
        panel(
            "training loss per epoch",
            &epoch_label,
            "train loss (mean mini-batch loss, log)",
            true,
            method_bands(&exp, epochs_completed, loss),
        ),
        panel(
            "test accuracy per epoch",
            &epoch_label,
            "test accuracy",
            false,
            method_bands(&exp, epochs_completed, accuracy),
        ),
        panel(
            "training loss per parameter update",
            "parameter updates Σ⌈N/b⌉",
            "train loss (log)",
            true,
            method_bands(&exp, updates, loss),
        ),
        panel(
            "test accuracy per parameter update",
            "parameter updates Σ⌈N/b⌉",
            "test accuracy",
            false,
            method_bands(&exp, updates, accuracy),
        ),
    ];
    let diverged: Vec<String> = by_method(&exp)
        .iter()
        .flat_map(|(_, _, bad)| bad.iter().map(|r| r.name.clone()))
        .collect();
    let verdicts = exp.verdicts.as_ref().map_or_else(
        || "no verdicts.json (incomplete)".into(),
        |v| v.outcomes(&["P4", "P5"]),
    );
    let caption = format!(
        "The four methods of arXiv 2311.08745 (plain SGD, 5 stages, every stage divides \
         δ = ηC/√b by √2 for methods 2–4): min–max bands over seeds with the mean as a \
         line, against epochs and parameter updates. {}{}. \
         Verdicts: {verdicts}. Claims P4, P5.",
        exp.provenance(EXPERIMENT, "method<m>/seed_<s>"),
        left_out("diverged", &diverged)
    );
    Ok(Figure {
        name: "methods_curves".into(),
        title: "Four δ-decay methods: loss and accuracy per epoch and per update (P4, P5)".into(),
        panels,
        columns: 2,
        caption,
    })
}
