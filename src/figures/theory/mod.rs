//! Figures computed by the library functions behind the theory checks (`theory` and
//! `numerics`), never from typed-in results. One file per figure; each caption names
//! its data source and the check ids it illustrates.

use super::{Axis, Entry, Panel, Point, Rule, Series, Span, Style};

pub mod go_convergence;
pub mod lemma_2_1_variance;
pub mod r_identity;
pub mod rastrigin_smoothed_1d;
pub mod rastrigin_smoothed_2d;
pub mod wu_stability;

/// The theory figures.
#[must_use]
pub fn entries() -> Vec<Entry> {
    vec![
        rastrigin_smoothed_1d::entry(),
        rastrigin_smoothed_2d::entry(),
        lemma_2_1_variance::entry(),
        go_convergence::entry(),
        wu_stability::entry(),
        r_identity::entry(),
    ]
}

/// An axis with `label`, linear or logarithmic, fitted to the data.
pub(crate) fn axis(label: &str, log: bool) -> Axis {
    Axis {
        label: label.into(),
        log,
        range: None,
    }
}

/// `n` equally spaced points from `a` to `b` (both included; n ≥ 2).
pub(crate) fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    let n = n.max(2);
    (0..n)
        .map(|k| a + (b - a) * k as f64 / (n - 1) as f64)
        .collect()
}

/// `n` logarithmically spaced points from `a` to `b` (both > 0 and included).
pub(crate) fn logspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    linspace(a.ln(), b.ln(), n)
        .into_iter()
        .map(f64::exp)
        .collect()
}

/// A series.
pub(crate) fn series(
    label: impl Into<String>,
    style: Style,
    color: Option<usize>,
    points: Vec<Point>,
) -> Series {
    Series {
        label: label.into(),
        style,
        color,
        points,
    }
}

/// A panel without spans, rules or shade label.
pub(crate) fn panel(title: impl Into<String>, x: Axis, y: Axis, series: Vec<Series>) -> Panel {
    Panel {
        title: title.into(),
        x,
        y,
        series,
        spans: Vec::new(),
        rules: Vec::new(),
        shade_label: None,
    }
}

/// A labelled shaded x-interval.
pub(crate) fn span(from: f64, to: f64, label: impl Into<String>) -> Span {
    Span {
        from,
        to,
        label: label.into(),
    }
}

/// A labelled vertical (`x = at`) or horizontal (`y = at`) line.
pub(crate) fn rule(vertical: bool, at: f64, label: impl Into<String>) -> Rule {
    Rule {
        vertical,
        at,
        label: label.into(),
    }
}
