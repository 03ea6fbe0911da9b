//! Figures computed by the library functions behind the theory checks (`theory` and
//! `numerics`), never from typed-in results. One file per figure; each caption names
//! its data source and the check ids it illustrates.

pub(crate) use super::chart::{axis, panel, rule, series, span};
use super::Entry;

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
