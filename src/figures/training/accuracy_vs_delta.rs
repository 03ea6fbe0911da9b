//! Final test accuracy and training loss against δ = ηC/√b (P2; arXiv 2311.08745
//! Figure 3(e)), one point per run of `igo experiment sharpness-vs-delta`, coloured by
//! the batch size, with the seeds' means and the quadratic fit in log δ that the P2
//! verdict tests (`numerics::stats::polynomial_fit` of accuracy on ln δ over the
//! finished runs, as `experiments::predictions::p2_accuracy_unimodal` fits it).
//!
//! The runs are read as in [`super::sharpness_vs_delta`].

use super::sharpness_vs_delta::{run_count, scatter_panel, sweep, EXPERIMENT};
use crate::figures::{Figure, Inputs, Point, Series, Style};
use numerics::stats::polynomial_fit;

/// Points of the quadratic fit a + b·ln δ + c·(ln δ)² of test accuracy over the finished
/// runs, at 60 δ evenly spaced in log between the smallest and largest δ (empty with
/// fewer than 3 runs).
#[must_use]
pub fn quadratic_fit(deltas: &[f64], accuracies: &[f64]) -> Vec<Point> {
    let x: Vec<f64> = deltas.iter().map(|d| d.ln()).collect();
    let Some(fit) = polynomial_fit(&x, accuracies, 2) else {
        return Vec::new();
    };
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (0..60)
        .map(|k| {
            let t = lo + (hi - lo) * k as f64 / 59.0;
            Point::xy(t.exp(), fit.eval(t))
        })
        .collect()
}

/// The figure.
///
/// # Errors
/// Missing records (naming the command), a run that is not a sweep run.
pub fn figure(inputs: &Inputs) -> anyhow::Result<Figure> {
    let (exp, runs) = sweep(inputs)?;
    let finished: Vec<_> = runs
        .iter()
        .map(|r| &r.point)
        .filter(|p| p.finished && p.delta.is_finite() && p.delta > 0.0)
        .filter(|p| p.test_accuracy.is_finite())
        .collect();
    let deltas: Vec<f64> = finished.iter().map(|p| p.delta).collect();
    let accuracies: Vec<f64> = finished.iter().map(|p| p.test_accuracy).collect();
    let mut accuracy = scatter_panel(
        "test accuracy",
        "final test accuracy",
        &runs,
        |p| p.test_accuracy,
        false,
    );
    accuracy.series.push(Series {
        label: "quadratic fit in log δ (P2's test)".into(),
        style: Style::Dashed,
        color: Some(7),
        points: quadratic_fit(&deltas, &accuracies),
    });
    let loss = scatter_panel(
        "training loss",
        "final train loss (log)",
        &runs,
        |p| p.train_loss,
        true,
    );
    let verdicts = exp.verdicts.as_ref().map_or_else(
        || "no verdicts.json (incomplete)".into(),
        |v| v.summary(&["P2"]),
    );
    let caption = format!(
        "Final test accuracy and training loss against δ = ηC/√b of constant-(η, b) plain \
         SGD, one point per run coloured by batch size, markers: mean over seeds, dashed: \
         the quadratic fit in log δ ({}). {}. Verdicts: {verdicts}. Claim P2.",
        run_count(&runs),
        exp.provenance(EXPERIMENT, "<η>_<b>/seed_<s>")
    );
    Ok(Figure {
        name: "accuracy_vs_delta".into(),
        title: "Test accuracy against the degree of smoothing δ (P2)".into(),
        panels: vec![accuracy, loss],
        columns: 2,
        caption,
    })
}
